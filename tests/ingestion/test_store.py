"""Storing articles: idempotent, one transaction per article, reports merged into the incidents they describe."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.core import migrate
from app.core.db import write_session
from app.extraction import ArticleInput, extract
from app.ingestion.store import Ingestor, canonical_url, content_hash
from app.models import Article, Incident, Report
from tests.ingestion.articles import MUSAN_SAME_DAY, SOKCHO_BACKGROUND, SOKCHO_DAILY, SOKCHO_WIRE


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _incidents(engine: Engine) -> list[Incident]:
    with Session(engine) as session:
        return list(session.scalars(select(Incident).order_by(Incident.id)))


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("A  soldier\n defected.", "A soldier defected.", True),
        ("A soldier defected.", "A soldier defected!", False),
        ("Cafe\u0301 text", "Café text", True),
    ],
)
def test_content_hash(a: str, b: str, same: bool) -> None:
    assert (content_hash(a) == content_hash(b)) is same


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.ORG:443/a/b/?utm_source=x&id=2#top", "https://example.org/a/b?id=2"),
        ("http://example.org", "http://example.org/"),
        ("http://example.org:8080/x/", "http://example.org:8080/x"),
        (None, None),
    ],
)
def test_canonical_url(url: str | None, expected: str | None) -> None:
    assert canonical_url(url) == expected


def test_same_article_twice_is_unchanged(engine: Engine) -> None:
    ingestor = Ingestor(engine)
    first = ingestor.ingest(SOKCHO_WIRE)
    again = ingestor.ingest(replace(SOKCHO_WIRE, text=SOKCHO_WIRE.text.replace(" ", "  ")))
    assert first.status == "new" and first.new_incidents
    assert again.status == "unchanged" and again.article_id == first.article_id
    assert _count(engine, Article) == 1


def test_changed_text_at_known_url_replaces_reports(engine: Engine) -> None:
    ingestor = Ingestor(engine)
    first = ingestor.ingest(MUSAN_SAME_DAY)
    corrected = replace(MUSAN_SAME_DAY, text=MUSAN_SAME_DAY.text.replace("A North Korean soldier", "Two soldiers"))
    second = ingestor.ingest(corrected)
    assert second.status == "updated" and second.article_id == first.article_id
    assert _count(engine, Article) == 1
    (incident,) = _incidents(engine)
    assert incident.group_size == 2 and incident.source_count == 1
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1


def test_one_event_from_several_outlets_is_one_incident(engine: Engine) -> None:
    ingestor = Ingestor(engine)
    outcomes = [ingestor.ingest(a) for a in (SOKCHO_WIRE, SOKCHO_DAILY, SOKCHO_BACKGROUND, MUSAN_SAME_DAY)]
    assert [o.status for o in outcomes] == ["new"] * 4
    incidents = _incidents(engine)
    by_destination = {i.destination_country: i for i in incidents}
    assert set(by_destination) == {"KOR", "CHN"}, [(i.id, i.summary) for i in incidents]
    boat = by_destination["KOR"]
    assert boat.source_count == 3
    assert (boat.date_start, boat.date_end, boat.date_precision) == (
        SOKCHO_WIRE.published.replace(day=24),  # type: ignore[union-attr]
        SOKCHO_WIRE.published.replace(day=24),  # type: ignore[union-attr]
        "day",
    )
    assert boat.group_size == 4 and boat.method == "sea" and boat.crossing == "Northern Limit Line"
    assert by_destination["CHN"].source_count == 1


def test_a_batch_stores_what_one_by_one_stores(engine: Engine) -> None:
    empty = replace(MUSAN_SAME_DAY, text="")
    batch = [SOKCHO_WIRE, SOKCHO_DAILY, SOKCHO_BACKGROUND, MUSAN_SAME_DAY, SOKCHO_WIRE, empty]
    outcomes = list(Ingestor(engine).ingest_many(batch, workers=1))  # extraction in a worker process
    assert [o.status for o in outcomes] == ["new"] * 4 + ["unchanged", "failed"]
    assert outcomes[4].article_id == outcomes[0].article_id
    incidents = _incidents(engine)
    assert {i.destination_country: i.source_count for i in incidents} == {"KOR": 3, "CHN": 1}


def test_disagreeing_counts_become_a_range(engine: Engine) -> None:
    ingestor = Ingestor(engine)
    ingestor.ingest(SOKCHO_WIRE)
    five = replace(SOKCHO_DAILY, text=SOKCHO_DAILY.text.replace("Four North Koreans", "Five North Koreans"))
    ingestor.ingest(five)
    (boat,) = [i for i in _incidents(engine) if i.destination_country == "KOR"]
    assert (boat.group_size_min, boat.group_size_max) == (4, 5)
    assert boat.group_size in (4, 5)


def test_delete_article_recomputes_and_removes_orphans(engine: Engine) -> None:
    ingestor = Ingestor(engine)
    wire = ingestor.ingest(SOKCHO_WIRE)
    ingestor.ingest(SOKCHO_DAILY)
    musan = ingestor.ingest(MUSAN_SAME_DAY)
    assert wire.article_id and musan.article_id
    assert ingestor.delete_article(musan.article_id)
    assert ingestor.delete_article(wire.article_id)
    assert not ingestor.delete_article(wire.article_id)
    (boat,) = _incidents(engine)
    assert boat.source_count == 1


def test_reextract_keeps_curated_fields(engine: Engine) -> None:
    ingestor = Ingestor(engine)
    outcome = ingestor.ingest(MUSAN_SAME_DAY)
    with Session(engine) as session:
        incident = session.get(Incident, outcome.new_incidents[0])
        assert incident is not None
        incident.crossing = "Hand-corrected crossing"
        incident.curated_fields = ["crossing"]
        session.add(incident)
        session.commit()
    results = Ingestor(engine, extractor_version="next").reextract()
    assert [r.status for r in results] == ["updated"]
    (incident,) = _incidents(engine)
    assert incident.crossing == "Hand-corrected crossing"
    with Session(engine) as session:
        assert session.scalars(select(Article.extractor_version)).one() == "next"
    assert Ingestor(engine, extractor_version="next").reextract() == []


def test_failure_mid_article_leaves_nothing_half_written(engine: Engine) -> None:
    def exploding_extract(article: ArticleInput) -> list[Any]:
        incidents = extract(article)
        broken = replace(incidents[0], confidence=float("nan"))
        return [*incidents, broken, object()]

    ingestor = Ingestor(engine, _extract=exploding_extract)
    with pytest.raises(AttributeError):
        ingestor.ingest(SOKCHO_WIRE)
    assert (_count(engine, Article), _count(engine, Incident), _count(engine, Report)) == (0, 0, 0)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "no text"), ("   \n\t ", "no text"), ("x" * 2001, "over the 2000-character limit")],
)
def test_bad_articles_fail_with_a_reason(engine: Engine, text: str, reason: str) -> None:
    outcome = Ingestor(engine, max_chars=2000).ingest(replace(SOKCHO_WIRE, text=text))
    assert outcome.status == "failed" and outcome.reason and reason in outcome.reason
    assert _count(engine, Article) == 0


def _migration(name: str) -> ModuleType:
    path = migrate.migrations_dir() / "versions" / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _documents(engine: Engine) -> dict[int, str]:
    sql = {
        "sqlite": "SELECT rowid, document FROM incident_search",
        "postgresql": "SELECT incident_id, document::text FROM incident_search",
    }[engine.dialect.name]
    with engine.connect() as conn:
        return {int(row[0]): str(row[1]) for row in conn.execute(text(sql))}


def _rebuilt_documents(engine: Engine) -> dict[int, str]:
    """Every incident's document as migration 0002's full rebuild writes it."""
    full_text = _migration("0002_full_text_search.py")
    with write_session(engine) as session:
        if engine.dialect.name == "sqlite":
            session.execute(text("DELETE FROM incident_search"))
            session.execute(text(full_text._SQLITE_INSERT.format(ids="SELECT id FROM incident")))
        else:
            session.execute(text("SELECT incident_search_refresh(ARRAY(SELECT id FROM incident))"))
    return _documents(engine)


def test_search_documents_grown_report_by_report_equal_a_rebuild(engine: Engine) -> None:
    # A report after the others is appended to its incident's document (migration 0004, SQLite); the first report,
    # or one put in before a later one, rebuilds it. Either way the text is what a full rebuild writes.
    ingestor = Ingestor(engine)
    for article in (SOKCHO_WIRE, SOKCHO_DAILY, SOKCHO_BACKGROUND, MUSAN_SAME_DAY):
        ingestor.ingest(article)
    with write_session(engine) as session:
        boat = session.scalars(select(Report).order_by(col(Report.id))).all()[1]  # the second of the boat's three
        same_incident = select(func.count()).where(col(Report.incident_id) == boat.incident_id)
        before_and_after = [
            session.scalar(same_incident.where(condition))
            for condition in (col(Report.id) < boat.id, col(Report.id) > boat.id)
        ]
        assert before_and_after == [1, 1]
        again = Report(**{**boat.model_dump(), "ordinal": 7})  # same id: back between the other two
        session.delete(boat)
        session.flush()
        session.add(again)
        last = Report(**{**boat.model_dump(), "id": None, "ordinal": 8})  # after the others: appended
        session.add(last)
    grown = _documents(engine)
    assert len(grown) == 2 and all(grown.values())
    assert grown == _rebuilt_documents(engine)


def test_two_incidents_of_one_article_never_merge_with_each_other(engine: Engine) -> None:
    # An article that tells of two alike events (same day, route and group) means two events, not one twice.
    def twice(article: ArticleInput) -> list[Any]:
        return extract(article) * 2

    outcome = Ingestor(engine, _extract=twice).ingest(MUSAN_SAME_DAY)
    assert len(outcome.new_incidents) == 2 and not outcome.merged_incidents
    assert [i.source_count for i in _incidents(engine)] == [1, 1]
