"""Turning incident rows into public records, loading a page's sources/evidence/reports in one query, and the
export encodings (CSV, NDJSON, GeoJSON)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.api.filters import ARTICLE, INCIDENT, REPORT
from app.api.query import utc

Row = Mapping[Any, Any]  # a result row as a mapping (SQLAlchemy RowMapping)

BASE_FIELDS = (
    "id",
    "date_start",
    "date_end",
    "date_precision",
    "date_text",
    "origin_country",
    "destination_country",
    "transit_countries",
    "crossing",
    "method",
    "group_size",
    "group_size_min",
    "group_size_max",
    "actor",
    "armed",
    "outcome",
    "location",
    "geo_precision",
    "places",
    "summary",
    "confidence",
    "source_count",
    "curated_fields",
    "created_at",
    "updated_at",
)
EXPANSIONS = ("sources", "evidence", "reports")
# Public order: the spec's fields (evidence and sources after confidence), then the service's own.
ALL_FIELDS = (*BASE_FIELDS[:21], "evidence", "sources", "reports", *BASE_FIELDS[21:])


@dataclass(slots=True)
class Expansion:
    """What `include=` adds to one incident."""

    sources: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)


def _aware(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None


def location_of(row: Row) -> dict[str, Any] | None:
    location = {
        "name": row["location_name"],
        "kind": row["location_kind"],
        "country": row["location_country"],
        "lat": row["lat"],
        "lon": row["lon"],
    }
    return location if any(value is not None for value in location.values()) else None


def incident_record(row: Row) -> dict[str, Any]:
    """The public base record of one incident row (spec field names)."""
    return {
        "id": row["id"],
        "date_start": row["date_start"],
        "date_end": row["date_end"],
        "date_precision": row["date_precision"],
        "date_text": row["date_text"],
        "origin_country": row["origin_country"],
        "destination_country": row["destination_country"],
        "transit_countries": list(row["transit_countries"] or []),
        "crossing": row["crossing"],
        "method": row["method"],
        "group_size": row["group_size"],
        "group_size_min": row["group_size_min"],
        "group_size_max": row["group_size_max"],
        "actor": row["actor"],
        "armed": row["armed"],
        "outcome": row["outcome"],
        "location": location_of(row),
        "geo_precision": row["geo_precision"],
        "places": list(row["places"] or []),
        "summary": row["summary"],
        "confidence": row["confidence"],
        "source_count": row["source_count"],
        "curated_fields": list(row["curated_fields"] or []),
        "created_at": _aware(row["created_at"]),
        "updated_at": _aware(row["updated_at"]),
    }


def shape(record: dict[str, Any], expansion: Expansion | None, fields: Sequence[str] | None) -> dict[str, Any]:
    """Add the expansions and keep only the selected fields, in the public order."""
    if expansion is not None:
        record = {**record, "sources": expansion.sources, "evidence": expansion.evidence, "reports": expansion.reports}
    wanted = set(fields) if fields is not None else set(BASE_FIELDS) | (set(EXPANSIONS) if expansion else set())
    wanted.add("id")
    return {name: record[name] for name in ALL_FIELDS if name in wanted and name in record}


def evidence_spans(evidence: Any, article_id: int) -> list[dict[str, Any]]:
    """A report's evidence as public spans `{field, text, start, end, article_id}` (malformed entries skipped)."""
    spans = []
    for item in evidence if isinstance(evidence, list) else []:
        if not isinstance(item, dict):
            continue
        start, end = item.get("start"), item.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        owner = item.get("article_id")
        spans.append(
            {
                "field": str(item.get("field", "")),
                "text": str(item.get("text", "")),
                "start": start,
                "end": end,
                "article_id": owner if isinstance(owner, int) and not isinstance(owner, bool) else article_id,
            }
        )
    return spans


def report_record(row: Row) -> dict[str, Any]:
    return {
        "id": row["report_id"],
        "article_id": row["article_id"],
        "ordinal": row["ordinal"],
        "confidence": row["report_confidence"],
        "extractor_version": row["extractor_version"],
        "created_at": _aware(row["report_created_at"]),
        "record": row["record"] if isinstance(row["record"], dict) else {},
        "evidence": row["evidence"] if isinstance(row["evidence"], list) else [],
    }


REPORT_COLUMNS = (
    REPORT.c.id.label("report_id"),
    REPORT.c.incident_id,
    REPORT.c.article_id,
    REPORT.c.ordinal,
    REPORT.c.record,
    REPORT.c.evidence,
    REPORT.c.confidence.label("report_confidence"),
    REPORT.c.extractor_version,
    REPORT.c.created_at.label("report_created_at"),
    ARTICLE.c.url,
    ARTICLE.c.title,
    ARTICLE.c.source,
    ARTICLE.c.published,
)


# Built once: a statement made per call costs more (construction and cache key) than these indexed reads do.
_EXPANSIONS = (
    sa.select(*REPORT_COLUMNS)
    .join(ARTICLE, ARTICLE.c.id == REPORT.c.article_id)
    .where(REPORT.c.incident_id.in_(sa.bindparam("incident_ids", expanding=True)))
    .order_by(REPORT.c.incident_id, ARTICLE.c.published.asc().nulls_last(), REPORT.c.article_id, REPORT.c.ordinal)
)
_INCIDENT_BY_ID = sa.select(INCIDENT).where(INCIDENT.c.id == sa.bindparam("incident_id"))


