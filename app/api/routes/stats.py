"""Aggregate counts of incidents and people."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response
from sqlalchemy.sql.elements import ColumnElement

from app.api import query
from app.api.deps import SessionDep
from app.api.filters import INCIDENT, IncidentFiltersDep
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
def stats(
    session: SessionDep,
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

    conn = session.connection()
    conditions = filters.conditions(conn)
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
    totals = conn.execute(sa.select(sa.func.count(), people).select_from(INCIDENT).where(*conditions)).one()

    if fmt == "csv":
        header = [*keys, "incidents", "people"]
        table = ([("" if row[name] is None else str(row[name])) for name in header] for row in rows)
        return Response(b"".join(csv_chunks(header, table)), media_type=query.MEDIA_TYPES["csv"])
    body = {"group_by": keys, "data": rows, "total": {"incidents": totals[0], "people": int(totals[1])}}
    return Response(dumps(body), media_type=query.MEDIA_TYPES["json"])
