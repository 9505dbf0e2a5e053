"""The incident filters, shared by /incidents, /stats and /places: parsed once from the query string, turned into
SQL conditions in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Query
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel

from app.api import query
from app.core.errors import bad_parameter
from app.models import Article, DataVersion, Incident, Report
from app.schemas.vocabulary import ACTORS, DATE_PRECISIONS, MAX_COUNT, MAX_ID, METHODS, OUTCOMES, IsoDate, IsoDatetime

INCIDENT: sa.Table = SQLModel.metadata.tables[Incident.__tablename__]
REPORT: sa.Table = SQLModel.metadata.tables[Report.__tablename__]
ARTICLE: sa.Table = SQLModel.metadata.tables[Article.__tablename__]
DATA_VERSION: sa.Table = SQLModel.metadata.tables[DataVersion.__tablename__]


@dataclass(frozen=True, kw_only=True, slots=True)
class IncidentFilters:
    """Validated incident filters; every field None means "no constraint"."""

    date_from: date | None = None
    date_to: date | None = None
    origin: list[str] | None = None
    destination: list[str] | None = None
    transit: list[str] | None = None
    method: list[str] | None = None
    actor: list[str] | None = None
    crossing: list[str] | None = None
    outcome: list[str] | None = None
    date_precision: list[str] | None = None
    armed: bool | None = None
    min_size: int | None = None
    max_size: int | None = None
    min_sources: int | None = None
    min_confidence: float | None = None
    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    q: list[str] | None = None
    source: str | None = None
    article_id: int | None = None
    updated_since: datetime | None = None

    def conditions(self, conn: Connection, *, ordered_scan: bool = False) -> list[ColumnElement[bool]]:
        """SQL conditions (ANDed) selecting the matching incidents, for the database behind `conn`.

        `ordered_scan`: on SQLite, keep the planner off the indexes of the broad filters (country, method, actor,
        outcome, precision, sizes, sources, confidence, bbox) with SQLite's unary `+`. Without statistics it takes
        any equality on an index for a few rows, so `origin=PRK` (most rows) would read every PRK incident and
        sort them; walking the sort index (or the covering stats index) and testing these cheap conditions on the
        way stops after `limit` matches. The narrow filters (q, source, article_id, near, updated_since) keep
        their indexes.
        """
        dialect = conn.dialect.name
        c: Any = _UnindexedColumns() if ordered_scan and dialect == "sqlite" else INCIDENT.c
        out: list[ColumnElement[bool]] = []
        start = sa.func.coalesce(c.date_start, c.date_end)
        end = sa.func.coalesce(c.date_end, c.date_start)
        if self.date_from is not None:
            out.append(end >= self.date_from)
        if self.date_to is not None:
            out.append(start <= self.date_to)
        for column, values in (
            (c.origin_country, self.origin),
            (c.destination_country, self.destination),
            (c.method, self.method),
            (c.actor, self.actor),
            (c.outcome, self.outcome),
            (c.date_precision, self.date_precision),
        ):
            if values is not None:
                out.append(column.in_(values))
        if self.crossing is not None:
            out.append(sa.func.lower(c.crossing).in_([value.lower() for value in self.crossing]))
        if self.transit is not None:
            # Portable JSON containment: the codes are validated [A-Z]{3}, and a JSON array of strings always
            # holds each element between double quotes, on SQLite (text) and PostgreSQL (json) alike.
            document = sa.func.upper(sa.cast(c.transit_countries, sa.Text))
            out.append(sa.or_(*(document.like(f'%"{code}"%') for code in self.transit)))
        if self.armed is not None:
            out.append(c.armed.is_(self.armed))
        if self.min_size is not None:
            out.append(sa.func.coalesce(c.group_size, c.group_size_min) >= self.min_size)
        if self.max_size is not None:
            out.append(sa.func.coalesce(c.group_size, c.group_size_max) <= self.max_size)
        if self.min_sources is not None:
            out.append(c.source_count >= self.min_sources)
        if self.min_confidence is not None:
            out.append(c.confidence >= self.min_confidence)
        if self.bbox is not None:
            west, south, east, north = self.bbox
            out.append(c.lat.between(south, north))
            out.append(query.lon_between(c.lon, west, east))
        c = INCIDENT.c
        if self.near is not None and self.radius_km is not None:
            lat, lon = self.near
            min_lat, max_lat, lon_ranges = query.around(lat, lon, self.radius_km)
            out.append(c.lat.between(min_lat, max_lat))
            if lon_ranges is not None:
                out.append(sa.or_(*(c.lon.between(west, east) for west, east in lon_ranges)))
            query.prepare_connection(conn)
            out.append(query.distance_km(c.lat, c.lon, lat, lon, dialect) <= self.radius_km)
        if self.q is not None:
            out.append(query.incident_text_match(c.id, self.q, dialect))
        if self.source is not None:
            publishers = (
                sa.select(REPORT.c.incident_id)
                .join(ARTICLE, ARTICLE.c.id == REPORT.c.article_id)
                .where(sa.func.lower(ARTICLE.c.source) == self.source.lower())
            )
            out.append(c.id.in_(publishers))
        if self.article_id is not None:
            out.append(c.id.in_(sa.select(REPORT.c.incident_id).where(REPORT.c.article_id == self.article_id)))
        if self.updated_since is not None:
            out.append(c.updated_at >= self.updated_since)
        return out


class _UnindexedColumns:
    """`INCIDENT.c` with each column as `+incident.<name>`: the same value, but no index can serve it (SQLite)."""

    def __getattr__(self, name: str) -> ColumnElement[Any]:
        column = INCIDENT.c[name]
        return sa.literal_column(f"+{INCIDENT.name}.{column.name}", type_=column.type)


COUNTRY_HELP = "one or several comma-separated ISO 3166-1 alpha-3 codes, case-insensitive"


async def incident_filters(
    date_from: Annotated[
        IsoDate | None,
        Query(
            description="Incidents whose [date_start, date_end] window reaches this day or later (ISO date). "
            "Incidents without dates never match a date filter.",
            examples=["2021-01-01"],
        ),
    ] = None,
    date_to: Annotated[
        IsoDate | None,
        Query(description="Incidents whose window starts on or before this day (ISO date).", examples=["2021-12-31"]),
    ] = None,
    origin: Annotated[
        str | None, Query(description=f"Country left: {COUNTRY_HELP}.", examples=["PRK"], max_length=2000)
    ] = None,
    destination: Annotated[
        str | None,
        Query(description=f"Country reached or aimed for: {COUNTRY_HELP}.", examples=["CHN,RUS"], max_length=2000),
    ] = None,
    transit: Annotated[
        str | None,
        Query(
            description=f"Incidents that passed through any of these countries: {COUNTRY_HELP}.",
            examples=["LAO,THA"],
            max_length=2000,
        ),
    ] = None,
    method: Annotated[
        str | None,
        Query(description=f"How: any of {', '.join(METHODS)} (comma-separated).", examples=["river,swim"]),
    ] = None,
    actor: Annotated[
        str | None, Query(description=f"Who: any of {', '.join(ACTORS)} (comma-separated).", examples=["soldier"])
    ] = None,
    crossing: Annotated[
        str | None,
        Query(
            description="Named border feature, case-insensitive exact names, comma-separated.",
            examples=["Yalu River,Tumen River"],
            max_length=2000,
        ),
    ] = None,
    outcome: Annotated[
        str | None,
        Query(
            description=f"What became of them: any of {', '.join(OUTCOMES)} (comma-separated).", examples=["crossed"]
        ),
    ] = None,
    date_precision: Annotated[
        str | None,
        Query(description=f"Width of the date window: any of {', '.join(DATE_PRECISIONS)}.", examples=["day,week"]),
    ] = None,
    armed: Annotated[
        bool | None, Query(description="true: carried weapons; false: said not to.", examples=[True])
    ] = None,
    min_size: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_COUNT,
            description="At least this many people: group_size, or group_size_min when the count is vague.",
            examples=[5],
        ),
    ] = None,
    max_size: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_COUNT,
            description="At most this many people: group_size, or group_size_max when the count is vague.",
            examples=[10],
        ),
    ] = None,
    min_sources: Annotated[
        int | None, Query(ge=0, le=MAX_COUNT, description="Reported by at least this many articles.", examples=[2])
    ] = None,
    min_confidence: Annotated[
        float | None, Query(ge=0, le=1, description="Extractor confidence of at least this (0..1).", examples=[0.7])
    ] = None,
    bbox: Annotated[
        str | None,
        Query(
            description="min_lon,min_lat,max_lon,max_lat (WGS 84). A min_lon greater than max_lon crosses the "
            "antimeridian.",
            examples=["124.0,37.5,131.0,43.0"],
            max_length=200,
        ),
    ] = None,
    near: Annotated[
        str | None,
        Query(
            description="lat,lon of a point; with radius_km, incidents within that distance.", examples=["41.40,128.18"]
        ),
    ] = None,
    radius_km: Annotated[
        float | None,
        Query(gt=0, le=20040, description="Radius for `near`, in km (default 25).", examples=[50]),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            description="Full-text search over summaries, evidence text and the titles of reporting articles: every "
            "word must appear (stemmed, case-insensitive); punctuation and operators are ignored.",
            examples=["border guards"],
            max_length=500,
        ),
    ] = None,
    source: Annotated[
        str | None,
        Query(
            description="Reported by this publisher (case-insensitive exact name).",
            examples=["Daily NK"],
            max_length=300,
        ),
    ] = None,
    article_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Reported by this article.", examples=[3])
    ] = None,
    updated_since: Annotated[
        IsoDatetime | None,
        Query(
            description="Changed at or after this time (ISO 8601; without an offset, UTC).",
            examples=["2026-11-01T00:00:00Z"],
        ),
    ] = None,
) -> IncidentFilters:
    """Validate the incident filters of a request (errors name the parameter)."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise bad_parameter("date_to", "must not be before date_from")
    if min_size is not None and max_size is not None and min_size > max_size:
        raise bad_parameter("max_size", "must not be less than min_size")
    box: tuple[float, float, float, float] | None = None
    if bbox is not None:
        west, south, east, north = query.parse_floats("bbox", bbox, 4)
        if not (-180 <= west <= 180 and -180 <= east <= 180):
            raise bad_parameter("bbox", "longitudes must be within -180..180")
        if not (-90 <= south <= 90 and -90 <= north <= 90):
            raise bad_parameter("bbox", "latitudes must be within -90..90")
        if south > north:
            raise bad_parameter("bbox", "min_lat must not be greater than max_lat")
        box = (west, south, east, north)
    point: tuple[float, float] | None = None
    if near is not None:
        lat, lon = query.parse_floats("near", near, 2)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise bad_parameter("near", "expected lat,lon with lat in -90..90 and lon in -180..180")
        point = (lat, lon)
    elif radius_km is not None:
        raise bad_parameter("radius_km", "needs `near`")
    return IncidentFilters(
        date_from=date_from,
        date_to=date_to,
        origin=query.parse_countries("origin", origin),
        destination=query.parse_countries("destination", destination),
        transit=query.parse_countries("transit", transit),
        method=query.parse_choices("method", method, METHODS),
        actor=query.parse_choices("actor", actor, ACTORS),
        crossing=query.parse_strings("crossing", crossing),
        outcome=query.parse_choices("outcome", outcome, OUTCOMES),
        date_precision=query.parse_choices("date_precision", date_precision, DATE_PRECISIONS),
        armed=armed,
        min_size=min_size,
        max_size=max_size,
        min_sources=min_sources,
        min_confidence=min_confidence,
        bbox=box,
        near=point,
        radius_km=(radius_km if radius_km is not None else 25.0) if point is not None else None,
        q=query.search_words("q", q),
        source=source.strip() if source and source.strip() else None,
        article_id=article_id,
        updated_since=query.utc(updated_since) if updated_since is not None else None,
    )


IncidentFiltersDep = Annotated[IncidentFilters, Depends(incident_filters)]


def incident_query(filters: IncidentFilters, conn: Connection, *columns: Any) -> sa.Select[Any]:
    """`SELECT columns FROM incident WHERE <filters>` (all incident columns by default)."""
    return sa.select(*(columns or (INCIDENT,))).where(*filters.conditions(conn))
