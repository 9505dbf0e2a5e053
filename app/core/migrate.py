"""Programmatic Alembic: upgrade, downgrade and inspect the schema from the CLI, the app and the tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

import app
from app.core.db import engine_for_url

_PACKAGE_DIR = Path(app.__file__).resolve().parent


def migrations_dir() -> Path:
    """The repo's top-level `migrations/` in a checkout, or the copy shipped inside the installed wheel."""
    for candidate in (_PACKAGE_DIR.parent / "migrations", _PACKAGE_DIR / "_migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("no Alembic migrations directory found next to or inside the app package")


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    # ConfigParser treats % as interpolation; URL-encoded passwords contain it.
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def _run(database_url: str, action: Callable[[Config], None]) -> None:
    # Migrate through the service's own engine, so SQLite gets the same pragmas and its folder is created.
    engine = engine_for_url(database_url)
    cfg = alembic_config(database_url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        action(cfg)


def upgrade(database_url: str, revision: str = "head") -> None:
    _run(database_url, lambda cfg: command.upgrade(cfg, revision))


def downgrade(database_url: str, revision: str) -> None:
    _run(database_url, lambda cfg: command.downgrade(cfg, revision))


def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_at_head(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
