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
