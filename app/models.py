"""Table models. Public response schemas live in `app.schemas`; these are the storage layout behind them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import comparators
from alembic.operations import ops
from alembic.util import DispatchPriority, PriorityDispatchResult
from sqlmodel import Field, SQLModel

# Named constraints keep Alembic's batch mode (SQLite table rebuilds) and PostgreSQL migrations in step.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json_column(*, default: Any) -> Any:
    return Field(default_factory=lambda: type(default)(), sa_column=sa.Column(sa.JSON, nullable=False))


class Article(SQLModel, table=True):
    """One ingested news article; `content_hash` makes re-ingesting the same text a no-op."""

    __tablename__ = "article"
    __table_args__ = (
        sa.Index("ix_article_published", "published"),
        sa.Index("ix_article_source", "source"),
        sa.Index("ix_article_url", "url"),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(default=None, max_length=200, description="The id the article arrived with.")
    url: str | None = Field(default=None, max_length=2048)
    title: str | None = Field(default=None, max_length=1000)
    source: str | None = Field(default=None, max_length=300, description="Publisher.")
    published: date | None = None
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    content_hash: str = Field(max_length=64, unique=True)
    extractor_version: str = Field(max_length=40)
    ingested_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class Incident(SQLModel, table=True):
    """The canonical record of one event, merged from the reports of every article that describes it."""

    __tablename__ = "incident"
    __table_args__ = (
        sa.Index("ix_incident_date", "date_start", "date_end"),
        sa.Index("ix_incident_date_end", "date_end"),
        sa.Index("ix_incident_origin", "origin_country"),
        sa.Index("ix_incident_destination", "destination_country"),
        sa.Index("ix_incident_method", "method"),
        sa.Index("ix_incident_actor", "actor"),
        sa.Index("ix_incident_crossing", "crossing"),
        sa.Index("ix_incident_outcome", "outcome"),
        sa.Index("ix_incident_group_size", "group_size"),
        sa.Index("ix_incident_coords", "lat", "lon"),
        # Migration 0003 (replacing ix_incident_updated_at): the sort and `updated_since` key first, then what
        # ingestion's candidate search tests, so that search walks this index and reads only the rows it keeps.
        sa.Index("ix_incident_recent", "updated_at", "date_start", "date_end", "origin_country", "destination_country"),
        sa.Index("ix_incident_source_count", "source_count"),
        sa.Index("ix_incident_confidence", "confidence"),
        sa.Index("ix_incident_location", "location_country", "location_kind"),
        # Migration 0003: covers /stats (group keys and the people sum) so aggregates read this index, not rows.
        sa.Index(
            "ix_incident_stats",
            "date_start",
            "origin_country",
            "destination_country",
            "method",
            "actor",
            "outcome",
            "group_size",
            "group_size_min",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    date_start: date | None = None
    date_end: date | None = None
    date_precision: str | None = Field(default=None, max_length=10)
    date_text: str | None = Field(default=None, max_length=300)
    origin_country: str | None = Field(default=None, max_length=3)
    destination_country: str | None = Field(default=None, max_length=3)
    transit_countries: list[str] = _json_column(default=[])
    crossing: str | None = Field(default=None, max_length=120)
    method: str | None = Field(default=None, max_length=10)
    group_size: int | None = None
    group_size_min: int | None = None
    group_size_max: int | None = None
    actor: str | None = Field(default=None, max_length=20)
    armed: bool | None = None
    outcome: str = Field(default="unknown", max_length=20)
    location_name: str | None = Field(default=None, max_length=200)
    location_kind: str | None = Field(default=None, max_length=20)
    location_country: str | None = Field(default=None, max_length=3)
    lat: float | None = None
    lon: float | None = None
    geo_precision: str | None = Field(default=None, max_length=10)
    places: list[dict[str, Any]] = _json_column(default=[])
    summary: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    confidence: float = 0.0
    source_count: int = 0
    curated_fields: list[str] = _json_column(default=[])
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


_INCIDENT_TABLE: sa.Table = Incident.__table__  # type: ignore[attr-defined]
# Migration 0003: the default list order (-date_start, then id ascending) as an index, so a page or a keyset
# position is a seek plus `limit` rows instead of a sort of every match.
sa.Index("ix_incident_date_start_desc", _INCIDENT_TABLE.c.date_start.desc(), _INCIDENT_TABLE.c.id)


class Report(SQLModel, table=True):
    """One article's account of one incident: its own extracted values, evidence spans and confidence."""

    __tablename__ = "report"
    __table_args__ = (
        sa.UniqueConstraint("article_id", "ordinal"),
        sa.Index("ix_report_incident", "incident_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(sa_column=sa.Column(sa.ForeignKey("article.id", ondelete="CASCADE"), nullable=False))
    incident_id: int = Field(sa_column=sa.Column(sa.ForeignKey("incident.id", ondelete="CASCADE"), nullable=False))
    ordinal: int = Field(description="Position of this incident among the article's extracted incidents.")
    record: dict[str, Any] = _json_column(default={})
    evidence: list[dict[str, Any]] = _json_column(default=[])
    confidence: float = 0.0
    extractor_version: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class DataVersion(SQLModel, table=True):
    """One row whose `version` goes up (by triggers of migration 0003) whenever an incident, report or article is
    written, so readers can cache derived answers such as /stats until the data changes."""

    __tablename__ = "data_version"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"))


class ApiKey(SQLModel, table=True):
    """A client's API key. Only a SHA-256 hash of the key is stored; the key itself is shown once at creation."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    prefix: str = Field(max_length=12, description="First characters of the key, to tell keys apart in listings.")
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class IncidentChange(SQLModel, table=True):
    """One analyst correction of an incident: who, when, and the fields before and after."""

    __tablename__ = "incident_change"
    __table_args__ = (sa.Index("ix_incident_change_incident", "incident_id", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(sa_column=sa.Column(sa.ForeignKey("incident.id", ondelete="CASCADE"), nullable=False))
    changed_by: str = Field(max_length=100)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    before: dict[str, Any] = _json_column(default={})
    after: dict[str, Any] = _json_column(default={})


# Full-text search objects made by migration 0002 outside the table models, because they differ per database:
# SQLite FTS5 virtual tables (plus the shadow tables FTS5 keeps beside them, named `<table>_*`), a PostgreSQL
# trigger-maintained tsvector table and a PostgreSQL expression index. Autogenerate must not propose dropping them.
SEARCH_TABLES = frozenset({"incident_search", "article_search"})
SEARCH_INDEXES = frozenset({"ix_article_search"})


def is_search_object(name: str | None) -> bool:
    """Whether a table or index name belongs to the full-text search machinery of migration 0002."""
    if not name:
        return False
    return name in SEARCH_INDEXES or any(name == t or name.startswith(f"{t}_") for t in SEARCH_TABLES)


def _keep(op: ops.MigrateOperation) -> bool:
    if isinstance(op, ops.DropTableOp):
        return not is_search_object(op.table_name)
    if isinstance(op, ops.DropIndexOp):
        return not (is_search_object(op.index_name) or is_search_object(op.table_name))
    if isinstance(op, ops.ModifyTableOps):
        op.ops = [inner for inner in op.ops if _keep(inner)]
        return bool(op.ops)
    return True


@comparators.dispatch_for("schema", priority=DispatchPriority.LAST, subgroup="defections_search")
def _ignore_search_objects(_autogen_context: Any, upgrade_ops: ops.UpgradeOps, _schemas: Any) -> PriorityDispatchResult:
    upgrade_ops.ops = [op for op in upgrade_ops.ops if _keep(op)]
    return PriorityDispatchResult.CONTINUE
