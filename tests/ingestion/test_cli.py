"""The ingest, reextract and extract commands: summaries, one line per failure, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import cli
from app.core.db import engine_for_url
from app.ingestion.samples import sample_paths
from app.models import Article, Incident

runner = CliRunner()


def _articles(url: str) -> int:
    with Session(engine_for_url(url)) as session:
        return int(session.scalar(select(func.count()).select_from(Article)) or 0)


def test_ingest_samples_twice(env_database_url: str) -> None:
    samples = str(sample_paths()[0].parent)
    first = runner.invoke(cli, ["ingest", "--quiet", samples])
    assert first.exit_code == 0, first.output
    assert f"{len(sample_paths())} new" in first.output
    second = runner.invoke(cli, ["ingest", "--quiet", samples])
    assert second.exit_code == 0
    assert f"{len(sample_paths())} unchanged" in second.output
    assert _articles(env_database_url) == len(sample_paths())
    with Session(engine_for_url(env_database_url)) as session:
        assert (session.scalar(select(func.count()).select_from(Incident)) or 0) > 20


@pytest.mark.parametrize("workers", [None, "0", "2"])  # default (one per core but one), in process, two
def test_some_failures_exit_1_and_name_each_source(env_database_url: str, tmp_path: Path, workers: str | None) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"text": "A soldier defected across the DMZ on Monday, officials said."}))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok line about a soldier who defected."}\nnot json\n')
    options = ["--workers", workers] if workers is not None else []
    result = runner.invoke(cli, ["ingest", "--quiet", *options, str(good), str(bad), str(tmp_path / "missing.json")])
    assert result.exit_code == 1
    assert "4 sources" in result.output and "2 new" in result.output and "2 failed" in result.output
    assert f"failed: {bad}:2: invalid JSON" in result.output
    assert f"failed: {tmp_path / 'missing.json'}: no such file" in result.output
    assert _articles(env_database_url) == 2


@pytest.mark.parametrize(
    "args",
    [["ingest"], ["ingest", "--published", "not-a-date", "x.json"], ["extract"], ["nonsense"]],
)
def test_usage_errors_exit_2(env_database_url: str, args: list[str]) -> None:
    assert runner.invoke(cli, args).exit_code == 2


def test_published_override(env_database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Last month, a North Korean soldier crossed the Military Demarcation Line.")
    result = runner.invoke(cli, ["ingest", "-q", "--published", "2021-03-25", "--source", "Desk", str(path)])
    assert result.exit_code == 0, result.output
    with Session(engine_for_url(env_database_url)) as session:
        article = session.scalars(select(Article)).one()
        incident = session.scalars(select(Incident)).one()
    assert article.source == "Desk" and article.published is not None
    assert (str(incident.date_start), str(incident.date_end)) == ("2021-02-01", "2021-02-28")


def test_reextract(env_database_url: str) -> None:
    runner.invoke(cli, ["ingest", "-q", str(sample_paths()[0])])
    result = runner.invoke(cli, ["reextract", "--all"])
    assert result.exit_code == 0 and "re-extracted 1 articles" in result.output


def test_extract_prints_one_line_per_article(tmp_path: Path) -> None:
    paths = sample_paths()[:3]
    result = runner.invoke(cli, ["extract", "--format", "jsonl", *map(str, paths)])
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [line["id"] for line in lines] == [json.loads(p.read_text())["id"] for p in paths]
    assert all(isinstance(line["incidents"], list) for line in lines)


def test_extract_bad_file_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = runner.invoke(cli, ["extract", str(bad), str(sample_paths()[0])])
    assert result.exit_code == 1
    assert f"error: {bad}: invalid JSON" in result.output
