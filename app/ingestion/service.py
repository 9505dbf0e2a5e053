"""What the write endpoints do, apart from HTTP: submit one article (text, HTML or a URL to fetch) and correct an
incident by hand with a recorded history. Errors are `SubmissionError`s carrying the field at fault."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.core.db import write_session
from app.ingestion import metrics_hooks
from app.ingestion.fetch import FetchError
from app.ingestion.readers import RawArticle, ReadError, html_article
from app.ingestion.sources import Fetcher, from_url, settings_fetcher
from app.ingestion.store import CURATABLE_FIELDS, Ingestor, IngestOutcome
from app.models import Incident, IncidentChange, utcnow


class SubmissionError(Exception):
    """A submission that cannot be stored. `status` is the HTTP status it maps to, `field` the input at fault."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True, slots=True)
class Submission:
    url: str | None = None
    title: str | None = None
    source: str | None = None
    published: date | None = None
    text: str | None = None
    html: str | None = None


def _raw_from_submission(sub: Submission, fetcher: Fetcher) -> RawArticle:
    if sub.text and sub.text.strip():
        return RawArticle(
            text=sub.text,
            source_name="request",
            url=sub.url,
            title=sub.title,
            source=sub.source,
            published=sub.published,
        )
    if sub.html and sub.html.strip():
        try:
            raw = html_article(sub.html, "request")
        except ReadError as exc:
            raise SubmissionError(exc.reason, field="html") from None
    elif sub.url:
        items = list(from_url(sub.url, fetcher))
        article = next((i for i in items if isinstance(i, RawArticle)), None)
        if article is None:
            reason = next((i.reason for i in items if isinstance(i, ReadError)), "nothing readable at that URL")
            # Refused, unreachable or unreadable: either way the URL given cannot be used (a client-side problem).
            raise SubmissionError(f"could not use the URL: {reason}", field="url") from None
        raw = article
    else:
        raise SubmissionError("give the article's text, its html, or a url to fetch", field="text")
    return replace(
        raw,
        url=sub.url or raw.url,
        title=sub.title or raw.title,
        source=sub.source or raw.source,
        published=sub.published or raw.published,
    )


def submit(engine: Engine, settings: Settings, sub: Submission, *, fetcher: Fetcher | None = None) -> IngestOutcome:
    """Ingest one submitted article through the same pipeline as the CLI."""
    try:
        raw = _raw_from_submission(sub, fetcher or settings_fetcher(settings))
    except FetchError as exc:  # from_url reports fetch failures as ReadErrors; this is a safety net
        raise SubmissionError(str(exc), field="url") from None
    outcome = Ingestor(engine, max_chars=settings.max_article_chars).ingest(raw)
    metrics_hooks.record(outcome)
    if outcome.status == "failed":
        raise SubmissionError(outcome.reason or "the article could not be stored", field="text")
    return outcome


# --- analyst corrections -----------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def correct_incident(engine: Engine, incident_id: int, changes: dict[str, Any], *, by: str) -> Incident | None:
    """Apply an analyst's corrections; the fields become curated (kept through re-extraction and merging) and the
    change is recorded with who, when, before and after. None when there is no such incident."""
    unknown = set(changes) - set(CURATABLE_FIELDS)
    if unknown:
        raise SubmissionError(
            f"these fields cannot be corrected: {', '.join(sorted(unknown))}", field=sorted(unknown)[0]
        )
    with write_session(engine) as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            return None
        before = {name: _jsonable(getattr(incident, name)) for name in changes}
        for name, value in changes.items():
            setattr(incident, name, value)
        start, end = incident.date_start, incident.date_end
        if start and end and start > end:
            raise SubmissionError("date_start is after date_end", field="date_start")
        after = {name: _jsonable(getattr(incident, name)) for name in changes}
        incident.curated_fields = sorted(set(incident.curated_fields or []) | set(changes))
        incident.updated_at = utcnow()
        session.add(incident)
        session.add(IncidentChange(incident_id=incident_id, changed_by=by, before=before, after=after))
        session.flush()
        session.refresh(incident)
        return incident


def incident_history(engine: Engine, incident_id: int) -> list[IncidentChange] | None:
    with Session(engine) as session:
        if session.get(Incident, incident_id) is None:
            return None
        query = select(IncidentChange).where(col(IncidentChange.incident_id) == incident_id)
        return list(session.exec(query.order_by(col(IncidentChange.changed_at), col(IncidentChange.id))))
