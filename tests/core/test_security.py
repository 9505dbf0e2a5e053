"""API keys: shown once, stored hashed, revocable, compared in constant time."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import cli
from app.core.security import ApiKeyError, authenticate, create_key, hash_key, list_keys, revoke_key
from app.models import ApiKey


def test_key_is_stored_only_as_hash(engine: Engine) -> None:
    key = create_key(engine, "analyst")
    with Session(engine) as session:
        row = session.exec(select(ApiKey)).one()
    assert key.startswith("dfk_") and len(key) > 40
    assert row.key_hash == hash_key(key) and key not in (row.key_hash, row.prefix)
    assert row.prefix == key[:12]


def test_authenticate_and_revoke(engine: Engine) -> None:
    key = create_key(engine, "svc")
    with Session(engine) as session:
        principal = authenticate(session, key, bootstrap=None)
        assert principal is not None and principal.name == "svc"
        assert authenticate(session, key + "x", bootstrap=None) is None
    revoke_key(engine, "svc")
    with Session(engine) as session:
        assert authenticate(session, key, bootstrap=None) is None


@pytest.mark.parametrize(("presented", "ok"), [("boot-secret", True), ("boot-secre", False), ("", False)])
def test_bootstrap_key(engine: Engine, presented: str, ok: bool) -> None:
    with Session(engine) as session:
        assert (authenticate(session, presented, bootstrap="boot-secret") is not None) is ok


@pytest.mark.parametrize("name", ["", " ", "x" * 101])
def test_bad_names(engine: Engine, name: str) -> None:
    with pytest.raises(ApiKeyError):
        create_key(engine, name)


def test_duplicate_and_unknown(engine: Engine) -> None:
    create_key(engine, "dup")
    with pytest.raises(ApiKeyError, match="already exists"):
        create_key(engine, "dup")
    with pytest.raises(ApiKeyError, match="no key named"):
        revoke_key(engine, "ghost")
    assert [k.name for k in list_keys(engine)] == ["dup"]


def test_keys_cli(env_database_url: str) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["keys", "create", "dashboard"])
    assert created.exit_code == 0
    key = created.stdout.strip().splitlines()[0]
    assert key.startswith("dfk_")
    listed = runner.invoke(cli, ["keys", "list"])
    assert "dashboard" in listed.output and "active" in listed.output and key not in listed.output
    assert runner.invoke(cli, ["keys", "create", "dashboard"]).exit_code == 1
    assert runner.invoke(cli, ["keys", "revoke", "dashboard"]).exit_code == 0
    assert "revoked" in runner.invoke(cli, ["keys", "list"]).output
    assert runner.invoke(cli, ["keys", "revoke", "nobody"]).exit_code == 1
