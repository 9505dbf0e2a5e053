"""Query, page and export incidents."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Annotated, Any

import anyio
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.engine import Connection, Engine

from app.api import query
from app.api.deps import ConnectionDep, EngineDep, SettingsDep, WriterDep
from app.api.filters import INCIDENT, IncidentFilters, IncidentFiltersDep
from app.api.records import (
    ALL_FIELDS,
    BASE_FIELDS,
    EXPANSIONS,
    RECORD,
    CsvColumns,
    Expansion,
    GeoJSONWriter,
    Row,
    csv_chunks,
    csv_columns,
    csv_row,
    dumps,
    fetch_incident,
    load_expansions,
    shape,
)
from app.core.config import Settings
from app.core.errors import ProblemError, bad_parameter, problem_responses
from app.ingestion.service import SubmissionError, correct_incident, incident_history
from app.schemas.incident import (
    EXAMPLE_GEOJSON,
    EXAMPLE_RECORD,
    GeoJSONFeatureCollection,
    IncidentDetail,
    IncidentList,
)
from app.schemas.vocabulary import MAX_ID, MIN_ID
from app.schemas.write import IncidentChangePublic, IncidentUpdate

router = APIRouter(prefix="/incidents", tags=["incidents"], dependencies=[Depends(query.reject_unknown_query_params)])

SORTABLE: tuple[tuple[str, query.KeyKind, bool], ...] = (
    ("date_start", "date", True),
    ("date_end", "date", True),
    ("group_size", "int", True),
    ("confidence", "float", False),
    ("updated_at", "datetime", False),
    ("source_count", "int", False),
    ("id", "int", False),
)
SORT_KEYS: dict[str, query.SortKey] = {
    name: query.SortKey(name, INCIDENT.c[name], kind, nullable) for name, kind, nullable in SORTABLE
}
DEFAULT_SORT = "-date_start"
FORMATS = ("json", "csv", "ndjson", "geojson")
STREAM_BATCH = 2000


EXPORT_CONTENT: dict[str, Any] = {
    "application/json": {
        "example": {
            "data": [EXAMPLE_RECORD],
            "next": "http://127.0.0.1:8000/incidents?destination=CHN&limit=1&cursor=eyJzIjoiLWRhdGVfc3RhcnQsaWQiLCJ2Ij"
            "pbIjIwMjEtMDMtMDIiLDE3XX0.bJ0m1c3rC5Vx0k9qY2i8xg",
            "total": 3,
        }
    },
    "text/csv": {
        "schema": {"type": "string"},
        "example": "id,date_start,date_end,origin_country,destination_country,transit_countries,group_size\r\n"
        "17,2021-03-02,2021-03-02,PRK,CHN,,6\r\n",
    },
    "application/x-ndjson": {
        "schema": {"type": "string"},
        "example": '{"id":17,"date_start":"2021-03-02","destination_country":"CHN","group_size":6}\n',
    },
    "application/geo+json": {
        "schema": GeoJSONFeatureCollection.model_json_schema(),
        "example": EXAMPLE_GEOJSON,
    },
}


EXAMPLE_DETAIL: dict[str, Any] = {
    **EXAMPLE_RECORD,
    "evidence": [{"field": "group_size", "text": "Six", "start": 10, "end": 13, "article_id": 3}],
    "sources": [
        {
            "article_id": 3,
            "url": "https://example.org/hyesan-guards",
            "title": "Six armed border guards flee across the Yalu",
            "source": "Border Desk",
            "published": "2021-03-25",
        }
    ],
    "reports": [
        {
            "id": 40,
            "article_id": 3,
            "ordinal": 0,
            "confidence": 0.92,
            "extractor_version": "1.0",
            "created_at": "2026-11-25T08:00:00+00:00",
            "record": {"group_size": 6, "destination_country": "CHN"},
            "evidence": [
                {"field": "group_size", "text": "Six", "start": 10, "end": 13, "rule": "count", "article_id": 3}
            ],
        }
    ],
}

# --- parameters ---------------------------------------------------------------------------------------------------

SortParam = Annotated[
    str | None,
    Query(
        description="Comma-separated sort keys, `-` for descending: date_start, date_end, group_size, confidence, "
        "updated_at, source_count, id. Nulls sort last; `id` always breaks ties. Default `-date_start`.",
        examples=["-date_start,group_size"],
    ),
]
LimitParam = Annotated[
    str | None,
    Query(
        description="Page size, 1..1000 (default 50). `all` streams every matching row (csv, ndjson, geojson only).",
        examples=["100"],
    ),
]
CursorParam = Annotated[
    str | None,
    Query(
        description="Opaque position from a previous page's `next` (or Link header); keep the other parameters.",
        examples=["eyJzIjoiLWRhdGVfc3RhcnQsaWQiLCJ2IjpbIjIwMjEtMDMtMDIiLDE3XX0.bJ0m1c3rC5Vx0k9qY2i8xg"],
        max_length=2000,
    ),
]
CountParam = Annotated[
    bool, Query(description="Also count every matching row (`total`, and the X-Total-Count header).", examples=[True])
]
FieldsParam = Annotated[
    str | None,
    Query(
        description=f"Comma-separated top-level fields to return (id is always included): {', '.join(ALL_FIELDS)}.",
        examples=["id,date_start,destination_country,group_size"],
    ),
]
IncludeParam = Annotated[
    str | None,
    Query(
        description="Expansions: sources (articles that reported it), evidence (spans with article_id), reports "
        "(each article's own values).",
        examples=["sources,evidence"],
    ),
]
FormatParam = Annotated[
    str | None,
    Query(
        description="json (default), csv, ndjson or geojson. Without it the Accept header decides "
        "(text/csv, application/x-ndjson, application/geo+json).",
        examples=["csv"],
    ),
]
AcceptHeader = Annotated[
    str | None,
    Header(description="Alternative to `format=`.", examples=["application/geo+json"], include_in_schema=True),
]


def selected_fields(fields: str | None, include: str | None) -> tuple[list[str], bool]:
    """The output fields in public order, and whether any expansion must be loaded."""
    chosen = query.parse_fields("fields", fields, ALL_FIELDS)
    expansions = query.parse_choices("include", include, EXPANSIONS) or []
    wanted = set(chosen) if chosen is not None else set(BASE_FIELDS)
    wanted |= set(expansions)
    wanted.add("id")
    ordered = [name for name in ALL_FIELDS if name in wanted]
    return ordered, any(name in EXPANSIONS for name in ordered)


# --- routes -------------------------------------------------------------------------------------------------------


@router.get(
    "",
    response_model=IncidentList,
    summary="List incidents",
    responses=query.documented(
        {"description": "A page of incidents, or an export.", "content": EXPORT_CONTENT}, 400, 422
    ),
)
async def list_incidents(
    request: Request,
    conn: ConnectionDep,
    settings: SettingsDep,
    engine: EngineDep,
    filters: IncidentFiltersDep,
    sort: SortParam = None,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    count: CountParam = False,
    fields: FieldsParam = None,
    include: IncludeParam = None,
    format: FormatParam = None,
    accept: AcceptHeader = None,
) -> Response:
    """Filter, sort and page incidents (keyset cursors), as JSON, CSV, NDJSON or GeoJSON."""
    work = functools.partial(
        _list_incidents, request, conn, settings, engine, filters, sort, limit, cursor, count, fields, include
    )
    return await anyio.to_thread.run_sync(work, format, accept, limiter=LIST_THREADS)


# The list runs its queries in worker threads, at most this many at a time per process: the work is CPU-bound under
# the GIL, so more threads only add contention, connections and per-connection page caches (memory).
LIST_THREADS = anyio.CapacityLimiter(4)


def _list_incidents(
    request: Request,
    conn: Connection,
    settings: Settings,
    engine: Engine,
    filters: IncidentFilters,
    sort: str | None,
    limit: str | None,
    cursor: str | None,
    count: bool,
    fields: str | None,
    include: str | None,
    format: str | None,
    accept: str | None,
) -> Response:
    fmt = query.negotiate(format, accept, FORMATS)
    page_size = query.parse_limit(limit, allow_all=fmt != "json")
    terms = query.parse_sort(sort, SORT_KEYS, default=DEFAULT_SORT)
    out_fields, expand = selected_fields(fields, include)
    codec = query.CursorCodec(settings, "incidents")
    start = codec.decode(cursor, terms) if cursor else None

    conditions = filters.conditions(conn, ordered_scan=True)
    headers: dict[str, str] = {}
    total = None
    if count:
        counted = filters.conditions(conn)
        total = conn.execute(sa.select(sa.func.count()).select_from(INCIDENT).where(*counted)).scalar_one()
        headers["X-Total-Count"] = str(total)
    if fmt == "csv":
        headers["Content-Disposition"] = 'attachment; filename="incidents.csv"'

    if page_size is None and fmt == "csv" and CsvColumns.supports(out_fields):
        chunks = _csv_export(engine, filters, terms, start, out_fields)
        first_chunk = next(chunks)  # the header and first batch run here, so a database error is still a 500
        return StreamingResponse(
            itertools.chain([first_chunk], chunks), media_type=query.MEDIA_TYPES[fmt], headers=headers
        )
    if page_size is None:
        batches = _stream(engine, filters, terms, start, expand)
        first = next(batches, [])  # the first batch runs here, so a database error is still a problem+json 500
        body = _encode(fmt, itertools.chain([first], batches), out_fields)
        return StreamingResponse(body, media_type=query.MEDIA_TYPES[fmt], headers=headers)

    rows = _page(conn, conditions, terms, start, page_size + 1, RECORD.columns)
    more = len(rows) > page_size
    rows = rows[:page_size]
    next_link = None
    if more:
        next_link = query.next_url(request, codec.encode(terms, _position(terms, rows[-1][RECORD.width :])))
        headers |= query.link_header(next_link)
    expansions = load_expansions(conn, [row[RECORD.id] for row in rows]) if expand else {}
    page = [(row, expansions.get(row[RECORD.id])) for row in rows]

    if fmt == "json":
        if not expand and tuple(out_fields) == BASE_FIELDS:  # the whole base record, already in public order
            data = [RECORD.record(row) for row in rows]
        else:
            data = [shape(RECORD.record(row), exp, out_fields) for row, exp in page]
        body_json: dict[str, Any] = {"data": data, "next": next_link}
        if total is not None:
            body_json["total"] = total
        return Response(dumps(body_json), media_type=query.MEDIA_TYPES["json"], headers=headers)
    content = b"".join(_encode(fmt, iter([page]), out_fields, next_link=next_link))
    return Response(content, media_type=query.MEDIA_TYPES[fmt], headers=headers)


@router.get(
    "/{incident_id}",
    response_model=IncidentDetail,
    summary="Get one incident",
    responses=query.documented(
        {
            "description": "The incident, with sources, evidence and reports.",
            "content": {"application/json": {"example": EXAMPLE_DETAIL}},
        },
        404,
        422,
    ),
)
async def get_incident(
    conn: ConnectionDep,
    incident_id: Annotated[int, Path(ge=MIN_ID, le=MAX_ID, description="Id of the incident.", examples=[17])],
) -> Response:
    """Return one incident with every source, every article's own values and every evidence span."""
    # Two indexed point reads (the row, then its reports with their articles): cheaper to run here than the hop to
    # the thread pool they would otherwise take. The per-statement time budget still bounds them.
    record = fetch_incident(conn, incident_id)
    if record is None:
        raise ProblemError(404, f"No incident with id {incident_id}.", slug="not-found")
    # Encoded here with orjson (as the list and PATCH do), not validated a second time through the response model.
    return Response(dumps(record), media_type=query.MEDIA_TYPES["json"])


