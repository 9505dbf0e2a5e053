"""Hand-made test data: articles, incidents and reports inserted straight through the table models.

    with write_session(engine) as session:
        article = make_article(session, title="Guards flee", source="Border Desk", published=date(2021, 3, 25))
        incident = make_incident(session, destination_country="CHN", group_size=6)
        make_report(session, article=article, incident=incident, evidence=[span("group_size", "Six", 10)])

Every factory fills the required columns with plausible defaults, flushes (so ids are set) and returns the row.
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from app.models import Article, Incident, Report

_serial = itertools.count(1)


def make_article(session: Session, *, text: str | None = None, **values: Any) -> Article:
    n = next(_serial)
    text = text if text is not None else f"Article body number {n}."
    values.setdefault("title", f"Article {n}")
    values.setdefault("url", f"https://news.example.org/{n}")
    values.setdefault("source", "Example Wire")
    values.setdefault("published", date(2021, 1, 1))
    values.setdefault("extractor_version", "test")
    values.setdefault("content_hash", hashlib.sha256(f"{n}:{text}".encode()).hexdigest())
    article = Article(text=text, **values)
    session.add(article)
    session.flush()
    return article


def make_incident(session: Session, *, location: dict[str, Any] | None = None, **values: Any) -> Incident:
    """An incident; `location={name, kind, country, lat, lon}` fills the location_* and lat/lon columns."""
    if location is not None:
        values.setdefault("location_name", location.get("name"))
        values.setdefault("location_kind", location.get("kind"))
        values.setdefault("location_country", location.get("country"))
        values.setdefault("lat", location.get("lat"))
        values.setdefault("lon", location.get("lon"))
        values.setdefault("places", [location])
    values.setdefault("origin_country", "PRK")
    values.setdefault("summary", "A test incident")
    values.setdefault("confidence", 0.5)
    incident = Incident(**values)
    session.add(incident)
    session.flush()
    return incident


def make_report(
    session: Session,
    *,
    article: Article,
    incident: Incident,
    ordinal: int | None = None,
    record: dict[str, Any] | None = None,
    evidence: list[dict[str, Any]] | None = None,
    count_source: bool = True,
    **values: Any,
) -> Report:
    """A report linking an article to an incident (and, by default, bumping the incident's source_count)."""
    assert article.id is not None and incident.id is not None
    if ordinal is None:
        ordinal = next(_serial)
    spans = [{**span, "article_id": span.get("article_id", article.id)} for span in evidence or []]
    report = Report(
        article_id=article.id,
        incident_id=incident.id,
        ordinal=ordinal,
        record=record if record is not None else {"summary": incident.summary},
        evidence=spans,
        confidence=values.pop("confidence", incident.confidence),
        extractor_version=values.pop("extractor_version", "test"),
        **values,
    )
    session.add(report)
    if count_source:
        incident.source_count += 1
        session.add(incident)
    session.flush()
    return report


def span(field: str, text: str, start: int, *, rule: str = "test") -> dict[str, Any]:
    """An evidence span `{field, text, start, end, rule}` (article_id is added by make_report)."""
    return {"field": field, "text": text, "start": start, "end": start + len(text), "rule": rule}


def at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)
