"""Query building blocks shared by the routers: list parameters, sorting, keyset cursors, paging, formats, and the
few SQL expressions that differ between SQLite and PostgreSQL.

Every value that comes from a client reaches the database as a bound parameter; the only SQL text written here is
made of constants.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import orjson
import pycountry
import sqlalchemy as sa
from fastapi import Request
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from app.core.config import Settings
from app.core.errors import bad_parameter, problem_responses

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50
EARTH_RADIUS_KM = 6371.0088
MAX_LIST_VALUES = 100


@dataclass
class Limits:
    """The page-size and filter-list caps in force; set from Settings (MAX_PAGE_SIZE, MAX_FILTER_VALUES) when the
    app is created, never above the hard ceilings above."""

    max_limit: int = MAX_LIMIT
    max_list_values: int = MAX_LIST_VALUES


LIMITS = Limits()


def configure_limits(*, max_limit: int, max_list_values: int) -> None:
    LIMITS.max_limit = min(max_limit, MAX_LIMIT)
    LIMITS.max_list_values = min(max_list_values, MAX_LIST_VALUES)


MAX_SEARCH_WORDS = 32

# --- list parameters ----------------------------------------------------------------------------------------------


def split_values(raw: str | None) -> list[str]:
    """`"a, b,,c"` -> `["a", "b", "c"]`; None or blank -> []."""
    if raw is None:
        return []
    return [part.strip() for part in raw.split(",") if part.strip()]


def parse_choices(name: str, raw: str | None, allowed: Collection[str]) -> list[str] | None:
    """Comma-separated values from a closed vocabulary (case-insensitive). None when the parameter is absent."""
    values = _bounded(name, split_values(raw))
    if not values:
        return None if raw is None or not raw.strip() else _empty(name)
    out = []
    for value in values:
        lowered = value.lower()
        if lowered not in allowed:
            raise bad_parameter(name, f"unknown value {value!r}; allowed: {', '.join(allowed)}")
        out.append(lowered)
    return _unique(out)


def parse_countries(name: str, raw: str | None) -> list[str] | None:
    """Comma-separated ISO 3166-1 alpha-3 codes (case-insensitive; current and historic codes such as DDR)."""
    values = _bounded(name, split_values(raw))
    if not values:
        return None if raw is None or not raw.strip() else _empty(name)
    out = []
    for value in values:
        code = value.upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise bad_parameter(name, f"{value!r} is not a 3-letter ISO 3166-1 alpha-3 country code")
        if pycountry.countries.get(alpha_3=code) is None and pycountry.historic_countries.get(alpha_3=code) is None:
            raise bad_parameter(name, f"unknown country code {value!r}")
        out.append(code)
    return _unique(out)


def parse_strings(name: str, raw: str | None, *, max_length: int = 200) -> list[str] | None:
    """Comma-separated free-text values (e.g. crossing names)."""
    values = _bounded(name, split_values(raw))
    if not values:
        return None if raw is None or not raw.strip() else _empty(name)
    for value in values:
        if len(value) > max_length:
            raise bad_parameter(name, f"values are at most {max_length} characters")
    return _unique(values)


def _bounded(name: str, values: list[str]) -> list[str]:
    if len(values) > LIMITS.max_list_values:
        raise bad_parameter(name, f"at most {LIMITS.max_list_values} values")
    return values


def _empty(name: str) -> list[str]:
    raise bad_parameter(name, "needs at least one value")


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def parse_floats(name: str, raw: str, count: int) -> list[float]:
    parts = raw.split(",")
    if len(parts) != count:
        raise bad_parameter(name, f"expected {count} comma-separated numbers")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise bad_parameter(name, f"expected {count} comma-separated numbers") from None
    if not all(math.isfinite(n) for n in numbers):
        raise bad_parameter(name, "numbers must be finite")
    return numbers


def search_words(name: str, raw: str | None) -> list[str] | None:
    """The words of a full-text query. Operators and punctuation are dropped, so any input is a safe query."""
    if raw is None or not raw.strip():
        return None
    words = re.findall(r"\w+", raw)
    if not words:
        raise bad_parameter(name, "needs at least one letter or digit")
    if len(words) > MAX_SEARCH_WORDS:
        raise bad_parameter(name, f"at most {MAX_SEARCH_WORDS} words")
    return [w[:100] for w in words]


def parse_fields(name: str, raw: str | None, allowed: Sequence[str]) -> list[str] | None:
    values = split_values(raw)
    if not values:
        return None if raw is None or not raw.strip() else _empty(name)
    for value in values:
        if value not in allowed:
            raise bad_parameter(name, f"unknown field {value!r}; allowed: {', '.join(allowed)}")
    return _unique(values)


def utc(value: datetime) -> datetime:
    """Aware UTC datetime (naive values are taken as UTC, which is how the service stores them)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- sorting and keyset cursors -----------------------------------------------------------------------------------

