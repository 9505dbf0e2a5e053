"""Storing articles and what the extractor finds in them: idempotent, one transaction per article, merging each
report into the incident it describes (or founding a new one), and keeping incidents consistent with reports."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import and_, delete, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.core.db import write_session
from app.extraction import EXTRACTOR_VERSION, ArticleInput, extract
from app.ingestion.merge import Candidate, ReportView, best_match, canonical
from app.ingestion.readers import RawArticle
from app.models import Article, Incident, Report, utcnow

logger = logging.getLogger(__name__)

Status = Literal["new", "unchanged", "updated", "failed"]
# Fields of an incident an analyst may correct; re-extraction and merging leave corrected ones alone.
CURATABLE_FIELDS = (
    "date_start", "date_end", "date_precision", "date_text", "origin_country", "destination_country",
    "transit_countries", "crossing", "method", "group_size", "group_size_min", "group_size_max", "actor", "armed",
    "outcome", "location_name", "location_kind", "location_country", "lat", "lon", "geo_precision", "summary",
)  # fmt: skip
_RECORD_KEYS = (
    "date_start", "date_end", "date_precision", "date_text", "origin_country", "destination_country",
    "transit_countries", "crossing", "method", "group_size", "group_size_min", "group_size_max", "actor", "armed",
    "outcome", "location", "geo_precision", "places", "summary", "confidence",
)  # fmt: skip
# Serialises merging on PostgreSQL, where writers do not queue on one database lock as they do on SQLite.
_PG_MERGE_LOCK = 7_020_512


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What happened to one input."""

    source: str
    status: Status
    article_id: int | None = None
    new_incidents: tuple[int, ...] = ()
    merged_incidents: tuple[int, ...] = ()
    reason: str | None = None


class IngestError(Exception):
    """An article that cannot be stored; the message says why."""


def normalised_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def content_hash(text: str) -> str:
    """Same words in the same order -> same hash, whatever the whitespace or Unicode composition."""
    return hashlib.sha256(normalised_text(text).encode("utf-8")).hexdigest()


_TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|cmpid)$", re.I)


