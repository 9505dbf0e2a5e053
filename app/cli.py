"""The `defections` command line (also `python -m app`)."""

from __future__ import annotations

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