def load_expansions(conn: Connection, incident_ids: Sequence[int]) -> dict[int, Expansion]:
    """Sources, evidence and reports of every incident in `incident_ids`, in one query."""
    out: dict[int, Expansion] = {incident_id: Expansion() for incident_id in incident_ids}
    if not incident_ids:
        return out
    seen: set[tuple[int, int]] = set()
    for row in conn.execute(_EXPANSIONS, {"incident_ids": list(incident_ids)}).mappings():
        expansion = out[row["incident_id"]]
        if (row["incident_id"], row["article_id"]) not in seen:
            seen.add((row["incident_id"], row["article_id"]))
            expansion.sources.append(
                {
                    "article_id": row["article_id"],
                    "url": row["url"],
                    "title": row["title"],
                    "source": row["source"],
                    "published": row["published"],
                }
            )
        expansion.evidence.extend(evidence_spans(row["evidence"], row["article_id"]))
        expansion.reports.append(report_record(row))
    return out


def fetch_incident(conn: Connection, incident_id: int) -> dict[str, Any] | None:
    """The full public record of one incident (sources, evidence, reports), or None."""
    row = conn.execute(_INCIDENT_BY_ID, {"incident_id": incident_id}).mappings().first()
    if row is None:
        return None
    return shape(incident_record(row), load_expansions(conn, [incident_id])[incident_id], None)


# --- encodings ----------------------------------------------------------------------------------------------------


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


CSV_LOCATION = ("location_name", "location_kind", "location_country", "lat", "lon")


def csv_columns(fields: Sequence[str]) -> list[str]:
    columns: list[str] = []
    for name in fields:
        if name == "location":
            columns.extend(CSV_LOCATION)
        elif name == "sources":
            columns.extend(("source_article_ids", "source_urls"))
        else:
            columns.append(name)
    return columns


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def csv_row(record: Mapping[str, Any], fields: Sequence[str]) -> list[str]:
    """Flatten one record: lists of codes joined with ';', the location in five columns, nested objects as JSON."""
    cells: list[str] = []
    for name in fields:
        value = record.get(name)
        if name == "location":
            location = value or {}
            cells.extend(_cell(location.get(key)) for key in ("name", "kind", "country", "lat", "lon"))
        elif name in ("transit_countries", "curated_fields"):
            cells.append(";".join(str(v) for v in value or []))
        elif name == "places":
            cells.append(";".join(str(p.get("name") or "") for p in value or [] if isinstance(p, dict)))
        elif name == "sources":
            cells.append(";".join(str(s["article_id"]) for s in value or []))
            cells.append(";".join(s["url"] or "" for s in value or []))
        else:
            cells.append(_cell(value))
    return cells