KeyKind = Literal["int", "float", "date", "datetime"]


@dataclass(frozen=True, slots=True)
class SortKey:
    """A column a list can be sorted by; `nullable` keys sort their nulls last in both directions."""

    name: str
    column: ColumnElement[Any]
    kind: KeyKind
    nullable: bool


@dataclass(frozen=True, slots=True)
class SortTerm:
    key: SortKey
    descending: bool

    @property
    def spec(self) -> str:
        return f"-{self.key.name}" if self.descending else self.key.name


def parse_sort(raw: str | None, keys: Mapping[str, SortKey], *, default: str, name: str = "sort") -> list[SortTerm]:
    """`"-date_start,group_size"` -> terms, always ending with an `id` tiebreak so the order is total."""
    text = default if raw is None else raw
    parts = split_values(text)
    if not parts:
        raise bad_parameter(name, "needs at least one key")
    terms: list[SortTerm] = []
    seen: set[str] = set()
    for part in parts:
        descending = part.startswith("-")
        key_name = part[1:] if descending else part.removeprefix("+")
        key = keys.get(key_name)
        if key is None:
            raise bad_parameter(name, f"unknown sort key {key_name!r}; allowed: {', '.join(keys)}")
        if key_name in seen:
            raise bad_parameter(name, f"sort key {key_name!r} is repeated")
        seen.add(key_name)
        terms.append(SortTerm(key, descending))
    if "id" not in seen:
        terms.append(SortTerm(keys["id"], False))
    return terms


def order_by(terms: Sequence[SortTerm]) -> list[Any]:
    out = []
    for term in terms:
        ordered = term.key.column.desc() if term.descending else term.key.column.asc()
        out.append(ordered.nulls_last() if term.key.nullable else ordered)
    return out


def after(terms: Sequence[SortTerm], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after the row whose sort values are `values`, in the order of `terms` (nulls last)."""
    clauses: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for term, value in zip(terms, values, strict=True):
        column = term.key.column
        if value is None:
            # Nothing sorts after a null within this key; rows that tie on it are those with a null too.
            equal.append(column.is_(None))
            continue
        beyond = column < value if term.descending else column > value
        if term.key.nullable:
            beyond = sa.or_(beyond, column.is_(None))
        clauses.append(sa.and_(*equal, beyond))
        equal.append(column == value)
    return sa.or_(*clauses) if clauses else sa.false()


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decode_value(kind: KeyKind, value: Any) -> Any:
    if value is None:
        return None
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if kind == "datetime" and isinstance(value, str):
        return datetime.fromisoformat(value)
    raise ValueError(f"bad {kind} value")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Opaque, tamper-evident keyset cursors: base64url(JSON of the last row's sort values) + "." + HMAC.

    The HMAC key is derived from the settings (the database URL and, when set, the API key), so a cursor is only
    valid against the service that issued it, for the resource and sort order it was issued for.
    """

    def __init__(self, settings: Settings, resource: str) -> None:
        secret = settings.api_key.get_secret_value() if settings.api_key else ""
        material = "\0".join(("defections-api cursor v1", settings.database_url, secret)).encode()
        self._key = hashlib.sha256(material).digest()
        self._resource = resource

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, self._resource.encode() + b"\0" + payload, hashlib.sha256).digest()[:16]

    def encode(self, terms: Sequence[SortTerm], values: Sequence[Any]) -> str:
        spec = ",".join(t.spec for t in terms)
        payload = orjson.dumps({"s": spec, "v": [_encode_value(v) for v in values]})
        return f"{_b64encode(payload)}.{_b64encode(self._sign(payload))}"

    def decode(self, token: str, terms: Sequence[SortTerm], *, name: str = "cursor") -> list[Any]:
        invalid = bad_parameter(
            name, "not a cursor issued by this service (take `next` from a previous page)", status=400
        )
        try:
            body, signature = token.split(".", 1)
            payload = _b64decode(body)
            if not hmac.compare_digest(_b64decode(signature), self._sign(payload)):
                raise invalid
            data = orjson.loads(payload)
        except (ValueError, binascii.Error, orjson.JSONDecodeError):
            raise invalid from None
        spec = ",".join(t.spec for t in terms)
        if not isinstance(data, dict) or data.get("s") != spec:
            raise bad_parameter(
                name, "the cursor was issued for another sort order; repeat the request that returned it", status=400
            )
        raw = data.get("v")
        if not isinstance(raw, list) or len(raw) != len(terms):
            raise invalid
        try:
            return [_decode_value(t.key.kind, v) for t, v in zip(terms, raw, strict=True)]
        except ValueError:
            raise invalid from None


