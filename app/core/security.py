"""API keys: generated once, stored only as a SHA-256 hash, compared in constant time, never logged."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.db import write_session
from app.models import ApiKey, utcnow

KEY_PREFIX = "dfk_"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's name (or 'bootstrap' for the key from settings)."""

    name: str


class ApiKeyError(Exception):
    """A key operation that cannot be done (duplicate name, unknown key)."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_key(engine: Engine, name: str) -> str:
    """Store a new key under `name` and return the key itself (the only time it is ever available)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ApiKeyError("a key name is 1 to 100 characters")
    key = new_key()
    with write_session(engine) as session:
        if session.exec(select(ApiKey).where(col(ApiKey.name) == name)).first() is not None:
            raise ApiKeyError(f"a key named {name!r} already exists")
        session.add(ApiKey(name=name, prefix=key[:12], key_hash=hash_key(key)))
    return key


def revoke_key(engine: Engine, name: str) -> datetime:
    with write_session(engine) as session:
        row = session.exec(select(ApiKey).where(col(ApiKey.name) == name)).first()
        if row is None:
            raise ApiKeyError(f"no key named {name!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)
        return row.revoked_at


def list_keys(engine: Engine) -> list[ApiKey]:
    with Session(engine) as session:
        return list(session.exec(select(ApiKey).order_by(col(ApiKey.created_at))))


def authenticate(session: Session, presented: str, *, bootstrap: str | None) -> Principal | None:
    """The principal for a presented key, or None. Revocation takes effect on the very next request: every
    request looks the key up again."""
    if bootstrap and hmac.compare_digest(presented.encode(), bootstrap.encode()):
        return Principal("bootstrap")
    digest = hash_key(presented)
    row = session.exec(select(ApiKey).where(col(ApiKey.key_hash) == digest)).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, digest):
        return None
    return Principal(row.name)