# --- CSV straight from the columns -------------------------------------------------------------------------------
# An export of every incident is mostly per-row Python: parsing dates, datetimes and JSON into objects for the
# record, then formatting them back into cells. This path selects the columns without SQLAlchemy's type
# processing (SQLite hands back the stored ISO text and JSON text; PostgreSQL's driver its own objects) and turns
# each value into its cell with one small function per field. Same cells as `csv_row(shape(incident_record(row)))`.


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _iso_date(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else value.isoformat()


def _iso_utc(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " ":  # SQLAlchemy's SQLite text "YYYY-MM-DD HH:MM:SS.ffffff" (UTC)
            return (
                f"{value[:10]}T{value[11:19]}+00:00"
                if value.endswith(".000000")
                else f"{value[:10]}T{value[11:]}+00:00"
            )
        value = datetime.fromisoformat(value)
    return utc(value).isoformat()


def _flag(value: Any) -> str:
    return "" if value is None else ("true" if value else "false")


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _codes(value: Any) -> str:
    if value is None or value == "[]":
        return ""
    return ";".join(str(v) for v in _json(value) or [])


def _place_names(value: Any) -> str:
    if value is None or value == "[]":
        return ""
    return ";".join(str(p.get("name") or "") for p in _json(value) or [] if isinstance(p, dict))


_RAW = sa.String()
_CSV_CELLS: dict[str, tuple[tuple[str, str], ...]] = {
    "date_start": (("date_start", "_iso_date({})"),),
    "date_end": (("date_end", "_iso_date({})"),),
    "transit_countries": (("transit_countries", "_codes({})"),),
    "curated_fields": (("curated_fields", "_codes({})"),),
    "places": (("places", "_place_names({})"),),
    "armed": (("armed", "_flag({})"),),
    "created_at": (("created_at", "_iso_utc({})"),),
    "updated_at": (("updated_at", "_iso_utc({})"),),
}
_TEXT_CELL = '("" if {0} is None else {0})'  # text columns: the value itself
_OTHER_CELL = '("" if {0} is None else str({0}))'  # numbers
_TEXT_COLUMNS = frozenset(
    ("date_precision", "date_text", "origin_country", "destination_country", "crossing", "method", "actor", "outcome",
     "location_name", "location_kind", "location_country", "geo_precision", "summary")
)  # fmt: skip


class CsvColumns:
    """The columns to select for a CSV of `fields` (base fields only) and the function that makes a row's cells.

    The cell function is one generated list expression (a cell per column, no call for plain values): it runs a
    million times in a full export. It is built only from the fixed field and column names above.
    """

    def __init__(self, fields: Sequence[str]) -> None:
        cells: list[tuple[str, str]] = []
        for name in fields:
            if name == "location":
                cells.extend(
                    (column, _TEXT_CELL if column in _TEXT_COLUMNS else _OTHER_CELL) for column in CSV_LOCATION
                )
            elif name in _CSV_CELLS:
                cells.extend(_CSV_CELLS[name])
            else:
                cells.append((name, _TEXT_CELL if name in _TEXT_COLUMNS else _OTHER_CELL))
        names = list(dict.fromkeys(column for column, _ in cells))
        self.columns = [sa.type_coerce(INCIDENT.c[column], _RAW).label(column) for column in names]
        index = {column: i for i, column in enumerate(names)}
        body = ", ".join(template.format(f"r[{index[column]}]") for column, template in cells)
        namespace = {"_iso_date": _iso_date, "_iso_utc": _iso_utc, "_codes": _codes, "_place_names": _place_names,
                     "_flag": _flag}  # fmt: skip
        exec(f"def cells(r):\n    return [{body}]", namespace)
        self.cells: Any = namespace["cells"]

    @staticmethod
    def supports(fields: Sequence[str]) -> bool:
        return not any(name in EXPANSIONS for name in fields)


# --- records straight from the columns ---------------------------------------------------------------------------
# The list, its exports and its streams build the public record from untyped column values (see CsvColumns): no
# Date/DateTime/JSON result processing into objects that are then encoded back to text. Same values, once
# encoded, as `incident_record(row)`.


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _list(value: Any) -> list[Any]:
    parsed = _json(value)
    return list(parsed) if parsed else []


def _location(name: Any, kind: Any, country: Any, lat: Any, lon: Any) -> dict[str, Any] | None:
    if name is None and kind is None and country is None and lat is None and lon is None:
        return None
    return {"name": name, "kind": kind, "country": country, "lat": lat, "lon": lon}


_RECORD_VALUES = {
    "transit_countries": "_list({transit_countries})",
    "places": "_list({places})",
    "curated_fields": "_list({curated_fields})",
    "armed": "_bool({armed})",
    "date_start": "{date_start}",
    "date_end": "{date_end}",
    "created_at": "_iso_utc({created_at})",
    "updated_at": "_iso_utc({updated_at})",
    "location": "_location({location_name}, {location_kind}, {location_country}, {lat}, {lon})",
}


class RecordColumns:
    """Every incident column, untyped, and the function that makes the public base record of a row of them."""

    def __init__(self) -> None:
        names = list(INCIDENT.c.keys())
        self.columns = [sa.type_coerce(INCIDENT.c[name], _RAW).label(name) for name in names]
        self.width = len(names)
        index = {name: f"r[{i}]" for i, name in enumerate(names)}
        self.id, self.lat, self.lon = names.index("id"), names.index("lat"), names.index("lon")
        items = ", ".join(
            f'"{name}": ' + _RECORD_VALUES.get(name, "{" + name + "}").format(**index) for name in BASE_FIELDS
        )
        namespace = {"_list": _list, "_bool": _bool, "_iso_utc": _iso_utc, "_location": _location}
        exec(f"def record(r):\n    return {{{items}}}", namespace)
        self.record: Any = namespace["record"]


RECORD = RecordColumns()


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[str]], *, chunk: int = 64_000) -> Iterator[bytes]:
    """CSV text in chunks of about `chunk` bytes (header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > chunk:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


class GeoJSONWriter:
    """Streams a FeatureCollection: features first, then the bbox and the count of incidents left out."""

    def __init__(self) -> None:
        self.bbox: list[float] | None = None
        self.excluded = 0
        self._first = True

    def start(self) -> bytes:
        return b'{"type":"FeatureCollection","features":['

    def feature(self, record: dict[str, Any], lat: float | None, lon: float | None) -> bytes:
        if lat is None or lon is None:
            self.excluded += 1
            return b""
        if self.bbox is None:
            self.bbox = [lon, lat, lon, lat]
        else:
            box = self.bbox
            box[0], box[1], box[2], box[3] = min(box[0], lon), min(box[1], lat), max(box[2], lon), max(box[3], lat)
        feature = {
            "type": "Feature",
            "id": record["id"],
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": record,
        }
        prefix = b"" if self._first else b","
        self._first = False
        return prefix + dumps(feature)

    def end(self, next_url: str | None = None) -> bytes:
        tail: dict[str, Any] = {}
        if self.bbox is not None:
            tail["bbox"] = self.bbox
        tail["excluded_without_coordinates"] = self.excluded
        if next_url is not None:
            tail["next"] = next_url
        return b"]," + dumps(tail)[1:]
