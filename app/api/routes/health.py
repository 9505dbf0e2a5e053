"""Liveness and readiness probes."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import __version__
from app.api.deps import EngineDep
from app.core import metrics, migrate
from app.core.errors import ProblemError, problem_responses

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str = Field(examples=[__version__])


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    database: str = Field(examples=["sqlite"], description="the database backend in use")
    revision: str = Field(examples=["0001"], description="the schema revision the database is at")


@router.get("/health", response_model=Health)
def health() -> Health:
    """Report that the process is alive (no dependencies checked)."""
    return Health(version=__version__)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text exposition format"}},
)
def prometheus_metrics() -> PlainTextResponse:
    """Request counts and latencies by route, ingestion and rate-limit counters, in Prometheus format."""
    body, content_type = metrics.render()
    return PlainTextResponse(body, media_type=content_type)


@router.get("/ready", response_model=Readiness, responses=problem_responses(503))
def ready(engine: EngineDep) -> Readiness:
    """Report whether the database is reachable and migrated to the latest schema (503 if not)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        logger.warning("readiness check failed: %s", type(exc).__name__)
        raise ProblemError(503, "The database is not reachable.", slug="not-ready") from None
    head = migrate.head_revision()
    if current != head:
        raise ProblemError(
            503,
            f"The database schema is at revision {current or 'none'}, not {head}: run `defections db upgrade`.",
            slug="not-ready",
        )
    return Readiness(database=engine.dialect.name, revision=current or "")
