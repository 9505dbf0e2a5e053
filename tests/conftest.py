"""Shared fixtures: every test that touches a database gets its own, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from app.core import migrate
from app.core.config import Settings, get_settings
from app.core.db import dispose_engines, engine_for_url
from app.main import create_app

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")


def pytest_sessionstart(session: pytest.Session) -> None:
    """A mypyc build without HATCH_BUILD_CLEAN_HOOKS_AFTER=1 leaves compiled modules beside the sources, and Python
    imports those first: the tests would run code that edits no longer change. Set TEST_COMPILED=1 to test such a
    build on purpose."""
    from app import extraction

    if extraction.COMPILED and not os.environ.get("TEST_COMPILED"):
        pytest.exit(
            f"compiled extraction modules shadow the sources ({Path(extraction.pipeline.__file__).parent}); "
            "delete the *.so files there, or set TEST_COMPILED=1 to test them",
            returncode=4,
        )


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="TEST_POSTGRES_URL is not set; PostgreSQL cases skipped"),
        ],
    ),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a brand-new, empty database that is dropped after the test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        dispose_engines()
        return
    assert POSTGRES_URL
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A fresh database migrated to the latest schema."""
    migrate.upgrade(empty_database_url)
    return empty_database_url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def engine(settings: Settings) -> Engine:
    return engine_for_url(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    application = create_app(settings)
    application.dependency_overrides[get_settings] = lambda: settings
    return application


ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(database_url: str) -> ClientFactory:
    """A TestClient for an app made with these setting overrides, on this test's database."""

    def make(**overrides: Any) -> TestClient:
        settings = Settings(database_url=database_url, _env_file=None, **overrides)
        application = create_app(settings)
        application.dependency_overrides[get_settings] = lambda: settings
        return TestClient(application, raise_server_exceptions=False)

    return make


@pytest.fixture
def env_database_url(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This test's database as DATABASE_URL, for code that reads settings from the environment (the CLI)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
