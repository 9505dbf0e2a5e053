"""Query, page and export incidents."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.engine import Connection, Engine

from app.api import query
from app.api.deps import EngineDep, SessionDep, SettingsDep, WriterDep
from app.api.filters import INCIDENT, IncidentFilters, IncidentFiltersDep
from app.api.records import (
    ALL_FIELDS,
    BASE_FIELDS,
    EXPANSIONS,
    Expansion,
    GeoJSONWriter,
    Row,
    csv_chunks,
    csv_columns,
    csv_row,
    dumps,
    fetch_incident,
    incident_record,
    load_expansions,
    shape,
)
from app.core.errors import ProblemError, bad_parameter, problem_responses
from app.ingestion.service import SubmissionError, correct_incident, incident_history
from app.schemas.incident import (
    EXAMPLE_GEOJSON,
    EXAMPLE_RECORD,
    GeoJSONFeatureCollection,
    IncidentDetail,
    IncidentList,
)
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
STREAM_BATCH = 500


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
def list_incidents(
    request: Request,
    session: SessionDep,
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
    fmt = query.negotiate(format, accept, FORMATS)
    page_size = query.parse_limit(limit, allow_all=fmt != "json")
    terms = query.parse_sort(sort, SORT_KEYS, default=DEFAULT_SORT)
    out_fields, expand = selected_fields(fields, include)
    codec = query.CursorCodec(settings, "incidents")
    start = codec.decode(cursor, terms) if cursor else None

    conn = session.connection()
    conditions = filters.conditions(conn)
    headers: dict[str, str] = {}
    total = None
    if count:
        total = conn.execute(sa.select(sa.func.count()).select_from(INCIDENT).where(*conditions)).scalar_one()
        headers["X-Total-Count"] = str(total)
    if fmt == "csv":
        headers["Content-Disposition"] = 'attachment; filename="incidents.csv"'

    if page_size is None:
        batches = _stream(engine, filters, terms, start, expand)
        first = next(batches, [])  # the first batch runs here, so a database error is still a problem+json 500
        body = _encode(fmt, itertools.chain([first], batches), out_fields)
        return StreamingResponse(body, media_type=query.MEDIA_TYPES[fmt], headers=headers)

    rows = _page(conn, conditions, terms, start, page_size + 1)
    more = len(rows) > page_size
    rows = rows[:page_size]
    next_link = None
    if more:
        next_link = query.next_url(request, codec.encode(terms, query.row_sort_values(terms, rows[-1])))
        headers |= query.link_header(next_link)
    expansions = load_expansions(conn, [row["id"] for row in rows]) if expand else {}
    page = [(row, expansions.get(row["id"])) for row in rows]

    if fmt == "json":
        data = [shape(incident_record(row), exp, out_fields) for row, exp in page]
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
def get_incident(
    session: SessionDep,
    incident_id: Annotated[int, Path(description="Id of the incident.", examples=[17])],
) -> Any:
    """Return one incident with every source, every article's own values and every evidence span."""
    record = fetch_incident(session.connection(), incident_id)
    if record is None:
        raise ProblemError(404, f"No incident with id {incident_id}.", slug="not-found")
    return record


# --- helpers ------------------------------------------------------------------------------------------------------


def _page(
    conn: Connection,
    conditions: Sequence[Any],
    terms: Sequence[query.SortTerm],
    start: Sequence[Any] | None,
    size: int,
) -> list[Row]:
    stmt = sa.select(INCIDENT).where(*conditions)
    if start is not None:
        stmt = stmt.where(query.after(terms, start))
    return list(conn.execute(stmt.order_by(*query.order_by(terms)).limit(size)).mappings().all())


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
        conditions = filters.conditions(conn)
        position = start
        while True:
            rows = _page(conn, conditions, terms, position, STREAM_BATCH)
            expansions = load_expansions(conn, [row["id"] for row in rows]) if expand else {}
            conn.rollback()
            if not rows:
                return
            yield [(row, expansions.get(row["id"])) for row in rows]
            if len(rows) < STREAM_BATCH:
                return
            position = query.row_sort_values(terms, rows[-1])


def _encode(
    fmt: str,
    batches: Iterator[list[tuple[Row, Expansion | None]]],
    fields: Sequence[str],
    *,
    next_link: str | None = None,
) -> Iterator[bytes]:
    records = ((row, shape(incident_record(row), exp, fields)) for batch in batches for row, exp in batch)
    if fmt == "ndjson":
        for _row, record in records:
            yield dumps(record) + b"\n"
    elif fmt == "csv":
        yield from csv_chunks(csv_columns(fields), (csv_row(record, fields) for _row, record in records))
    elif fmt == "geojson":
        writer = GeoJSONWriter()
        yield writer.start()
        for row, record in records:
            chunk = writer.feature(record, row["lat"], row["lon"])
            if chunk:
                yield chunk
        yield writer.end(next_link)
    else:  # pragma: no cover - negotiate() only returns known formats
        raise ValueError(fmt)


@router.patch(
    "/{incident_id}",
    response_model=IncidentDetail,
    summary="Correct an incident",
    responses=problem_responses(401, 404, 413, 422, 429),
)
def update_incident(
    payload: IncidentUpdate,
    principal: WriterDep,
    engine: EngineDep,
    incident_id: Annotated[int, Path(description="Id of the incident.", examples=[17])],
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
    incident_id: Annotated[int, Path(description="Id of the incident.", examples=[17])],
) -> list[IncidentChangePublic]:
    """List every analyst correction of an incident: who, when, the fields before and after, oldest first."""
    changes = incident_history(engine, incident_id)
    if changes is None:
        raise ProblemError(404, f"No incident with id {incident_id}.", slug="not-found")
    return [IncidentChangePublic.model_validate(change, from_attributes=True) for change in changes]
