"""`defections db backup` uses SQLite's online backup API: a consistent copy while writes are running."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings
from app.core.db import backup_sqlite
from app.ingestion.readers import RawArticle
from app.ingestion.store import Ingestor
from tests.reliability.server import unique_article


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_backup_while_writing(engine: Engine, tmp_path: Path) -> None:
    ingestor = Ingestor(engine)
    stop = threading.Event()
    written = [0]
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            n = 0
            while not stop.is_set():
                article = unique_article(n, seed=3)
                raw = RawArticle(text=str(article["text"]), source_name=f"w{n}", title=str(article["title"]))
                assert ingestor.ingest(raw).status == "new"
                written[0] += 1
                n += 1
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 20:
            pass
        copies = [backup_sqlite(engine, tmp_path / f"copy{i}.db", pages_per_step=16) for i in range(3)]
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert all(size > 0 for size in copies)
    for i in range(3):
        with sqlite3.connect(tmp_path / f"copy{i}.db") as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
            articles = copy.execute("SELECT count(*) FROM article").fetchone()[0]
            reports_without_article = copy.execute(
                "SELECT count(*) FROM report r LEFT JOIN article a ON a.id = r.article_id WHERE a.id IS NULL"
            ).fetchone()[0]
        assert 0 < articles <= written[0] and reports_without_article == 0
    assert not list(tmp_path.glob("*.partial"))


def test_backup_command(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["db", "backup", str(tmp_path / "out" / "backup.db")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "backup.db").stat().st_size > 0
