"""SIGKILL mid-write: the server (all its workers) and, separately, a CLI batch ingest. After a restart the
database is intact, nothing is half-written, and re-running the same work completes with no duplicates."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from app.extraction import ArticleInput, extract
from app.ingestion.readers import parse_published
from tests.reliability.server import API_KEY, start, unique_article
from tests.reliability.test_concurrency import consistency_problems


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
    engine.dispose()
    return value


def _half_written(url: str) -> list[int]:
    """Articles whose stored reports are not what extracting them gives: a write that stopped halfway."""
    engine = create_engine(url)
    bad = []
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.id, a.text, a.published, "
                "(SELECT count(*) FROM report r WHERE r.article_id = a.id) FROM article a"
            )
        ).all()
    engine.dispose()
    for article_id, body, published, reports in rows:
        expected = len(extract(ArticleInput(text=body, published=parse_published(published))))
        if reports != expected:
            bad.append(article_id)
    return bad


async def _post_all(base: str, articles: list[dict[str, object]], *, stop_after: float | None) -> list[int]:
    statuses: list[int] = []
    deadline = time.monotonic() + stop_after if stop_after else None
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        queue = list(articles)

        async def worker() -> None:
            while queue and (deadline is None or time.monotonic() < deadline):
                article = queue.pop()
                try:
                    response = await client.post("/articles", json=article, headers={"X-API-Key": API_KEY})
                    statuses.append(response.status_code)
                except httpx.HTTPError:
                    statuses.append(0)  # the server died under this request

        await asyncio.gather(*(worker() for _ in range(8)))
    return statuses


def test_server_killed_mid_write(empty_database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    articles = [unique_article(i, seed=7) for i in range(400)]
    server = start(empty_database_url, log, workers=2)

    async def load_then_kill() -> list[int]:
        task = asyncio.create_task(_post_all(server.base, articles, stop_after=30))
        await asyncio.sleep(3)
        server.kill()
        return await task

    first = asyncio.run(load_then_kill())
    stored_before = _count(empty_database_url, "article")
    assert 0 < stored_before < len(articles), "the kill must land mid-batch"
    assert consistency_problems(empty_database_url) == []
    assert _half_written(empty_database_url) == []

    server = start(empty_database_url, log, workers=2)
    try:
        second = asyncio.run(_post_all(server.base, articles, stop_after=None))
    finally:
        server.stop()
    print(
        f"\nserver SIGKILL: {len(first)} requests before the kill, {stored_before} articles stored; "
        f"re-run statuses {sorted(set(second))}"
    )
    assert set(second) <= {200, 201} and len(second) == len(articles)
    assert _count(empty_database_url, "article") == len(articles)
    assert consistency_problems(empty_database_url) == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cli_batch_killed_mid_write(empty_database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    for i in range(600):
        (folder / f"a{i:04d}.json").write_text(json.dumps(unique_article(i, seed=11)), encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": empty_database_url, "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "app", "ingest", "--quiet", str(folder)]
    process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _count(empty_database_url, "article") >= 50:
                break
        except Exception:  # the schema may not exist yet in the first instants
            pass
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    stored_before = _count(empty_database_url, "article")
    assert 0 < stored_before < 600, "the kill must land mid-batch"
    assert consistency_problems(empty_database_url) == []
    assert _half_written(empty_database_url) == []

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    print(f"\nCLI SIGKILL: {stored_before} of 600 stored before the kill; re-run: {rerun.stdout.strip()}")
    assert rerun.returncode == 0, rerun.stderr
    assert f"{600 - stored_before} new, {stored_before} unchanged" in rerun.stdout
    assert _count(empty_database_url, "article") == 600
    assert consistency_problems(empty_database_url) == []
