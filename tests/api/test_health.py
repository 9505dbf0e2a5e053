"""Liveness, readiness and the documentation pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app import __version__
from app.core import migrate
from app.core.config import Settings, get_settings
from app.main import create_app


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


def test_ready_when_migrated(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["revision"] == migrate.head_revision()


def test_not_ready_before_migrations(empty_database_url: str) -> None:
    settings = Settings(database_url=empty_database_url, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings)
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "defections db upgrade" in response.json()["detail"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("path", "marker"), [("/docs", "swagger-ui"), ("/redoc", "redoc")])
def test_docs_pages_need_no_internet(client: TestClient, path: str, marker: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert marker in page.text.lower()
    assert "cdn." not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        if asset in page.text:
            assert client.get(f"/static-offline-docs/{asset}").status_code == 200


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_openapi_has_metadata(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "Defections API"
    assert spec["info"]["version"] == __version__
    assert {t["name"] for t in spec["tags"]} >= {"incidents", "health"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary") and op.get("description"), f"{method.upper()} {path} lacks a docstring"
