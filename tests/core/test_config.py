"""Settings: read from the environment, and every one of them documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.core.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _documented_settings() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\|\s*`([A-Z0-9_]+)`", section, flags=re.MULTILINE))


@pytest.mark.parametrize("name", sorted(f.upper() for f in Settings.model_fields))
def test_every_setting_is_in_the_readme_table(name: str) -> None:
    assert name in _documented_settings(), f"{name} is missing from the README's settings table"


def test_readme_documents_no_unknown_settings() -> None:
    assert _documented_settings() <= {f.upper() for f in Settings.model_fields}


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone@db/incidents")
    monkeypatch.setenv("PORT", "9000")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "postgresql://someone@db/incidents"
    assert settings.port == 9000
    assert not settings.is_sqlite


def test_default_database_is_a_local_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite:///data/incidents.db"
    assert settings.is_sqlite
