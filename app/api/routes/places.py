"""The places incidents happened at."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query

from app.api import query
from app.api.deps import SessionDep
from app.api.filters import INCIDENT, IncidentFiltersDep
from app.schemas.place import PlaceList
from app.schemas.vocabulary import LOCATION_KINDS

router = APIRouter(prefix="/places", tags=["incidents"], dependencies=[Depends(query.reject_unknown_query_params)])


EXAMPLE = {
    "data": [
        {
            "name": "Hyesan",
            "kind": "city",
            "country": "PRK",
            "lat": 41.4017,
            "lon": 128.1775,
            "incidents": 3,
            "first_date": "2017-11-03",
            "last_date": "2021-03-02",
        }
    ],
    "total": 27,
}


@router.get(
    "",
    response_model=PlaceList,
    summary="List places",
    responses=query.documented(
        {"description": "The places, most incidents first.", "content": {"application/json": {"example": EXAMPLE}}},
        422,
    ),
)
def list_places(
    session: SessionDep,
    filters: IncidentFiltersDep,
    country: Annotated[
        str | None,
        Query(
            description="Country of the place: one or several comma-separated ISO 3166-1 alpha-3 codes.",
            examples=["PRK,CHN"],
            max_length=2000,
        ),
    ] = None,
    kind: Annotated[
        str | None,
        Query(description=f"Kind of place: any of {', '.join(LOCATION_KINDS)} (comma-separated).", examples=["city"]),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=query.MAX_LIMIT, description="At most this many places (1..1000).", examples=[100])
    ] = query.MAX_LIMIT,
) -> Any:
    """List the places incidents are located at (location and coordinates), with incident counts and date span."""
    countries = query.parse_countries("country", country)
    kinds = query.parse_choices("kind", kind, LOCATION_KINDS)
    conn = session.connection()
    c = INCIDENT.c
    conditions = [*filters.conditions(conn), sa.or_(c.location_name.is_not(None), c.lat.is_not(None))]
    if countries is not None:
        conditions.append(c.location_country.in_(countries))
    if kinds is not None:
        conditions.append(c.location_kind.in_(kinds))
    keys = (c.location_name, c.location_kind, c.location_country, c.lat, c.lon)
    grouped = (
        sa.select(
            c.location_name.label("name"),
            c.location_kind.label("kind"),
            c.location_country.label("country"),
            c.lat,
            c.lon,
            sa.func.count().label("incidents"),
            sa.func.min(sa.func.coalesce(c.date_start, c.date_end)).label("first_date"),
            sa.func.max(sa.func.coalesce(c.date_end, c.date_start)).label("last_date"),
        )
        .where(*conditions)
        .group_by(*keys)
    )
    total = conn.execute(sa.select(sa.func.count()).select_from(grouped.subquery())).scalar_one()
    ordered = grouped.order_by(
        sa.func.count().desc(), c.location_name.asc().nulls_last(), c.location_kind.asc().nulls_last(), c.lat, c.lon
    ).limit(limit)
    return {"data": [dict(row) for row in conn.execute(ordered).mappings()], "total": total}
