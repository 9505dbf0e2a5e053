"""Request and response shapes of the write endpoints (all need an API key)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.schemas.article import ArticleDetail
from app.schemas.vocabulary import (
    ACTORS,
    DATE_PRECISIONS,
    GEO_PRECISIONS,
    LOCATION_KINDS,
    METHODS,
    OUTCOMES,
    IsoDate,
)

Country = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 code.", examples=["PRK"])
MAX_TEXT = 5_000_000  # the MAX_ARTICLE_CHARS setting decides what is accepted; this bounds parsing


class ArticleCreate(BaseModel):
    """An article to ingest: its text (or HTML), or just a URL for the service to fetch."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        default=None,
        max_length=2048,
        description="Where it was published; fetched when no text or html is given.",
        examples=["https://example.org/news/boat-crossing"],
    )
    title: str | None = Field(
        default=None, max_length=1000, description="Headline.", examples=["Family of four crosses the sea border"]
    )
    source: str | None = Field(default=None, max_length=300, description="Publisher.", examples=["Sample Wire"])
    published: IsoDate | None = Field(
        default=None,
        description="Publication date: the reference for relative dates such as 'on Tuesday' or 'last month'.",
        examples=["2023-10-25"],
    )
    text: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="The article's plain text.",
        examples=["A North Korean family of four crossed the Northern Limit Line on Tuesday..."],
    )
    html: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="The article's HTML page, when there is no plain text; its main text and metadata are extracted.",
    )

    @model_validator(mode="after")
    def _something_to_read(self) -> ArticleCreate:
        if not any(v and v.strip() for v in (self.text, self.html, self.url)):
            raise ValueError("give the article's text, its html, or a url to fetch")
        return self


class ArticleIngested(ArticleDetail):
    """The stored article with the incidents it created or joined."""

    status: Literal["new", "updated", "unchanged"] = Field(
        description="new: stored now; updated: a changed text at a known URL replaced the old one; unchanged: "
        "the same text was already stored.",
        examples=["new"],
    )
    new_incidents: list[int] = Field(description="Incidents this article founded.", examples=[[41]])
    merged_incidents: list[int] = Field(description="Known incidents this article's reports joined.", examples=[[7]])


class LocationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, examples=["Hyesan"])
    kind: Literal[LOCATION_KINDS] | None = Field(default=None, examples=["city"])  # type: ignore[valid-type]
    country: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", examples=["PRK"])
    lat: float | None = Field(default=None, ge=-90, le=90, examples=[41.4])
    lon: float | None = Field(default=None, ge=-180, le=180, examples=[128.18])


class IncidentUpdate(BaseModel):
    """An analyst's corrections. Only the fields sent change; they become curated: kept through re-extraction and
    merging, and recorded in the incident's history."""

    model_config = ConfigDict(extra="forbid")

    date_start: IsoDate | None = Field(default=None, examples=["2021-03-02"])
    date_end: IsoDate | None = Field(default=None, examples=["2021-03-02"])
    date_precision: Literal[DATE_PRECISIONS] | None = Field(default=None, examples=["day"])  # type: ignore[valid-type]
    date_text: str | None = Field(default=None, max_length=300)
    origin_country: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", examples=["PRK"])
    destination_country: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", examples=["CHN"])
    transit_countries: list[str] | None = Field(default=None, max_length=20, examples=[["CHN", "LAO"]])
    crossing: str | None = Field(default=None, max_length=120, examples=["Yalu River"])
    method: Literal[METHODS] | None = Field(default=None, examples=["river"])  # type: ignore[valid-type]
    group_size: int | None = Field(default=None, ge=1, le=100_000, examples=[6])
    group_size_min: int | None = Field(default=None, ge=1, le=100_000)
    group_size_max: int | None = Field(default=None, ge=1, le=100_000)
    actor: Literal[ACTORS] | None = Field(default=None, examples=["soldier"])  # type: ignore[valid-type]
    armed: bool | None = Field(default=None, examples=[True])
    outcome: Literal[OUTCOMES] | None = Field(default=None, examples=["crossed"])  # type: ignore[valid-type]
    location: LocationUpdate | None = None
    geo_precision: Literal[GEO_PRECISIONS] | None = Field(default=None, examples=["near"])  # type: ignore[valid-type]
    summary: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _consistent(self) -> IncidentUpdate:
        if self.transit_countries and any(len(c) != 3 or not c.isupper() for c in self.transit_countries):
            raise ValueError("transit_countries are ISO 3166-1 alpha-3 codes")
        if self.group_size_min and self.group_size_max and self.group_size_min > self.group_size_max:
            raise ValueError("group_size_min is above group_size_max")
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self

    def changes(self) -> dict[str, Any]:
        """Column values for the fields that were sent (location spread over its columns)."""
        sent = self.model_dump(include=self.model_fields_set)
        location = sent.pop("location", None) if "location" in sent else ...
        if location is not ...:
            loc = location or {}
            sent.update(
                location_name=loc.get("name"),
                location_kind=loc.get("kind"),
                location_country=loc.get("country"),
                lat=loc.get("lat"),
                lon=loc.get("lon"),
            )
        return sent


class IncidentChangePublic(BaseModel):
    """One correction: who made it, when, and the fields before and after."""

    id: int = Field(examples=[1])
    changed_by: str = Field(description="Name of the API key that made the change.", examples=["analyst-1"])
    changed_at: datetime = Field(examples=["2026-11-25T09:30:00Z"])

    @field_validator("changed_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # Stored in UTC; SQLite returns it without an offset, and RFC 3339 date-times need one.
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    before: dict[str, Any] = Field(examples=[{"group_size": 5}])
    after: dict[str, Any] = Field(examples=[{"group_size": 6}])
