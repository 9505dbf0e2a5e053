"""Public shapes of an incident, following the incident record spec field for field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

EXAMPLE_RECORD: dict[str, Any] = {
    "id": 17,
    "date_start": "2021-03-02",
    "date_end": "2021-03-02",
    "date_precision": "day",
    "date_text": "on the night of March 2",
    "origin_country": "PRK",
    "destination_country": "CHN",
    "transit_countries": [],
    "crossing": "Yalu River",
    "method": "river",
    "group_size": 6,
    "group_size_min": None,
    "group_size_max": None,
    "actor": "soldier",
    "armed": True,
    "outcome": "crossed",
    "location": {"name": "Hyesan", "kind": "city", "country": "PRK", "lat": 41.4017, "lon": 128.1775},
    "geo_precision": "near",
    "places": [{"name": "Hyesan", "kind": "city", "country": "PRK", "lat": 41.4017, "lon": 128.1775}],
    "summary": "6 armed soldiers crossed the Yalu River from North Korea to China",
    "confidence": 0.92,
    "source_count": 1,
    "curated_fields": [],
    "created_at": "2026-11-25T08:00:00+00:00",
    "updated_at": "2026-11-25T08:00:00+00:00",
}

EXAMPLE_GEOJSON: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": 17,
            "geometry": {"type": "Point", "coordinates": [128.1775, 41.4017]},
            "properties": {"id": 17, "summary": EXAMPLE_RECORD["summary"], "group_size": 6},
        }
    ],
    "bbox": [128.1775, 41.4017, 128.1775, 41.4017],
    "excluded_without_coordinates": 2,
}


class LocationPublic(BaseModel):
    """A place: `{name, kind, country, lat, lon}`."""

    name: str | None = Field(default=None, description="Place name, in English.", examples=["Hyesan"])
    kind: str | None = Field(
        default=None,
        description="river, city, county, province, border_area, sea, island, facility or country.",
        examples=["city"],
    )
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-3 of the place.", examples=["PRK"])
    lat: float | None = Field(default=None, description="Latitude (WGS 84).", examples=[41.4017])
    lon: float | None = Field(default=None, description="Longitude (WGS 84).", examples=[128.1775])


class EvidencePublic(BaseModel):
    """The exact span of an article a field's value was read from."""

    field: str = Field(description="The record field this span supports.", examples=["group_size"])
    text: str = Field(description="The span's text, as written in the article.", examples=["Six North Korean"])
    start: int = Field(description="Offset of the span's first character in the article text.", examples=[10])
    end: int = Field(description="Offset just past the span's last character.", examples=[26])
    article_id: int = Field(description="The article the offsets point into.", examples=[3])


class SourcePublic(BaseModel):
    """An article that reported the incident."""

    article_id: int = Field(description="Id of the article (see /articles/{id}).", examples=[3])
    url: str | None = Field(description="Where the article was published.", examples=["https://example.org/a/1"])
    title: str | None = Field(description="Headline.", examples=["Six armed border guards flee across the Yalu"])
    source: str | None = Field(description="Publisher.", examples=["Border Desk"])
    published: date | None = Field(description="Publication date.", examples=["2021-03-25"])


class ReportPublic(BaseModel):
    """One article's own account of the incident, before merging with other articles."""

    id: int = Field(description="Id of the report.", examples=[40])
    article_id: int = Field(description="The article this report was extracted from.", examples=[3])
    ordinal: int = Field(description="Position of the incident among the article's incidents.", examples=[0])
    confidence: float = Field(description="The extractor's confidence for this report, 0..1.", examples=[0.9])
    extractor_version: str = Field(description="Version of the extractor that made the report.", examples=["1.0"])
    created_at: datetime = Field(description="When the report was stored.", examples=["2026-11-25T08:00:00+00:00"])
    record: dict[str, Any] = Field(
        description="The values this article alone gives, in the incident record's field names.",
        examples=[{"group_size": 6, "method": "river", "destination_country": "CHN"}],
    )
    evidence: list[dict[str, Any]] = Field(
        description="This report's evidence spans `{field, text, start, end, rule, article_id}`.",
        examples=[[{"field": "group_size", "text": "Six", "start": 10, "end": 13, "rule": "count", "article_id": 3}]],
    )


