"""Full-text search stays in step with the data: the migration's triggers (SQLite FTS5, PostgreSQL tsvector)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import col

from app.core.db import write_session
from app.models import Article, Incident, Report
from tests.api.conftest import World


def found(client: TestClient, world: World, q: str) -> set[str]:
    response = client.get(f"/incidents?q={q}&limit=1000")
    assert response.status_code == 200, response.text
    return set(world.names([i["id"] for i in response.json()["data"]]))


def found_articles(client: TestClient, world: World, q: str) -> set[str]:
    response = client.get(f"/articles?q={q}&limit=1000")
    assert response.status_code == 200, response.text
    return set(world.article_names([a["id"] for a in response.json()["data"]]))


def test_incident_summary_changes_are_searchable(client: TestClient, world: World, engine: Engine) -> None:
    assert found(client, world, "footballers") == {"tampa"}
    with write_session(engine) as session:
        incident = session.get(Incident, world.incidents["tampa"])
        assert incident is not None
        incident.summary = "7 Cuban athletes walked out of their hotel in Tampa"
    assert found(client, world, "footballers") == set()
    assert found(client, world, "hotel") == {"tampa"}


def test_article_title_changes_reach_its_incidents(client: TestClient, world: World, engine: Engine) -> None:
    assert found(client, world, "weapons") == {"hyesan"}
    with write_session(engine) as session:
        article = session.get(Article, world.articles["a_rfa"])
        assert article is not None
        article.title = "Border unit vanishes overnight"
    assert found(client, world, "weapons") == set()
    assert found(client, world, "overnight") == {"hyesan"}
    assert found_articles(client, world, "overnight") == {"a_rfa"}


def test_removed_reports_and_incidents_leave_the_index(client: TestClient, world: World, engine: Engine) -> None:
    assert found(client, world, "rifles") == {"hyesan"}
    with write_session(engine) as session:
        session.execute(delete(Report).where(col(Report.article_id) == world.articles["a_hyesan"]))
    assert found(client, world, "rifles") == set()  # the span was only in that report
    assert found(client, world, "yalu") == {"hyesan", "hyesan19"}  # still in both summaries
    with write_session(engine) as session:
        incident = session.get(Incident, world.incidents["hyesan19"])
        session.delete(incident)
    assert found(client, world, "yalu") == {"hyesan"}


def test_article_text_changes_and_deletes(client: TestClient, world: World, engine: Engine) -> None:
    assert found_articles(client, world, "fell") == {"a_stats"}
    with write_session(engine) as session:
        article = session.get(Article, world.articles["a_stats"])
        assert article is not None
        article.text = "Resettlement numbers dropped again."
    assert found_articles(client, world, "fell") == set()
    assert found_articles(client, world, "resettlement") == {"a_stats"}
    with write_session(engine) as session:
        session.delete(session.get(Article, world.articles["a_stats"]))
    assert found_articles(client, world, "resettlement") == set()
    # deleting an article drops its reports (cascade), and the incidents' documents lose its title
    assert found(client, world, "sokcho") == {"sokcho", "laos"}
    with write_session(engine) as session:
        session.delete(session.get(Article, world.articles["a_boat"]))
    assert found(client, world, "sokcho") == set()
    assert found(client, world, "northern") == {"sokcho"}


def test_new_incidents_and_reports_are_searchable(client: TestClient, world: World, engine: Engine) -> None:
    from tests.factories import make_article, make_incident, make_report, span

    with write_session(engine) as session:
        article = make_article(
            session, title="Crew rows across the estuary", text="A crew rowed across the Han estuary."
        )
        incident = make_incident(session, summary="A crew crossed the Han River estuary")
        make_report(session, article=article, incident=incident, evidence=[span("method", "rowed", 7)])
    assert found(client, world, "rowed%20estuary") == {f"#{incident.id}"}
    assert found(client, world, "rows%20crew") == {f"#{incident.id}"}
