"""Migrations are the only way tables are made, and they match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.core import migrate
from app.core.db import engine_for_url

TABLES = {"article", "incident", "report", "api_key", "incident_change"}


def test_upgrade_then_downgrade_round_trip(empty_database_url: str) -> None:
    engine = engine_for_url(empty_database_url)
    assert migrate.current_revision(engine) is None

    migrate.upgrade(empty_database_url)
    assert migrate.is_at_head(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES

    migrate.downgrade(empty_database_url, "base")
    assert migrate.current_revision(engine) is None
    assert not TABLES & set(inspect(engine).get_table_names())

    migrate.upgrade(empty_database_url)
    assert migrate.is_at_head(engine)


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = engine_for_url(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_migrations_dir_is_found() -> None:
    assert (migrate.migrations_dir() / "env.py").is_file()
    assert migrate.head_revision() is not None