# --- helpers ------------------------------------------------------------------------------------------------------


def _page(
    conn: Connection,
    conditions: Sequence[Any],
    terms: Sequence[query.SortTerm],
    start: Sequence[Any] | None,
    size: int,
    columns: Sequence[Any] | None = None,
) -> list[Any]:
    """Up to `size` rows after the keyset position `start` (from the beginning when None), in the order of `terms`:
    mappings of every incident column, or tuples of `columns` followed by the sort keys when given.

    Written so an index on the first sort key can serve it: the position is a range on that key (`key <= v`, then
    the ties) rather than an OR the planner cannot seek with, and a nullable first key is read as two index
    ranges in one statement, its non-null values in plain order (which the index has) and then its nulls (which
    sort last), instead of one `NULLS LAST` order that no SQLite index provides. Same rows, same order.
    """
    first, rest = terms[0], terms[1:]
    column = first.key.column
    rest_order = query.order_by(rest)
    selected = (INCIDENT,) if columns is None else (*columns, *(t.key.column for t in terms))

    def fetch(stmt: Any) -> list[Any]:
        result = conn.execute(stmt)
        if columns is None:
            return list(result.mappings().all())
        # Plain driver tuples: the selected columns are untyped, and the sort keys are read back by `_position`.
        rows = list(result.cursor.fetchall()) if result.cursor is not None else []
        result.close()
        return rows

    if start is not None and start[0] is None:  # already among the nulls of the first key
        stmt = sa.select(*selected).where(*conditions, column.is_(None), query.after(rest, start[1:]))
        return fetch(stmt.order_by(*rest_order).limit(size))
    ahead = list(conditions)
    if start is not None:
        value = start[0]
        ahead.append(column <= value if first.descending else column >= value)
        ahead.append(
            sa.or_(
                column < value if first.descending else column > value,
                sa.and_(column == value, query.after(rest, start[1:])),
            )
        )
    ordered = column.desc() if first.descending else column.asc()
    if not first.key.nullable:
        return fetch(sa.select(*selected).where(*ahead).order_by(ordered, *rest_order).limit(size))
    # Two index ranges: the non-null values in plain order, then the nulls. The second statement always runs (so a
    # page costs the same number of statements whatever its size), limited to what the first left over: SQLite and
    # PostgreSQL skip the scan of a LIMIT 0.
    rows = fetch(sa.select(*selected).where(*ahead, column.is_not(None)).order_by(ordered, *rest_order).limit(size))
    nulls = sa.select(*selected).where(*conditions, column.is_(None)).order_by(*rest_order)
    rows.extend(fetch(nulls.limit(size - len(rows))))
    return rows


