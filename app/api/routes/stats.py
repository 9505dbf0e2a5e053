"""Aggregate counts of incidents and people."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from starlette.concurrency import run_in_threadpool

from app.api import query
from app.api.deps import ConnectionDep
from app.api.filters import DATA_VERSION, INCIDENT, IncidentFilters, IncidentFiltersDep
from app.api.records import csv_chunks, dumps
from app.core.errors import bad_parameter
from app.schemas.stats import StatsResponse

router = APIRouter(prefix="/stats", tags=["incidents"], dependencies=[Depends(query.reject_unknown_query_params)])

GROUP_KEYS = ("year", "month", "origin", "destination", "method", "actor", "crossing", "outcome")
_COLUMNS = {
    "origin": "origin_country",
    "destination": "destination_country",
    "method": "method",
    "actor": "actor",
    "crossing": "crossing",
    "outcome": "outcome",
}
FORMATS = ("json", "csv")


def group_expression(key: str, dialect: str) -> ColumnElement[Any]:
    if key == "year":
        return query.year_of(INCIDENT.c.date_start, dialect)
    if key == "month":
        return query.month_of(INCIDENT.c.date_start, dialect)
    return INCIDENT.c[_COLUMNS[key]]


@router.get(
    "",
    response_model=StatsResponse,
    summary="Count incidents and people",
    responses=query.documented(
        {
            "description": "The groups and their counts.",
            "content": {
                "application/json": {
                    "example": {
                        "group_by": ["year", "destination"],
                        "data": [
                            {"year": 2021, "destination": "CHN", "incidents": 4, "people": 15},
                            {"year": 2021, "destination": "KOR", "incidents": 2, "people": 3},
                        ],
                        "total": {"incidents": 6, "people": 18},
                    }
                },
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "year,destination,incidents,people\r\n2021,CHN,4,15\r\n2021,KOR,2,3\r\n",
                },
            },
        },
        422,
    ),
)
async def stats(
    conn: ConnectionDep,
    filters: IncidentFiltersDep,
    group_by: Annotated[
        str,
        Query(
            description=f"One or two comma-separated keys: {', '.join(GROUP_KEYS)} (year and month from date_start).",
            examples=["year,destination"],
        ),
    ] = "year",
    format: Annotated[
        str | None,
        Query(description="json (default) or csv; without it the Accept header decides.", examples=["csv"]),
    ] = None,
    accept: Annotated[str | None, Header(description="Alternative to `format=`.", examples=["text/csv"])] = None,
) -> Response:
    """Count incidents and sum people (group_size, else group_size_min) per group, under the /incidents filters."""
    fmt = query.negotiate(format, accept, FORMATS)
    keys = query.parse_choices("group_by", group_by, GROUP_KEYS) or []
    if not 1 <= len(keys) <= 2:
        raise bad_parameter("group_by", "one or two keys")

    # A cached answer is one primary-key read, done here; computing one scans, so it goes to the thread pool.
    version = conn.execute(_VERSION).scalar()
    hit = _cached(_cache_key(conn, filters, keys), version) if version is not None else None
    rows, totals = hit if hit is not None else await run_in_threadpool(_aggregate, conn, filters, keys)

    if fmt == "csv":
        header = [*keys, "incidents", "people"]
        table = ([("" if row[name] is None else str(row[name])) for name in header] for row in rows)
        return Response(b"".join(csv_chunks(header, table)), media_type=query.MEDIA_TYPES["csv"])
    body = {"group_by": keys, "data": rows, "total": totals}
    return Response(dumps(body), media_type=query.MEDIA_TYPES["json"])


# Answers by (database, filters, keys), each with the data version it was computed at (migration 0003 bumps
# `data_version` on every write to incident, report or article): a repeated question costs one primary-key read
# until the data changes. Bounded; per process.
_CACHE: OrderedDict[tuple[str, str, tuple[str, ...]], tuple[int, list[dict[str, Any]], dict[str, int]]] = OrderedDict()
CACHE_SIZE = 256
_VERSION = sa.select(DATA_VERSION.c.version).where(DATA_VERSION.c.id == 1)
_LOCKS: dict[tuple[str, str, tuple[str, ...]], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _aggregate(
    conn: Connection, filters: IncidentFilters, keys: list[str]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    version = conn.execute(_VERSION).scalar()
    cache_key = _cache_key(conn, filters, keys)
    if version is None:
        return _compute(conn, filters, keys)
    hit = _cached(cache_key, version)
    if hit is not None:
        return hit
    # One computation per question at a time: concurrent askers wait for it instead of all scanning at once.
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(cache_key, threading.Lock())
    with lock:
        hit = _cached(cache_key, version)
        if hit is not None:
            return hit
        rows, totals = _compute(conn, filters, keys)
        _CACHE[cache_key] = (version, rows, totals)
        _CACHE.move_to_end(cache_key)
        while len(_CACHE) > CACHE_SIZE:
            evicted, _ = _CACHE.popitem(last=False)
            _LOCKS.pop(evicted, None)
    return rows, totals


def _cache_key(conn: Connection, filters: IncidentFilters, keys: list[str]) -> tuple[str, str, tuple[str, ...]]:
    return (conn.engine.url.render_as_string(hide_password=True), repr(filters), tuple(keys))


def _cached(cache_key: tuple[str, str, tuple[str, ...]], version: int) -> Any:
    hit = _CACHE.get(cache_key)
    if hit is None or hit[0] != version:
        return None
    return hit[1], hit[2]  # shared, read-only: the encoders below only read them


def _compute(
    conn: Connection, filters: IncidentFilters, keys: list[str]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    # The broad filters are kept off their own indexes so the covering index ix_incident_stats is read instead of
    # the wide rows (see IncidentFilters.conditions).
    conditions = filters.conditions(conn, ordered_scan=True)
    expressions = [group_expression(key, conn.dialect.name) for key in keys]
    people = sa.func.coalesce(sa.func.sum(sa.func.coalesce(INCIDENT.c.group_size, INCIDENT.c.group_size_min)), 0)
    stmt = (
        sa.select(*(e.label(k) for e, k in zip(expressions, keys, strict=True)), sa.func.count().label("incidents"))
        .add_columns(people.label("people"))
        .where(*conditions)
        .group_by(*expressions)
        .order_by(*(e.asc().nulls_last() for e in expressions))
    )
    rows = [dict(row) for row in conn.execute(stmt).mappings()]
    for row in rows:
        row["people"] = int(row["people"])
    # Every matching incident is in exactly one group (null keys make groups of their own): the totals are sums.
    totals = {"incidents": sum(row["incidents"] for row in rows), "people": sum(row["people"] for row in rows)}
    return rows, totals
