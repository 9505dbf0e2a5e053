"""The write endpoints: keys (401 cases, revocation mid-use), ingest, delete, corrections with history."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.security import create_key, revoke_key
from app.ingestion.samples import sample_paths
from tests.conftest import ClientFactory
from tests.ingestion.articles import MUSAN_SAME_DAY

BOOTSTRAP = "bootstrap-key-for-tests"
ARTICLE = {"title": MUSAN_SAME_DAY.title, "source": MUSAN_SAME_DAY.source, "published": "2023-10-25",
           "text": MUSAN_SAME_DAY.text}  # fmt: skip


@pytest.fixture
def api(make_client: ClientFactory) -> Iterator[TestClient]:
    with make_client(api_key=BOOTSTRAP) as client:
        yield client


AUTH = {"Authorization": f"Bearer {BOOTSTRAP}"}


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "needs an API key"),
        ({"Authorization": "Bearer wrong"}, "not valid"),
        ({"X-API-Key": "wrong"}, "not valid"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "needs an API key"),
    ],
)
def test_writes_need_a_valid_key(api: TestClient, headers: dict[str, str], detail: str) -> None:
    response = api.post("/articles", json=ARTICLE, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]


def test_ingest_then_unchanged(api: TestClient) -> None:
    created = api.post("/articles", json=ARTICLE, headers=AUTH)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "new" and body["new_incidents"] and body["incidents"]
    assert created.headers["Location"] == f"/articles/{body['id']}"
    evidence = body["incidents"][0]["evidence"]
    assert evidence and all(body["text"][e["start"] : e["end"]] == e["text"] for e in evidence)
    again = api.post("/articles", json=ARTICLE, headers={"X-API-Key": BOOTSTRAP})
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    listed = api.get("/incidents").json()["data"]
    assert {i["id"] for i in listed} == set(body["new_incidents"])


def test_stored_key_revoked_mid_use(api: TestClient, engine: Engine) -> None:
    key = create_key(engine, "svc")
    headers = {"Authorization": f"Bearer {key}"}
    assert api.post("/articles", json=ARTICLE, headers=headers).status_code == 201
    revoke_key(engine, "svc")
    again = api.post("/articles", json={**ARTICLE, "text": ARTICLE["text"] + " More."}, headers=headers)
    assert again.status_code == 401


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        ({}, "body"),
        ({"text": "   "}, "body"),
        ({"text": "x", "unexpected": 1}, "unexpected"),
        ({"text": "A soldier fled.", "published": "2021-02-30"}, "published"),
        ({"url": "http://127.0.0.1:9/admin"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"text": "x" * 3000}, "text"),
    ],
)
def test_bad_submissions(make_client: ClientFactory, payload: dict[str, object], name: str) -> None:
    with make_client(api_key=BOOTSTRAP, max_article_chars=2000) as api:
        response = api.post("/articles", json=payload, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    names = [e["name"] for e in response.json()["errors"]]
    assert any(n == name or n.endswith(name) for n in names), names


def test_invalid_json_body(api: TestClient) -> None:
    response = api.post("/articles", content=b"{not json", headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == 422 and response.json()["status"] == 422


def test_delete_article(api: TestClient) -> None:
    article = api.post("/articles", json=ARTICLE, headers=AUTH).json()
    assert api.delete(f"/articles/{article['id']}").status_code == 401
    assert api.delete(f"/articles/{article['id']}", headers=AUTH).status_code == 204
    assert api.get(f"/articles/{article['id']}").status_code == 404
    assert api.get("/incidents").json()["data"] == []
    missing = api.delete(f"/articles/{article['id']}", headers=AUTH)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_correct_incident_and_history(api: TestClient) -> None:
    incident_id = api.post("/articles", json=ARTICLE, headers=AUTH).json()["new_incidents"][0]
    patch = {
        "group_size": 3,
        "armed": True,
        "location": {"name": "Musan", "kind": "county", "country": "PRK", "lat": 42.23, "lon": 129.2},
    }
    assert api.patch(f"/incidents/{incident_id}", json=patch).status_code == 401
    corrected = api.patch(f"/incidents/{incident_id}", json=patch, headers=AUTH)
    assert corrected.status_code == 200, corrected.text
    record = corrected.json()
    assert (record["group_size"], record["armed"], record["location"]["name"]) == (3, True, "Musan")
    assert set(record["curated_fields"]) >= {"group_size", "armed", "location_name", "lat", "lon"}
    history = api.get(f"/incidents/{incident_id}/history").json()
    assert len(history) == 1 and history[0]["changed_by"] == "bootstrap"
    assert history[0]["after"]["group_size"] == 3


@pytest.mark.parametrize(
    "patch",
    [
        {},
        {"method": "teleport"},
        {"origin_country": "prk"},
        {"id": 4},
        {"group_size": 0},
        {"group_size_min": 5, "group_size_max": 2},
        {"transit_countries": ["china"]},
    ],
)
def test_bad_corrections(api: TestClient, patch: dict[str, object]) -> None:
    incident_id = api.post("/articles", json=ARTICLE, headers=AUTH).json()["new_incidents"][0]
    response = api.patch(f"/incidents/{incident_id}", json=patch, headers=AUTH)
    assert response.status_code == 422 and response.json()["errors"]


def test_missing_incident(api: TestClient) -> None:
    assert api.patch("/incidents/999", json={"armed": True}, headers=AUTH).status_code == 404
    assert api.get("/incidents/999/history").status_code == 404


def test_reads_can_require_a_key(make_client: ClientFactory) -> None:
    with make_client(api_key=BOOTSTRAP, require_key_for_reads=True) as api:
        assert api.get("/incidents").status_code == 401
        assert api.get("/incidents", headers=AUTH).status_code == 200
        assert api.get("/health").status_code == 200


def test_reads_are_public_but_a_bad_key_is_still_refused(api: TestClient) -> None:
    assert api.get("/incidents").status_code == 200
    assert api.get("/incidents", headers={"X-API-Key": "nope"}).status_code == 401


def test_sample_via_api(api: TestClient) -> None:
    sample = json.loads(sample_paths()[0].read_text())
    payload = {k: sample[k] for k in ("url", "title", "source", "published", "text")}
    response = api.post("/articles", json=payload, headers=AUTH)
    assert response.status_code == 201 and response.json()["url"] == sample["url"]