def _stream(
    engine: Engine,
    filters: IncidentFilters,
    terms: Sequence[query.SortTerm],
    start: Sequence[Any] | None,
    expand: bool,
) -> Iterator[list[tuple[Row, Expansion | None]]]:
    """Every matching row, in keyset batches on a connection of its own: constant memory, no OFFSET, and the read
    transaction ends between batches (so a long export never holds one snapshot open)."""
    with engine.connect() as conn:
        conditions = filters.conditions(conn, ordered_scan=True)
        position = start
        while True:
            rows = _page(conn, conditions, terms, position, STREAM_BATCH, RECORD.columns)
            expansions = load_expansions(conn, [row[RECORD.id] for row in rows]) if expand else {}
            conn.rollback()
            if not rows:
                return
            yield [(row, expansions.get(row[RECORD.id])) for row in rows]
            if len(rows) < STREAM_BATCH:
                return
            position = _position(terms, rows[-1][RECORD.width :])


def _csv_export(
    engine: Engine,
    filters: IncidentFilters,
    terms: Sequence[query.SortTerm],
    start: Sequence[Any] | None,
    fields: Sequence[str],
) -> Iterator[bytes]:
    """Every matching row as CSV, in keyset batches like `_stream`, formatted straight from the columns."""
    plan = CsvColumns(fields)
    width = len(plan.columns)

    def rows() -> Iterator[list[str]]:
        with engine.connect() as conn:
            conditions = filters.conditions(conn, ordered_scan=True)
            position = start
            while True:
                batch = _page(conn, conditions, terms, position, STREAM_BATCH, plan.columns)
                conn.rollback()
                for row in batch:
                    yield plan.cells(row)
                if len(batch) < STREAM_BATCH:
                    return
                position = _position(terms, batch[-1][width:])

    # Larger chunks than a page's: each one is a hop from the worker thread to the event loop and a socket write.
    return csv_chunks(csv_columns(fields), rows(), chunk=512_000)


