"""The `defections` command line (also `python -m app`)."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from app.core import migrate
from app.core.config import get_settings
from app.core.db import get_engine

cli = typer.Typer(
    name="defections",
    help="Serve, fill and maintain the defection-incidents database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Manage the database schema (Alembic migrations).", no_args_is_help=True)
cli.add_typer(db_cli, name="db")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default: HOST setting).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: PORT setting).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: WORKERS setting).")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development only).")] = False,
) -> None:
    """Upgrade the database to the latest schema, then serve the API with uvicorn."""
    import uvicorn

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    uvicorn.run(
        "app.main:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=None if reload else (workers or settings.workers),
        reload=reload,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )


class OutputFormat(str, Enum):
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

    results: list[dict[str, object]] = []
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


def _print_table(results: list[dict[str, object]]) -> None:
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


@db_cli.command("current")
def db_current() -> None:
    """Print the database's schema revision and whether it is the latest."""
    current = migrate.current_revision(get_engine())
    head = migrate.head_revision()
    state = "up to date" if current == head else f"behind (latest is {head})"
    typer.echo(f"{current or 'base'} ({state})")


def main() -> None:
    cli()
