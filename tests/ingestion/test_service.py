"""Submitting single articles (text, HTML, URL) and analyst corrections with history."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.config import Settings
from app.ingestion.fetch import Fetched, FetchError
from app.ingestion.service import Submission, SubmissionError, correct_incident, incident_history, submit
from app.ingestion.store import Ingestor
from app.models import Incident
from tests.ingestion.articles import MUSAN_SAME_DAY

TEXT = MUSAN_SAME_DAY.text
HTML = f"<html><head><title>Soldier crosses</title></head><body><article><p>{TEXT}</p></article></body></html>"


def fetcher(url: str) -> Fetched:
    if url == "https://news.example/musan":
        return Fetched(url, "text/html", HTML.encode())
    if url.startswith("http://127.0.0.1"):
        raise FetchError("refused: 127.0.0.1 resolves to internal address 127.0.0.1 (see FETCH_ALLOW_HOSTS)")
    raise FetchError(f"HTTP 404 from {url}")


@pytest.fixture
def cfg(database_url: str) -> Settings:
    return Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "sub",
    [
        Submission(text=TEXT, published=date(2023, 10, 25), source="Desk"),
        Submission(html=HTML, published=date(2023, 10, 25)),
        Submission(url="https://news.example/musan", published=date(2023, 10, 25)),
    ],
    ids=["text", "html", "url"],
)
def test_submit(engine: Engine, cfg: Settings, sub: Submission) -> None:
    outcome = submit(engine, cfg, sub, fetcher=fetcher)
    assert outcome.status == "new" and outcome.new_incidents
    again = submit(engine, cfg, sub, fetcher=fetcher)
    assert again.status == "unchanged" and again.article_id == outcome.article_id


@pytest.mark.parametrize(
    ("sub", "field", "status"),
    [
        (Submission(), "text", 422),
        (Submission(text="   "), "text", 422),
        (Submission(url="http://127.0.0.1/admin"), "url", 422),
        (Submission(url="https://news.example/gone"), "url", 422),
        (Submission(html="<html><body></body></html>"), "html", 422),
    ],
)
def test_submit_errors(engine: Engine, cfg: Settings, sub: Submission, field: str, status: int) -> None:
    with pytest.raises(SubmissionError) as caught:
        submit(engine, cfg, sub, fetcher=fetcher)
    assert (caught.value.field, caught.value.status) == (field, status)


def test_correction_is_curated_recorded_and_survives_reextraction(engine: Engine) -> None:
    outcome = Ingestor(engine).ingest(MUSAN_SAME_DAY)
    incident_id = outcome.new_incidents[0]
    with Session(engine) as session:
        original = session.get(Incident, incident_id)
        assert original is not None
        before_size = original.group_size
    corrected = correct_incident(engine, incident_id, {"group_size": 3, "armed": True}, by="analyst-1")
    assert corrected is not None and corrected.group_size == 3 and corrected.armed is True
    assert corrected.curated_fields == ["armed", "group_size"]
    Ingestor(engine, extractor_version="later").reextract()
    with Session(engine) as session:
        after = session.get(Incident, incident_id)
        assert after is not None and (after.group_size, after.armed) == (3, True)
    history = incident_history(engine, incident_id)
    assert history is not None and len(history) == 1
    assert history[0].changed_by == "analyst-1"
    assert history[0].before == {"group_size": before_size, "armed": original.armed}
    assert history[0].after == {"group_size": 3, "armed": True}


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"id": 5}, "id"), ({"source_count": 9}, "source_count"), ({"date_start": date(2030, 1, 1)}, "date_start")],
)
def test_bad_corrections(engine: Engine, changes: dict[str, object], field: str) -> None:
    incident_id = Ingestor(engine).ingest(MUSAN_SAME_DAY).new_incidents[0]
    with pytest.raises(SubmissionError) as caught:
        correct_incident(engine, incident_id, changes, by="x")
    assert caught.value.field == field
    assert incident_history(engine, incident_id) == []


def test_missing_incident(engine: Engine) -> None:
    assert correct_incident(engine, 999, {"armed": True}, by="x") is None
    assert incident_history(engine, 999) is None