def _position(terms: Sequence[query.SortTerm], values: Sequence[Any]) -> list[Any]:
    """Keyset values read as driver values (SQLite: ISO text for dates) back in the sort keys' Python types."""
    out: list[Any] = []
    for term, value in zip(terms, values, strict=True):
        if isinstance(value, str) and term.key.kind == "date":
            value = date.fromisoformat(value)
        elif isinstance(value, str) and term.key.kind == "datetime":
            value = datetime.fromisoformat(value)
        out.append(value)
    return out


def _encode(
    fmt: str,
    batches: Iterator[list[tuple[Row, Expansion | None]]],
    fields: Sequence[str],
    *,
    next_link: str | None = None,
) -> Iterator[bytes]:
    records = ((row, shape(RECORD.record(row), exp, fields)) for batch in batches for row, exp in batch)
    if fmt == "ndjson":
        for _row, record in records:
            yield dumps(record) + b"\n"
    elif fmt == "csv":
        yield from csv_chunks(csv_columns(fields), (csv_row(record, fields) for _row, record in records))
    elif fmt == "geojson":
        writer = GeoJSONWriter()
        yield writer.start()
        for row, record in records:
            chunk = writer.feature(record, row[RECORD.lat], row[RECORD.lon])
            if chunk:
                yield chunk
        yield writer.end(next_link)
    else:  # pragma: no cover - negotiate() only returns known formats
        raise ValueError(fmt)


