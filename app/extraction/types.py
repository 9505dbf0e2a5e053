"""Immutable, typed results passed between the extraction stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class ArticleInput:
    """What the extractor reads. `published` is the reference date for every relative date expression."""

    text: str
    id: str | None = None
    url: str | None = None
    title: str | None = None
    source: str | None = None
    published: date | None = None


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of narrative (or a caption, which detection skips), with its offsets into the article text."""

    index: int
    paragraph: int
    start: int
    end: int
    text: str
    is_caption: bool = False


@dataclass(frozen=True, slots=True)
class Document:
    """Stage 1 output: the prepared text and its sentences. `text` has the same length as the article text, so
    offsets into it are offsets into the article."""

    text: str
    sentences: tuple[Sentence, ...]
    published: date | None


@dataclass(frozen=True, slots=True)
class Found:
    """One attribute value found in the text: where, and by which rule."""

    value: Any
    start: int
    end: int
    rule: str
    text: str


@dataclass(frozen=True, slots=True)
class DateWindow:
    start: date | None
    end: date | None
    precision: str | None  # day | week | month | year

    def overlaps(self, other: DateWindow, slack_days: int | None = None) -> bool:
        """Whether the windows share a day; day-precise windows get one day of slack (time zones, night-time)."""
        if not (self.start and self.end and other.start and other.end):
            return True
        if slack_days is None:
            slack_days = 1 if self.precision == other.precision == "day" else 0
        return (self.start - other.end).days <= slack_days and (other.start - self.end).days <= slack_days

    @property
    def width_days(self) -> int:
        if not (self.start and self.end):
            return 10**6
        return (self.end - self.start).days + 1


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    kind: str
    country: str | None
    lat: float | None
    lon: float | None
    border_river: str | None = None
    opposite: str | None = None
    rank: int = 0  # how specific: facility/city 5, county 4, island 4, border_area 3, province 2, river 3, country 1

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "country": self.country, "lat": self.lat, "lon": self.lon}


@dataclass(frozen=True, slots=True)
class Mention:
    """Stage 2 output: a sentence (or clause) that speaks of one specific escape, with what it says about it."""

    sentence: int
    start: int
    end: int
    text: str
    trigger: Found
    strength: float
    attributes: dict[str, tuple[Found, ...]] = field(default_factory=dict)
    new_event_cue: bool = False
    support: bool = False


@dataclass(frozen=True, slots=True)
class Evidence:
    field: str
    text: str
    start: int
    end: int
    rule: str

    def as_dict(self, article_id: str | None) -> dict[str, Any]:
        return {
            "field": self.field,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "rule": self.rule,
            "article_id": article_id,
        }


@dataclass(frozen=True, slots=True)
class ExtractedIncident:
    """Stage 3 output: one incident as the article describes it, every value backed by evidence."""

    date_start: date | None
    date_end: date | None
    date_precision: str | None
    date_text: str | None
    origin_country: str | None
    destination_country: str | None
    transit_countries: tuple[str, ...]
    crossing: str | None
    method: str | None
    group_size: int | None
    group_size_min: int | None
    group_size_max: int | None
    actor: str | None
    armed: bool | None
    outcome: str
    location: Place | None
    geo_precision: str | None
    places: tuple[Place, ...]
    summary: str
    confidence: float
    evidence: tuple[Evidence, ...]
    mentions: tuple[Span, ...]

    def as_record(self, article: ArticleInput | None = None) -> dict[str, Any]:
        """The public incident-record shape of the spec (without a stored id)."""
        article_id = article.id if article else None
        record: dict[str, Any] = {
            "date_start": self.date_start.isoformat() if self.date_start else None,
            "date_end": self.date_end.isoformat() if self.date_end else None,
            "date_precision": self.date_precision,
            "date_text": self.date_text,
            "origin_country": self.origin_country,
            "destination_country": self.destination_country,
            "transit_countries": list(self.transit_countries),
            "crossing": self.crossing,
            "method": self.method,
            "group_size": self.group_size,
            "group_size_min": self.group_size_min,
            "group_size_max": self.group_size_max,
            "actor": self.actor,
            "armed": self.armed,
            "outcome": self.outcome,
            "location": self.location.as_dict() if self.location else None,
            "geo_precision": self.geo_precision,
            "places": [p.as_dict() for p in self.places],
            "summary": self.summary,
            "confidence": round(self.confidence, 3),
            "evidence": [e.as_dict(article_id) for e in self.evidence],
        }
        if article is not None:
            record["sources"] = [
                {
                    "article_id": article.id,
                    "url": article.url,
                    "title": article.title,
                    "source": article.source,
                    "published": article.published.isoformat() if article.published else None,
                }
            ]
        return record