def canonical_url(url: str | None) -> str | None:
    """A URL without fragment, tracking parameters, default port or trailing slash, so the same page matches."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return url.strip()
    host = parts.hostname.lower()
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)
    ):
        host = f"{host}:{parts.port}"
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k))
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), host, path, query, ""))


def _record_for_storage(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record.get(k) for k in _RECORD_KEYS}


def _evidence_for_storage(record: dict[str, Any], article_id: int) -> list[dict[str, Any]]:
    return [{**item, "article_id": article_id} for item in record.get("evidence", [])]


@dataclass
class Ingestor:
    """Stores articles into one database. Keyword options keep call sites readable."""

    engine: Engine
    max_chars: int = 500_000
    extractor_version: str = EXTRACTOR_VERSION
    _extract: Any = field(default=extract, repr=False)

    # --- public surface ---------------------------------------------------------------------------------------

    def ingest(self, raw: RawArticle, *, source: str | None = None, published: date | None = None) -> IngestOutcome:
        """Store one article and the incidents it reports; never raises for bad input (status 'failed')."""
        if source is not None:
            raw = replace(raw, source=source)
        if published is not None:
            raw = replace(raw, published=published)
        name = raw.source_name
        try:
            self._validate(raw)
            known = self._known(raw)
            if known is not None:
                return IngestOutcome(name, "unchanged", known)
            records = self._records(raw)
            return self._store(raw, records)
        except IngestError as exc:
            return IngestOutcome(name, "failed", reason=str(exc))

    def reextract(self, *, only_outdated: bool = True) -> list[IngestOutcome]:
        """Re-run the current extractor over stored articles (all, or those from older extractor versions)."""
        with Session(self.engine) as session:
            query = select(col(Article.id))
            if only_outdated:
                query = query.where(col(Article.extractor_version) != self.extractor_version)
            ids = [row for row in session.scalars(query.order_by(col(Article.id))) if row is not None]
        return [self.reextract_article(article_id) for article_id in ids]

    def reextract_article(self, article_id: int) -> IngestOutcome:
        with Session(self.engine) as session:
            article = session.get(Article, article_id)
            if article is None:
                return IngestOutcome(f"article {article_id}", "failed", reason="no such article")
            raw = RawArticle(
                text=article.text,
                source_name=f"article {article_id}",
                id=article.external_id,
                url=article.url,
                title=article.title,
                source=article.source,
                published=article.published,
            )
        records = self._records(raw)
        with write_session(self.engine) as session:
            self._lock(session)
            article = session.get(Article, article_id)
            if article is None:
                return IngestOutcome(raw.source_name, "failed", reason="article was deleted meanwhile")
            previous = self._incident_by_ordinal(session, article_id)
            touched = self._drop_reports(session, article_id)
            new, merged = self._attach(session, article, records, previous=previous)
            article.extractor_version = self.extractor_version
            article.updated_at = utcnow()
            self._recompute(session, touched - set(new) - set(merged))
        return IngestOutcome(raw.source_name, "updated", article_id, tuple(new), tuple(merged))

    def delete_article(self, article_id: int) -> bool:
        """Remove an article and its reports; incidents left without reports go, the others are recomputed."""
        with write_session(self.engine) as session:
            self._lock(session)
            article = session.get(Article, article_id)
            if article is None:
                return False
            touched = self._drop_reports(session, article_id)
            session.delete(article)
            session.flush()
            self._recompute(session, touched)
        return True

    # --- steps ------------------------------------------------------------------------------------------------

    def _validate(self, raw: RawArticle) -> None:
        if not raw.text or not raw.text.strip():
            raise IngestError("the article has no text")
        if len(raw.text) > self.max_chars:
            raise IngestError(f"the text is {len(raw.text)} characters, over the {self.max_chars}-character limit")

    def _known(self, raw: RawArticle) -> int | None:
        """The id of an article with the same text, checked before the (costly) extraction runs."""
        with Session(self.engine) as session:
            return session.scalars(
                select(col(Article.id)).where(col(Article.content_hash) == content_hash(raw.text))
            ).first()

    def _records(self, raw: RawArticle) -> list[dict[str, Any]]:
        # Extraction runs before the write transaction opens, so the database lock is held only for the writes.
        article = ArticleInput(
            text=raw.text, id=raw.id, url=raw.url, title=raw.title, source=raw.source, published=raw.published
        )
        return [incident.as_record(article) for incident in self._extract(article)]

    def _store(self, raw: RawArticle, records: list[dict[str, Any]]) -> IngestOutcome:
        digest = content_hash(raw.text)
        url = canonical_url(raw.url)
        for attempt in range(2):
            try:
                with write_session(self.engine) as session:
                    self._lock(session)
                    same = session.scalars(select(Article).where(col(Article.content_hash) == digest)).first()
                    if same is not None:
                        return IngestOutcome(raw.source_name, "unchanged", same.id)
                    existing = (
                        session.scalars(
                            select(Article).where(col(Article.url) == url).order_by(col(Article.id))
                        ).first()
                        if url
                        else None
                    )
                    touched: set[int] = set()
                    if existing is not None:
                        assert existing.id is not None
                        touched = self._drop_reports(session, existing.id)
                        article = existing
                        status: Status = "updated"
                    else:
                        article = Article(text=raw.text, content_hash=digest, extractor_version=self.extractor_version)
                        status = "new"
                    article.text = raw.text
                    article.content_hash = digest
                    article.external_id = raw.id
                    article.url = url
                    article.title = raw.title
                    article.source = raw.source
                    article.published = raw.published
                    article.extractor_version = self.extractor_version
                    article.updated_at = utcnow()
                    session.add(article)
                    session.flush()
                    new, merged = self._attach(session, article, records)
                    self._recompute(session, touched - set(new) - set(merged))
                    return IngestOutcome(raw.source_name, status, article.id, tuple(new), tuple(merged))
            except IntegrityError:
                # Another writer stored the same text between our check and our insert (PostgreSQL): look again.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _lock(self, session: Session) -> None:
        if self.engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MERGE_LOCK})

    def _incident_by_ordinal(self, session: Session, article_id: int) -> dict[int, int]:
        rows = session.execute(
            select(col(Report.ordinal), col(Report.incident_id)).where(col(Report.article_id) == article_id)
        )
        return {ordinal: incident_id for ordinal, incident_id in rows}

    def _drop_reports(self, session: Session, article_id: int) -> set[int]:
        touched = set(session.scalars(select(col(Report.incident_id)).where(col(Report.article_id) == article_id)))
        session.execute(delete(Report).where(col(Report.article_id) == article_id))
        session.flush()
        return touched

    def _attach(
        self,
        session: Session,
        article: Article,
        records: list[dict[str, Any]],
        *,
        previous: dict[int, int] | None = None,
    ) -> tuple[list[int], list[int]]:
        """Attach each record as a report: to the incident it had before (re-extraction), to the incident it
        matches, or to a new incident."""
        assert article.id is not None
        new: list[int] = []
        merged: list[int] = []
        for ordinal, record in enumerate(records):
            stored = _record_for_storage(record)
            incident_id, created = self._target(session, stored, article.id, (previous or {}).get(ordinal))
            (new if created else merged).append(incident_id)
            session.add(
                Report(
                    article_id=article.id,
                    incident_id=incident_id,
                    ordinal=ordinal,
                    record=stored,
                    evidence=_evidence_for_storage(record, article.id),
                    confidence=float(record.get("confidence") or 0.0),
                    extractor_version=self.extractor_version,
                )
            )
            session.flush()
            self._recompute(session, {incident_id})
        return new, merged

    def _target(
        self, session: Session, record: dict[str, Any], article_id: int, previous: int | None
    ) -> tuple[int, bool]:
        """(incident id, whether it was created) for one report."""
        if previous is not None and session.get(Incident, previous) is not None:
            return previous, False
        match = best_match(record, self._candidates(session, record), article_id=article_id)
        if match is not None:
            return match.id, False
        incident = Incident()
        session.add(incident)
        session.flush()
        assert incident.id is not None
        return incident.id, True

    def _candidates(self, session: Session, record: dict[str, Any]) -> list[Candidate]:
        conditions: list[Any] = []
        start, end = record.get("date_start"), record.get("date_end")
        if start and end:
            conditions.append(
                or_(
                    col(Incident.date_start).is_(None),
                    and_(
                        col(Incident.date_start) <= date.fromisoformat(end),
                        col(Incident.date_end) >= date.fromisoformat(start),
                    ),
                )
            )
        for name in ("origin_country", "destination_country"):
            value = record.get(name)
            if value:
                column = col(getattr(Incident, name))
                conditions.append(or_(column.is_(None), column == value))
        rows = session.scalars(
            select(Incident).where(*conditions).order_by(col(Incident.updated_at).desc()).limit(200)
        ).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        articles: dict[int, set[int]] = {}
        for incident_id, article_id in session.execute(
            select(col(Report.incident_id), col(Report.article_id)).where(col(Report.incident_id).in_(ids))
        ):
            articles.setdefault(incident_id, set()).add(article_id)
        return [self._candidate(r, articles.get(r.id, set())) for r in rows if r.id is not None]

    @staticmethod
    def _candidate(incident: Incident, article_ids: set[int]) -> Candidate:
        # An analyst's correction says nothing about what outlets wrote, so curated values take no part in matching.
        curated = set(incident.curated_fields or [])

        def value(name: str) -> Any:
            return None if name in curated else getattr(incident, name)

        assert incident.id is not None
        return Candidate(
            id=incident.id,
            date_start=value("date_start"),
            date_end=value("date_end"),
            date_precision=value("date_precision"),
            origin_country=value("origin_country"),
            destination_country=value("destination_country"),
            method=value("method"),
            crossing=value("crossing"),
            actor=value("actor"),
            group_size=value("group_size"),
            group_size_min=value("group_size_min"),
            group_size_max=value("group_size_max"),
            location_name=value("location_name"),
            lat=value("lat"),
            lon=value("lon"),
            article_ids=frozenset(article_ids),
        )

    def _recompute(self, session: Session, incident_ids: Iterable[int]) -> None:
        """Settle each incident from its reports; an incident with no reports left is deleted."""
        for incident_id in sorted(set(incident_ids)):
            incident = session.get(Incident, incident_id)
            if incident is None:
                continue
            reports = session.scalars(select(Report).where(col(Report.incident_id) == incident_id)).all()
            if not reports:
                session.delete(incident)
                continue
            values = canonical([ReportView(r.article_id, r.record, r.confidence) for r in reports])
            curated = set(incident.curated_fields or [])
            for name, value in values.items():
                if name in curated:
                    continue
                setattr(incident, name, value)
            incident.updated_at = utcnow()
            session.add(incident)
        session.flush()
