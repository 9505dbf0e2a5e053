"""The `defections` command line (also `python -m app`)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from app.core import migrate
from app.core.config import get_settings
from app.core.db import dispose_engines, get_engine
from app.ingestion.store import IngestOutcome

cli = typer.Typer(
    name="defections",
    help="Serve, fill and maintain the defection-incidents database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Manage the database schema (Alembic migrations).", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
keys_cli = typer.Typer(help="Manage API keys for the write endpoints.", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default: HOST setting).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: PORT setting).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: WORKERS setting).")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development only).")] = False,
    load_samples: Annotated[
        bool | None,
        typer.Option(
            "--load-samples/--no-load-samples",
            help="Ingest the bundled sample articles first (default: LOAD_SAMPLES setting). Safe to repeat.",
        ),
    ] = None,
) -> None:
    """Upgrade the database to the latest schema (and load samples if asked), then serve the API with uvicorn."""
    import uvicorn

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    if settings.load_samples if load_samples is None else load_samples:
        from app.ingestion.samples import load_samples as ingest_samples

        outcomes = ingest_samples(get_engine(settings), max_chars=settings.max_article_chars)
        new = sum(o.status == "new" for o in outcomes)
        typer.echo(f"samples: {new} new, {sum(o.status == 'unchanged' for o in outcomes)} already stored")
        dispose_engines()  # uvicorn workers are new processes; do not hand them this process's connections
    uvicorn.run(
        "app.main:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=None if reload else (workers or settings.workers),
        reload=reload,
        log_level=settings.log_level.lower(),
        proxy_headers=settings.proxy_headers,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"
    table = "table"


@cli.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="Article files: .json, .jsonl, .txt, .md or .html.")],
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="How to print the records.")] = (
        OutputFormat.jsonl
    ),
) -> None:
    """Extract incident records from article files and print them (the database is not touched)."""
    from app.extraction import extract as run_extraction
    from app.ingestion.readers import ReadError, read_path

    results: list[dict[str, Any]] = []
    failures = 0
    for path in files:
        for item in read_path(path):
            if isinstance(item, ReadError):
                failures += 1
                typer.echo(f"error: {item.source}: {item.reason}", err=True)
                continue
            article = item.to_input(default_id=path.stem)
            record = {"id": article.id, "incidents": [i.as_record(article) for i in run_extraction(article)]}
            if output is OutputFormat.jsonl:
                typer.echo(json.dumps(record, ensure_ascii=False))
            else:
                results.append(record)
    if output is OutputFormat.json:
        typer.echo(json.dumps(results, ensure_ascii=False, indent=2))
    elif output is OutputFormat.table:
        _print_table(results)
    raise typer.Exit(1 if failures else 0)


def _print_table(results: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("article", "date", "size", "route", "method", "crossing", "actor", "outcome", "conf.")
    for result in results:
        incidents = result["incidents"]
        assert isinstance(incidents, list)
        for rec in incidents:
            dates = rec["date_start"] or "?"
            if rec["date_end"] and rec["date_end"] != rec["date_start"]:
                dates += f"..{rec['date_end']}"
            size = rec["group_size"] or (f">={rec['group_size_min']}" if rec["group_size_min"] else "?")
            route = f"{rec['origin_country'] or '?'}->{rec['destination_country'] or '?'}"
            table.add_row(
                str(result["id"]),
                dates,
                str(size),
                route,
                rec["method"] or "",
                rec["crossing"] or "",
                rec["actor"] or "",
                rec["outcome"],
                f"{rec['confidence']:.2f}",
            )
    Console().print(table)


@cli.command()
def ingest(
    sources: Annotated[
        list[str],
        typer.Argument(help="Files, directories (recursive), http(s) URLs, RSS/Atom feed URLs, or - for stdin."),
    ],
    publisher: Annotated[str | None, typer.Option("--source", help="Publisher name for every article.")] = None,
    published: Annotated[
        str | None, typer.Option("--published", help="Publication date (YYYY-MM-DD) for every article.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="Extraction processes beside the one that stores (default: one per core but one; 0: extract "
            "in this process, best for a handful of articles).",
        ),
    ] = None,
) -> None:
    """Ingest articles: extract their incidents and store them, merging reports of the same incident.

    Exit status: 0 when every source was stored (or already was), 1 when some failed, 2 for usage errors.
    """
    import sys
    import time
    from collections import deque
    from collections.abc import Iterator

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from app.ingestion.readers import RawArticle, ReadError, parse_published
    from app.ingestion.sources import expand, settings_fetcher
    from app.ingestion.store import Ingestor, IngestOutcome

    published_date = None
    if published is not None:
        published_date = parse_published(published)
        if published_date is None:
            raise typer.BadParameter(f"not a date: {published!r} (use YYYY-MM-DD)", param_hint="--published")
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    ingestor = Ingestor(get_engine(settings), max_chars=settings.max_article_chars)
    err = Console(stderr=True)
    outcomes: list[IngestOutcome] = []
    started = time.perf_counter()
    progress = Progress(
        TextColumn("[bold]ingesting"),
        BarColumn(bar_width=None),
        TextColumn("{task.completed} articles, {task.fields[rate]:.0f}/s, {task.fields[incidents]} incidents"),
        TimeElapsedColumn(),
        console=err,
        disable=quiet or not err.is_terminal,
    )
    unreadable: deque[IngestOutcome] = deque()

    def readable() -> Iterator[RawArticle]:
        # Sources stream in (a directory of any size, a feed); those that cannot be read are reported in turn.
        for item in expand(sources, fetcher=settings_fetcher(settings), stdin=sys.stdin.buffer):
            if isinstance(item, ReadError):
                unreadable.append(IngestOutcome(item.source, "failed", reason=item.reason))
            else:
                yield item

    with progress:
        task = progress.add_task("ingest", total=None, rate=0.0, incidents=0)
        found = 0

        def record(outcome: IngestOutcome) -> None:
            nonlocal found
            outcomes.append(outcome)
            found += len(outcome.new_incidents) + len(outcome.merged_incidents)
            elapsed = max(time.perf_counter() - started, 1e-9)
            progress.update(task, advance=1, rate=len(outcomes) / elapsed, incidents=found)

        # Extraction runs in worker processes while this one stores, one short transaction per article.
        for outcome in ingestor.ingest_many(readable(), workers=workers, source=publisher, published=published_date):
            while unreadable:
                record(unreadable.popleft())
            record(outcome)
        while unreadable:
            record(unreadable.popleft())
    _print_ingest_summary(outcomes, time.perf_counter() - started)
    raise typer.Exit(1 if any(o.status == "failed" for o in outcomes) else 0)


def _print_ingest_summary(outcomes: list[IngestOutcome], seconds: float) -> None:
    counts = {status: sum(o.status == status for o in outcomes) for status in ("new", "unchanged", "updated", "failed")}
    new_incidents = sum(len(o.new_incidents) for o in outcomes)
    joined = sum(len(o.merged_incidents) for o in outcomes)
    typer.echo(
        f"{len(outcomes)} sources in {seconds:.1f} s: {counts['new']} new, {counts['unchanged']} unchanged, "
        f"{counts['updated']} updated, {counts['failed']} failed; "
        f"{new_incidents} new incidents, {joined} reports merged into known incidents"
    )
    for outcome in outcomes:
        if outcome.status == "failed":
            typer.echo(f"failed: {outcome.source}: {outcome.reason}", err=True)


@cli.command()
def reextract(
    all_articles: Annotated[
        bool, typer.Option("--all", help="Re-extract every article, not only those from older extractor versions.")
    ] = False,
) -> None:
    """Re-run the current extractor over stored articles, rebuilding reports and merges (curated fields kept)."""
    from app.extraction import EXTRACTOR_VERSION
    from app.ingestion.store import Ingestor

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    outcomes = Ingestor(get_engine(settings), max_chars=settings.max_article_chars).reextract(
        only_outdated=not all_articles
    )
    failed = [o for o in outcomes if o.status == "failed"]
    typer.echo(f"re-extracted {len(outcomes) - len(failed)} articles with extractor {EXTRACTOR_VERSION}")
    for outcome in failed:
        typer.echo(f"failed: {outcome.source}: {outcome.reason}", err=True)
    raise typer.Exit(1 if failed else 0)


@keys_cli.command("create")
def keys_create(name: Annotated[str, typer.Argument(help="A name for the client using the key.")]) -> None:
    """Create an API key and print it once; only its hash is stored."""
    from app.core.security import ApiKeyError, create_key

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    try:
        key = create_key(get_engine(settings), name)
    except ApiKeyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(key)
    typer.echo("Store this key now: it cannot be shown again.", err=True)


@keys_cli.command("list")
def keys_list() -> None:
    """List API keys (name, prefix, created, revoked); never the keys themselves."""
    from app.core.security import list_keys

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    for key in list_keys(get_engine(settings)):
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        typer.echo(f"{key.name}\t{key.prefix}...\tcreated {key.created_at:%Y-%m-%d %H:%M}\t{state}")


@keys_cli.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The name of the key to revoke.")]) -> None:
    """Revoke an API key; requests using it fail from the next one on."""
    from app.core.security import ApiKeyError, revoke_key

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    try:
        revoke_key(get_engine(settings), name)
    except ApiKeyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"revoked {name}")


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    migrate.upgrade(get_settings().database_url, revision)
    typer.echo(f"database at revision {migrate.current_revision(get_engine()) or 'base'}")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")]) -> None:
    """Revert migrations down to REVISION (`base` empties the schema)."""
    migrate.downgrade(get_settings().database_url, revision)
    typer.echo(f"database at revision {migrate.current_revision(get_engine()) or 'base'}")


@db_cli.command("backup")
def db_backup(path: Annotated[Path, typer.Argument(help="Where to write the copy (a SQLite file).")]) -> None:
    """Copy the live SQLite database to PATH with SQLite's online backup API (safe while the service writes)."""
    from app.core.db import backup_sqlite

    engine = get_engine()
    if engine.dialect.name != "sqlite":
        typer.echo("error: db backup is for SQLite; for PostgreSQL use pg_dump (see the README)", err=True)
        raise typer.Exit(2)
    size = backup_sqlite(engine, path)
    typer.echo(f"backed up to {path} ({size} bytes)")


@db_cli.command("current")
def db_current() -> None:
    """Print the database's schema revision and whether it is the latest."""
    current = migrate.current_revision(get_engine())
    head = migrate.head_revision()
    state = "up to date" if current == head else f"behind (latest is {head})"
    typer.echo(f"{current or 'base'} ({state})")


def main() -> None:
    cli()
