"""Upgrading keeps data: a database filled at an earlier revision comes through `upgrade head` with every row."""

from __future__ import annotations

import json

from alembic.script import ScriptDirectory
from sqlalchemy import text

from app.core import migrate
from app.core.db import engine_for_url

ROWS = {
    "article": [
        {"id": 1, "url": "https://a.example/1", "title": "T1", "source": "Wire", "published": "2021-03-25",
         "text": "A soldier crossed the Yalu River.", "content_hash": "a" * 64, "extractor_version": "0.1.0",
         "ingested_at": "2021-03-25 10:00:00", "updated_at": "2021-03-25 10:00:00"},
        {"id": 2, "url": None, "title": None, "source": None, "published": None,
         "text": "A family sailed south.", "content_hash": "b" * 64, "extractor_version": "0.1.0",
         "ingested_at": "2021-03-26 10:00:00", "updated_at": "2021-03-26 10:00:00"},
    ],
    "incident": [
        {"id": 1, "date_start": "2021-03-02", "date_end": "2021-03-02", "date_precision": "day",
         "origin_country": "PRK", "destination_country": "CHN", "transit_countries": "[]", "crossing": "Yalu River",
         "method": "river", "group_size": 6, "actor": "soldier", "armed": True, "outcome": "crossed",
         "lat": 41.4, "lon": 128.2, "places": "[]", "summary": "6 armed soldiers crossed the Yalu River",
         "confidence": 0.9, "source_count": 1, "curated_fields": '["crossing"]',
         "created_at": "2021-03-25 10:00:00", "updated_at": "2021-03-25 10:00:00"},
    ],
    "report": [
        {"id": 1, "article_id": 1, "incident_id": 1, "ordinal": 0, "record": json.dumps({"group_size": 6}),
         "evidence": json.dumps([{"field": "group_size", "text": "six", "start": 5, "end": 8}]),
         "confidence": 0.9, "extractor_version": "0.1.0", "created_at": "2021-03-25 10:00:00"},
    ],
    "api_key": [
        {"id": 1, "name": "svc", "prefix": "dfk_abc", "key_hash": "c" * 64, "created_at": "2021-03-25 10:00:00",
         "revoked_at": None},
    ],
}  # fmt: skip


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_every_row_survives_upgrades_from_the_first_revision(empty_database_url: str) -> None:
    revisions = _revisions()
    assert len(revisions) >= 2, "there is an earlier revision to upgrade from"
    migrate.upgrade(empty_database_url, revisions[0])
    engine = engine_for_url(empty_database_url)
    with engine.begin() as conn:
        for table, rows in ROWS.items():
            for row in rows:
                columns = ", ".join(row)
                values = ", ".join(f":{k}" for k in row)
                conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)
    migrate.upgrade(empty_database_url)
    assert migrate.is_at_head(engine)
    with engine.connect() as conn:
        for table, rows in ROWS.items():
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == len(rows)
        incident = conn.execute(text("SELECT group_size, crossing, summary FROM incident WHERE id = 1")).one()
        assert tuple(incident) == (6, "Yalu River", "6 armed soldiers crossed the Yalu River")
        article = conn.execute(text("SELECT text, content_hash FROM article WHERE id = 2")).one()
        assert tuple(article) == ("A family sailed south.", "b" * 64)