def row_sort_values(terms: Sequence[SortTerm], row: Mapping[Any, Any]) -> list[Any]:
    return [row[t.key.name] for t in terms]


# --- paging and formats -------------------------------------------------------------------------------------------


def parse_limit(raw: str | None, *, allow_all: bool, default: int = DEFAULT_LIMIT, name: str = "limit") -> int | None:
    """An integer in 1..1000, or None for `all` (only where streaming is allowed)."""
    if raw is None:
        return default
    if raw.strip().lower() == "all":
        if not allow_all:
            raise bad_parameter(name, "`all` is only for the streaming formats csv, ndjson and geojson")
        return None
    try:
        value = int(raw)
    except ValueError:
        expected = f"expected an integer from 1 to {LIMITS.max_limit}" + (" or `all`" if allow_all else "")
        raise bad_parameter(name, expected) from None
    if not 1 <= value <= LIMITS.max_limit:
        raise bad_parameter(name, f"must be from 1 to {LIMITS.max_limit}")
    return value


def documented(ok: dict[str, Any], *statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=`: the 200 response's extra documentation, then the problem+json errors."""
    out: dict[int | str, dict[str, Any]] = {200: ok}
    out.update(problem_responses(*statuses))
    return out


def next_url(request: Request, cursor: str) -> str:
    """The URL of this request with its cursor replaced: same filters, same sort, same format."""
    return str(request.url.include_query_params(cursor=cursor))


def link_header(url: str) -> dict[str, str]:
    return {"Link": f'<{url}>; rel="next"'}


MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
    "geojson": "application/geo+json",
}

_ACCEPT = (
    ("application/geo+json", "geojson"),
    ("text/csv", "csv"),
    ("application/x-ndjson", "ndjson"),
    ("application/ndjson", "ndjson"),
    ("application/json", "json"),
)


def negotiate(fmt: str | None, accept: str | None, allowed: Collection[str], *, name: str = "format") -> str:
    """The response format: `format=` when given, else the first supported type in `Accept`, else json."""
    if fmt is not None:
        lowered = fmt.strip().lower()
        if lowered not in allowed:
            raise bad_parameter(name, f"unknown format {fmt!r}; allowed: {', '.join(allowed)}")
        return lowered
    if accept:
        ranked = []
        for position, item in enumerate(accept.split(",")):
            media, _, params = item.strip().partition(";")
            quality = 1.0
            for param in params.split(";"):
                key, _, value = param.strip().partition("=")
                if key == "q":
                    try:
                        quality = float(value)
                    except ValueError:
                        quality = 0.0
            ranked.append((-quality, position, media.strip().lower()))
        for negative_quality, _position, media in sorted(ranked):
            if negative_quality >= 0:
                continue
            for candidate, name_ in _ACCEPT:
                if media == candidate and name_ in allowed:
                    return name_
    return "json"


# --- dialect-aware SQL --------------------------------------------------------------------------------------------


def year_of(column: ColumnElement[Any], dialect: str) -> ColumnElement[int]:
    """The year of a date column, as an integer."""
    if dialect == "postgresql":
        return sa.cast(sa.extract("year", column), sa.Integer)
    # SQLite stores dates as ISO text: the first four characters are the year (cheaper than strftime per row).
    return sa.cast(sa.func.substr(column, 1, 4), sa.Integer)


def month_of(column: ColumnElement[Any], dialect: str) -> ColumnElement[str]:
    """The month of a date column as `YYYY-MM`."""
    if dialect == "postgresql":
        return sa.func.to_char(column, sa.literal_column("'YYYY-MM'"))
    return sa.func.substr(column, 1, 7)


def _haversine_km(lat1: float | None, lon1: float | None, lat2: float | None, lon2: float | None) -> float | None:
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def prepare_connection(conn: Connection) -> None:
    """Register the SQL functions SQLite lacks on this connection (PostgreSQL has them built in)."""
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.driver_connection
        if dbapi is not None:
            dbapi.create_function("haversine_km", 4, _haversine_km, deterministic=True)


def distance_km(
    lat_column: ColumnElement[Any], lon_column: ColumnElement[Any], lat: float, lon: float, dialect: str
) -> ColumnElement[float]:
    """Great-circle distance in km from (lat, lon) to the row's coordinates (haversine)."""
    if dialect != "postgresql":
        return sa.func.haversine_km(lat_column, lon_column, lat, lon)
    f = sa.func
    p1, p2 = f.radians(lat_column), f.radians(sa.literal(lat, sa.Float))
    h = f.power(f.sin((p2 - p1) / 2), 2) + f.cos(p1) * f.cos(p2) * f.power(
        f.sin(f.radians(sa.literal(lon, sa.Float) - lon_column) / 2), 2
    )
    return 2 * EARTH_RADIUS_KM * f.asin(f.sqrt(f.least(sa.literal(1.0, sa.Float), h)))


def around(lat: float, lon: float, radius_km: float) -> tuple[float, float, list[tuple[float, float]] | None]:
    """Bounding box of a circle: (min_lat, max_lat, lon ranges or None when every longitude is within reach)."""
    angular = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angular)
    min_lat, max_lat = lat - dlat, lat + dlat
    if max_lat >= 90 or min_lat <= -90 or angular >= math.pi / 2:
        return max(min_lat, -90.0), min(max_lat, 90.0), None
    ratio = math.sin(angular) / math.cos(math.radians(lat))
    if ratio >= 1:
        return min_lat, max_lat, None
    dlon = math.degrees(math.asin(ratio))
    west, east = lon - dlon, lon + dlon
    if west < -180:
        return min_lat, max_lat, [(west + 360, 180.0), (-180.0, east)]
    if east > 180:
        return min_lat, max_lat, [(west, 180.0), (-180.0, east - 360)]
    return min_lat, max_lat, [(west, east)]


def lon_between(column: ColumnElement[Any], west: float, east: float) -> ColumnElement[bool]:
    """Longitude in [west, east]; a box whose west edge is east of its east edge crosses the antimeridian."""
    if west <= east:
        return column.between(west, east)
    return sa.or_(column >= west, column <= east)


_INCIDENT_SEARCH_SQLITE = sa.table("incident_search", sa.column("rowid", sa.Integer))
_INCIDENT_SEARCH_PG = sa.table("incident_search", sa.column("incident_id", sa.Integer), sa.column("document"))
_ARTICLE_SEARCH_SQLITE = sa.table("article_search", sa.column("rowid", sa.Integer))
_ENGLISH: ColumnElement[Any] = sa.literal_column("'english'::regconfig")


def _fts5_query(words: Sequence[str]) -> str:
    # Every word as a quoted FTS5 string: no operator, column filter or syntax error can come from the input.
    return " ".join('"{}"'.format(word.replace('"', '""')) for word in words)


def incident_text_match(id_column: ColumnElement[Any], words: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """Incidents whose summary, evidence text or reporting article titles contain every word (stemmed)."""
    if dialect == "postgresql":
        query = sa.func.plainto_tsquery(_ENGLISH, " ".join(words))
        return id_column.in_(
            sa.select(_INCIDENT_SEARCH_PG.c.incident_id).where(_INCIDENT_SEARCH_PG.c.document.op("@@")(query))
        )
    match = sa.literal_column("incident_search").op("MATCH")(_fts5_query(words))
    return id_column.in_(sa.select(_INCIDENT_SEARCH_SQLITE.c.rowid).where(match))


def article_text_match(
    id_column: ColumnElement[Any],
    title_column: ColumnElement[Any],
    text_column: ColumnElement[Any],
    words: Sequence[str],
    dialect: str,
) -> ColumnElement[bool]:
    """Articles whose title or text contain every word (stemmed)."""
    if dialect == "postgresql":
        # The same expression as the GIN index ix_article_search, constants inline so the planner can use it.
        document = sa.func.to_tsvector(
            _ENGLISH,
            sa.func.coalesce(title_column, sa.literal_column("''"))
            .op("||")(sa.literal_column("' '"))
            .op("||")(text_column),
        )
        return document.op("@@")(sa.func.plainto_tsquery(_ENGLISH, " ".join(words)))
    match = sa.literal_column("article_search").op("MATCH")(_fts5_query(words))
    return id_column.in_(sa.select(_ARTICLE_SEARCH_SQLITE.c.rowid).where(match))


# --- strict query strings -----------------------------------------------------------------------------------------

_KNOWN_QUERY_NAMES: dict[int, frozenset[str]] = {}


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def reject_unknown_query_params(request: Request) -> None:
    """Answer 422 naming a query parameter the route does not know, instead of silently ignoring a typo."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _KNOWN_QUERY_NAMES.get(id(route))
    if known is None:
        known = _KNOWN_QUERY_NAMES.setdefault(id(route), frozenset(_query_names(dependant)))
    for name in request.query_params:
        if name not in known:
            raise bad_parameter(name, f"unknown query parameter; this endpoint takes: {', '.join(sorted(known))}")
