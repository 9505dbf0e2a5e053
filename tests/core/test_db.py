"""SQLite is configured for a concurrent web service; PostgreSQL URLs get the psycopg 3 driver."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from app.core.db import normalize_url, read_session, write_session
from app.models import ApiKey, Incident
from tests.factories import make_incident


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_normalize_url_picks_psycopg(raw: str, driver: str) -> None:
    assert normalize_url(raw).drivername == driver


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("pragma", "expected"),
    [("journal_mode", "wal"), ("foreign_keys", 1), ("synchronous", 1), ("busy_timeout", 5000)],
)
def test_sqlite_pragmas(engine: Engine, pragma: str, expected: object) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql(f"PRAGMA {pragma}").scalar() == expected


def test_write_session_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError), write_session(engine) as session:
        session.add(ApiKey(name="half-written", prefix="x", key_hash="0" * 64))
        session.flush()
        raise RuntimeError("boom")
    with read_session(engine) as session:
        assert session.exec(select(ApiKey)).all() == []


def test_concurrent_writers_do_not_fail(engine: Engine) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                with write_session(engine) as session:
                    session.add(ApiKey(name=f"k{n}-{i}", prefix="p", key_hash=f"{n:032d}{i:032d}"))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM api_key")).scalar() == 60


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PostgreSQL's json type refuses NaN on the way in
@pytest.mark.parametrize(
    ("stored", "check"),
    [
        ('[{"name": "Hyesan", "lat": 41.4}]', lambda places: places == [{"name": "Hyesan", "lat": 41.4}]),
        ('[{"name": "Hyesan", "lat": NaN}]', lambda places: math.isnan(places[0]["lat"])),  # orjson refuses NaN
        # past 64 bits, which orjson refuses
        (
            '[{"name": "Hyesan", "n": 123456789012345678901234567890}]',
            lambda places: places[0]["n"] == 123456789012345678901234567890,
        ),
    ],
)
def test_json_columns_read_whatever_was_stored(engine: Engine, stored: str, check: Callable[[Any], bool]) -> None:
    with write_session(engine) as session:
        incident_id = make_incident(session).id
    with engine.begin() as conn:
        conn.execute(text("UPDATE incident SET places = :stored WHERE id = :id"), {"stored": stored, "id": incident_id})
    with read_session(engine) as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and check(incident.places)
