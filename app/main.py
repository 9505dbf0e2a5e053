"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from app import __version__
from app.api.routes import health
from app.core.config import Settings, get_settings
from app.core.db import dispose_engines
from app.core.errors import install_error_handlers

DESCRIPTION = """
Structured, sourced records of **defection incidents**: events in which people leave a country without its
permission (North Korean soldiers crossing the Yalu into China, a swimmer rounding the sea border to South Korea,
a soldier running across the DMZ, athletes leaving their team abroad).

Each incident is extracted from news articles; every value carries the span of text it came from, and every
incident lists every article that reported it. Errors are always RFC 9457 `application/problem+json`.
"""

TAGS = [
    {"name": "incidents", "description": "Query, filter, aggregate and export incidents."},
    {"name": "articles", "description": "The source articles and the incidents each one reports."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        dispose_engines()

    app = FastAPIOffline(
        title="Defections API",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(health.router)
    return app


app = create_app()
