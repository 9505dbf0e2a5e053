"""Every error path answers with the one RFC 9457 problem+json shape, and never leaks internals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.errors import PROBLEM_MEDIA_TYPE

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


@pytest.fixture
def probe_client(app: FastAPI) -> Iterator[TestClient]:
    """The real app plus two routes that exercise the validation and crash handlers generically."""

    @app.get("/_probe/validate")
    def _validate(day: date, count: int = 1) -> dict[str, str]:
        """Echo a date (test-only route)."""
        return {"day": day.isoformat()}

    @app.get("/_probe/crash")
    def _crash() -> None:
        """Fail unexpectedly (test-only route)."""
        raise RuntimeError("SELECT secret FROM internals /srv/app/secret.py")

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no/such/route", 404),
        ("POST", "/health", 405),
        ("DELETE", "/ready", 405),
        ("GET", "/_probe/validate", 422),
        ("GET", "/_probe/validate?day=2021-02-30", 422),
        ("GET", "/_probe/validate?day=2021-01-01&count=many", 422),
        ("GET", "/_probe/crash", 500),
        # the query API
        ("GET", "/incidents?limit=0", 422),
        ("GET", "/incidents?limit=1001", 422),
        ("GET", "/incidents?limit=all", 422),
        ("GET", "/incidents?date_from=2021-02-30", 422),
        ("GET", "/incidents?date_from=2021-05-01&date_to=2021-04-01", 422),
        ("GET", "/incidents?origin=XXX", 422),
        ("GET", "/incidents?method=teleport", 422),
        ("GET", "/incidents?bbox=1,2,3", 422),
        ("GET", "/incidents?near=100,0", 422),
        ("GET", "/incidents?radius_km=5", 422),
        ("GET", "/incidents?min_size=9&max_size=1", 422),
        ("GET", "/incidents?q=%27--", 422),
        ("GET", "/incidents?sort=-name", 422),
        ("GET", "/incidents?fields=bogus", 422),
        ("GET", "/incidents?include=everything", 422),
        ("GET", "/incidents?format=xml", 422),
        ("GET", "/incidents?orgin=PRK", 422),
        ("GET", "/incidents?cursor=garbage", 400),
        ("GET", "/incidents/999999", 404),
        ("GET", "/incidents/abc", 422),
        ("POST", "/incidents", 405),
        ("GET", "/articles?published_from=bad", 422),
        ("GET", "/articles?sort=title", 422),
        ("GET", "/articles?cursor=x", 400),
        ("GET", "/articles/999999", 404),
        ("GET", "/stats?group_by=planet", 422),
        ("GET", "/stats?group_by=year,month,actor", 422),
        ("GET", "/stats?format=ndjson", 422),
        ("GET", "/places?kind=galaxy", 422),
        ("GET", "/places?country=ZZZ", 422),
    ],
)
def test_error_shape(probe_client: TestClient, method: str, path: str, status: int) -> None:
    response = probe_client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["instance"] == path.split("?")[0]
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"]
    if status == 422:
        assert body["errors"], "validation problems name the bad inputs"
        assert {"location", "name", "message"} <= body["errors"][0].keys()
    if status == 500:
        assert "secret" not in response.text and "Traceback" not in response.text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_validation_problem_names_the_parameter(probe_client: TestClient) -> None:
    body = probe_client.get("/_probe/validate?day=yesterday").json()
    assert body["errors"][0]["name"] == "day"
    assert body["errors"][0]["location"] == "query"
    assert body["detail"].startswith("day:")