@router.patch(
    "/{incident_id}",
    response_model=IncidentDetail,
    summary="Correct an incident",
    responses=problem_responses(400, 401, 404, 413, 422, 429),
)
def update_incident(
    payload: IncidentUpdate,
    principal: WriterDep,
    engine: EngineDep,
    incident_id: Annotated[int, Path(ge=MIN_ID, le=MAX_ID, description="Id of the incident.", examples=[17])],
) -> Response:
    """Correct fields of an incident; they become curated (kept through re-extraction) and the change is recorded."""
    try:
        updated = correct_incident(engine, incident_id, payload.changes(), by=principal.name)
    except SubmissionError as exc:
        raise bad_parameter(exc.field or "body", str(exc), location="body") from None
    if updated is None:
        raise ProblemError(404, f"No incident with id {incident_id}.", slug="not-found")
    with engine.connect() as conn:  # a fresh snapshot that sees the correction
        record = fetch_incident(conn, incident_id)
    return Response(dumps(record), media_type=query.MEDIA_TYPES["json"])


@router.get(
    "/{incident_id}/history",
    response_model=list[IncidentChangePublic],
    summary="Correction history of an incident",
    responses=problem_responses(404, 422),
)
def incident_changes(
    engine: EngineDep,
    incident_id: Annotated[int, Path(ge=MIN_ID, le=MAX_ID, description="Id of the incident.", examples=[17])],
) -> list[IncidentChangePublic]:
    """List every analyst correction of an incident: who, when, the fields before and after, oldest first."""
    changes = incident_history(engine, incident_id)
    if changes is None:
        raise ProblemError(404, f"No incident with id {incident_id}.", slug="not-found")
    return [IncidentChangePublic.model_validate(change, from_attributes=True) for change in changes]
