"""Engine factory and sessions for SQLite (embedded default) and PostgreSQL, from the same code."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlmodel import Session, create_engine

from app.core.config import Settings, get_settings

# Write transactions on SQLite take the write lock up front (BEGIN IMMEDIATE), so that a writer waits on the busy
# timeout instead of failing with SQLITE_BUSY when it upgrades a read transaction that another writer overtook.
IMMEDIATE = "sqlite_begin_immediate"


def normalize_url(raw: str) -> URL:
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


_ENGINES: dict[tuple[str, int], Engine] = {}


# 19 digits in a row may be an integer past 64 bits, which orjson would read as a float.
_LONG_NUMBER = re.compile(r"\d{19}")
_LONG_NUMBER_BYTES = re.compile(rb"\d{19}")


def _loads_json(text: str | bytes) -> Any:
    """JSON columns (report records and evidence, places) decoded with orjson, several times quicker than the
    standard library: merging re-reads every report of an incident. What orjson refuses or reads differently
    (NaN, integers past 64 bits) goes to the standard library, so every stored value reads back as it did."""
    long_number = _LONG_NUMBER.search(text) if isinstance(text, str) else _LONG_NUMBER_BYTES.search(text)
    if long_number is not None:
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _build_engine(raw_url: str, busy_timeout_ms: int) -> Engine:
    url = normalize_url(raw_url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            # FastAPI runs sync endpoints in a thread pool; each pooled connection is used by one thread at a time.
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            pool_size=8,
            max_overflow=8,
            json_deserializer=_loads_json,
        )
        _configure_sqlite(engine, busy_timeout_ms)
        _install_query_budget(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, json_deserializer=_loads_json)
    _install_query_budget(engine)
    return engine


# API requests run with a per-statement time budget (execution option); the CLI, ingestion and migrations do not.
QUERY_TIMEOUT_MS = "query_timeout_ms"
_PROGRESS_STEPS = 10_000


def _install_query_budget(engine: Engine) -> None:
    is_sqlite = engine.dialect.name == "sqlite"

    @event.listens_for(engine, "before_cursor_execute")
    def _budget(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        budget = conn.get_execution_options().get(QUERY_TIMEOUT_MS)
        if is_sqlite:
            conn.info["deadline"] = time.monotonic() + budget / 1000 if budget else None
            return
        # PostgreSQL: set statement_timeout on the pooled connection only when it changes.
        wanted = int(budget or 0)
        if conn.info.get("statement_timeout", 0) != wanted:
            cursor.execute(f"SET statement_timeout = {wanted}")
            conn.info["statement_timeout"] = wanted


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" hook below instead of pysqlite's implicit BEGINs.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()
        info = _record.info

        def over_budget() -> int:
            deadline = info.get("deadline")
            return 1 if deadline is not None and time.monotonic() > deadline else 0

        # SQLite calls this every N virtual-machine steps; a non-zero answer interrupts the statement.
        dbapi_conn.set_progress_handler(over_budget, _PROGRESS_STEPS)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def engine_for_url(database_url: str, *, busy_timeout_ms: int = 5000) -> Engine:
    """The process-wide engine for one database URL (one connection pool per URL)."""
    key = (database_url, busy_timeout_ms)
    engine = _ENGINES.get(key)
    if engine is None:
        engine = _ENGINES.setdefault(key, _build_engine(*key))
    return engine


def get_engine(settings: Settings | None = None) -> Engine:
    """The engine for the configured database."""
    settings = settings or get_settings()
    return engine_for_url(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def dispose_engines() -> None:
    """Close every pooled connection and forget the engines (tests, shutdown, after fork)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def backup_sqlite(engine: Engine, target: Path, *, pages_per_step: int = 256) -> int:
    """Copy a live SQLite database with SQLite's online backup API: a consistent snapshot taken in small steps, so
    writers are held up only briefly. Returns the size of the copy in bytes."""
    if engine.dialect.name != "sqlite":
        raise ValueError("online backup is for SQLite; for PostgreSQL use pg_dump (see the README)")
    import sqlite3

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        destination = sqlite3.connect(partial)
        try:
            source.backup(destination, pages=pages_per_step, sleep=0.001)
        finally:
            destination.close()
    finally:
        raw.close()
    # Only a complete copy takes the target's name.
    partial.replace(target)
    return target.stat().st_size


def read_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A short write transaction: committed on success, rolled back on any error."""
    bound = engine.execution_options(**{IMMEDIATE: True}) if engine.dialect.name == "sqlite" else engine
    with Session(bound, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