class IncidentPublic(BaseModel):
    """An incident as listed by /incidents. `fields=` may trim it; `include=` adds sources, evidence, reports."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_RECORD]})

    id: int = Field(description="Stable id of the incident.", examples=[17])
    date_start: date | None = Field(
        description="First day of the window the incident happened in.", examples=["2021-03-02"]
    )
    date_end: date | None = Field(description="Last day of that window (inclusive).", examples=["2021-03-02"])
    date_precision: str | None = Field(description="day, week, month or year.", examples=["day"])
    date_text: str | None = Field(description="The words the date came from.", examples=["on the night of March 2"])
    origin_country: str | None = Field(description="ISO 3166-1 alpha-3 of the country left.", examples=["PRK"])
    destination_country: str | None = Field(
        description="Alpha-3 of the country reached or aimed for.", examples=["CHN"]
    )
    transit_countries: list[str] = Field(description="Alpha-3 of countries passed through.", examples=[["CHN"]])
    crossing: str | None = Field(description="Named border feature crossed.", examples=["Yalu River"])
    method: str | None = Field(description="river, dmz, land, sea, swim, air, abroad or other.", examples=["river"])
    group_size: int | None = Field(description="Number of people who set out together.", examples=[6])
    group_size_min: int | None = Field(description="Lower bound when the count is vague.", examples=[24])
    group_size_max: int | None = Field(description="Upper bound when the count is vague.", examples=[None])
    actor: str | None = Field(description="The main kind of person involved.", examples=["soldier"])
    armed: bool | None = Field(description="Whether they carried weapons, when the text says.", examples=[True])
    outcome: str = Field(description="crossed, caught, repatriated, killed, returned or unknown.", examples=["crossed"])
    location: LocationPublic | None = Field(
        description="The most specific place of the incident.", examples=[EXAMPLE_RECORD["location"]]
    )
    geo_precision: str | None = Field(description="exact, near, region or country.", examples=["near"])
    places: list[dict[str, Any]] = Field(
        description="Every place the articles tie to the incident.", examples=[EXAMPLE_RECORD["places"]]
    )
    summary: str = Field(
        description="One generated line describing the incident.", examples=[EXAMPLE_RECORD["summary"]]
    )
    confidence: float = Field(description="How sure the extractor is, 0..1.", examples=[0.92])
    evidence: list[EvidencePublic] | None = Field(
        default=None, description="Spans supporting each field (with `include=evidence`)."
    )
    sources: list[SourcePublic] | None = Field(
        default=None, description="Every article that reported the incident (with `include=sources`)."
    )
    reports: list[ReportPublic] | None = Field(
        default=None, description="Each article's own values (with `include=reports`)."
    )
    source_count: int = Field(description="How many articles reported the incident.", examples=[2])
    curated_fields: list[str] = Field(description="Fields an analyst corrected by hand.", examples=[["group_size"]])
    created_at: datetime = Field(description="When the incident was first stored.", examples=["2026-11-25T08:00:00Z"])
    updated_at: datetime = Field(description="When the incident last changed.", examples=["2026-11-26T09:30:00Z"])


class IncidentDetail(IncidentPublic):
    """The full record of one incident: every source, every evidence span, every report."""

    evidence: list[EvidencePublic] = Field(description="Spans supporting each field, with article offsets.")
    sources: list[SourcePublic] = Field(description="Every article that reported the incident.")
    reports: list[ReportPublic] = Field(description="Each article's own values for the incident.")


def _only_id_required(schema: dict[str, Any]) -> None:
    schema["required"] = ["id"]


class IncidentListItem(IncidentPublic):
    """An incident in a list: every field, or with `fields=` only the fields asked for (and `id`)."""

    model_config = ConfigDict(json_schema_extra=_only_id_required)


class IncidentList(BaseModel):
    """One page of incidents."""

    data: list[IncidentListItem] = Field(description="The incidents of this page, in the requested order.")
    next: str | None = Field(
        description="URL of the next page (same filters, a cursor), or null on the last page.",
        examples=["http://127.0.0.1:8000/incidents?destination=CHN&limit=50&cursor=eyJ2IjpbIjIwMjEtMDMtMDIiLDE3XX0.x"],
    )
    total: int | None = Field(
        default=None, description="Number of incidents matching the filters (only with `count=true`).", examples=[412]
    )


class GeoJSONFeatureCollection(BaseModel):
    """GeoJSON export: one Point feature per incident with coordinates; the record is in `properties`."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_GEOJSON]})

    type: str = Field(description="Always FeatureCollection.", examples=["FeatureCollection"])
    features: list[dict[str, Any]] = Field(description="Point features `[lon, lat]`, properties = the record.")
    bbox: list[float] | None = Field(
        default=None, description="[min_lon, min_lat, max_lon, max_lat] of the features (absent when none)."
    )
    excluded_without_coordinates: int = Field(description="Matching incidents left out for lack of coordinates.")
    next: str | None = Field(default=None, description="URL of the next page when paging (not with limit=all).")
