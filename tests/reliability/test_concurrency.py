"""Concurrent writers and readers against uvicorn with 2 workers on one database, SQLite and PostgreSQL.

Afterwards: no 5xx, no "database is locked", every accepted article stored exactly once, and incidents consistent
with their reports (and SQLite's integrity and foreign-key checks clean)."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from tests.reliability.server import API_KEY, running, unique_article

WRITERS = 8
READERS = 16
SECONDS = 12.0


def consistency_problems(url: str) -> list[str]:
    engine = create_engine(url)
    problems: list[str] = []
    with engine.connect() as conn:
        if url.startswith("sqlite"):
            integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
            if integrity != "ok":
                problems.append(f"integrity_check: {integrity}")
            if conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall():
                problems.append("foreign_key_check found dangling references")
        orphans = conn.execute(
            text("SELECT count(*) FROM incident i WHERE NOT EXISTS (SELECT 1 FROM report r WHERE r.incident_id = i.id)")
        ).scalar()
        if orphans:
            problems.append(f"{orphans} incidents without reports")
        wrong_counts = conn.execute(
            text(
                "SELECT count(*) FROM incident i WHERE i.source_count != "
                "(SELECT count(DISTINCT r.article_id) FROM report r WHERE r.incident_id = i.id)"
            )
        ).scalar()
        if wrong_counts:
            problems.append(f"{wrong_counts} incidents whose source_count disagrees with their reports")
        duplicates = conn.execute(
            text("SELECT count(*) FROM (SELECT content_hash FROM article GROUP BY content_hash HAVING count(*) > 1) d")
        ).scalar()
        if duplicates:
            problems.append(f"{duplicates} articles stored twice")
    engine.dispose()
    return problems


async def drive(base: str, seconds: float) -> dict[str, Any]:
    statuses: Counter[str] = Counter()
    bodies_with_lock: list[str] = []
    accepted: set[str] = set()
    deadline = time.monotonic() + seconds
    auth = {"X-API-Key": API_KEY}

    async def writer(n: int, client: httpx.AsyncClient) -> None:
        i = 0
        while time.monotonic() < deadline:
            article = unique_article(i, seed=n)
            response = await client.post("/articles", json=article, headers=auth)
            statuses[f"POST {response.status_code}"] += 1
            if response.status_code in (200, 201):
                accepted.add(str(article["text"]))
            if i % 5 == 4:  # the same article again must come back unchanged
                again = await client.post("/articles", json=article, headers=auth)
                statuses[f"POST-again {again.status_code}"] += 1
                assert again.status_code == 200 and again.json()["status"] == "unchanged", again.text
            if "database is locked" in response.text:
                bodies_with_lock.append(response.text[:200])
            i += 1

    async def reader(n: int, client: httpx.AsyncClient) -> None:
        rng = random.Random(n)
        paths = [
            "/incidents?limit=50&sort=-date_start",
            "/incidents?origin=PRK&method=river",
            "/stats?group_by=year,destination",
            "/articles?limit=20",
            "/places",
            "/incidents?q=soldier",
        ]
        while time.monotonic() < deadline:
            path = rng.choice(paths)
            response = await client.get(path)
            statuses[f"GET {response.status_code}"] += 1
            if response.status_code == 200 and path.startswith("/incidents?limit") and response.json()["data"]:
                first = response.json()["data"][0]["id"]
                detail = await client.get(f"/incidents/{first}")
                statuses[f"GET {detail.status_code}"] += 1
            if "database is locked" in response.text:
                bodies_with_lock.append(response.text[:200])

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await asyncio.gather(*(writer(n, client) for n in range(WRITERS)), *(reader(n, client) for n in range(READERS)))
    return {"statuses": dict(statuses), "locked": bodies_with_lock, "accepted": len(accepted)}


def test_concurrent_writers_and_readers(empty_database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    started = time.monotonic()
    with running(empty_database_url, log, workers=2) as server:
        result = asyncio.run(drive(server.base, SECONDS))
    elapsed = time.monotonic() - started
    statuses = result["statuses"]
    server_errors = {k: v for k, v in statuses.items() if k.split()[-1].startswith("5")}
    print(
        f"\nconcurrency ({empty_database_url.split(':')[0]}): {WRITERS} writers, {READERS} readers, "
        f"{SECONDS:.0f} s of load ({elapsed:.0f} s with start-up): {statuses}; "
        f"accepted articles {result['accepted']}"
    )
    assert not server_errors, statuses
    assert not result["locked"]
    assert "database is locked" not in log.read_text()
    engine = create_engine(empty_database_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM article")).scalar()
    engine.dispose()
    assert stored == result["accepted"] > 0
    assert consistency_problems(empty_database_url) == []
