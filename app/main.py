"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from app import __version__
from app.api.deps import reader
from app.api.query import configure_limits
from app.api.routes import articles, health, incidents, places, stats
from app.core.config import Settings, get_settings
from app.core.db import dispose_engines
from app.core.errors import install_error_handlers
from app.core.logging import configure_logging
from app.core.middleware import BodyLimitMiddleware, RateLimitMiddleware, RequestContextMiddleware
from app.core.ratelimit import Limiter, MemoryLimiter, RedisLimiter

DESCRIPTION = """
Structured, sourced records of **defection incidents**: events in which people leave a country without its
permission (North Korean soldiers crossing the Yalu into China, a swimmer rounding the sea border to South Korea,
a soldier running across the DMZ, athletes leaving their team abroad).

Each incident is extracted from news articles; every value carries the span of text it came from, and every
incident lists every article that reported it. Errors are always RFC 9457 `application/problem+json`.
"""

TAGS = [
    {"name": "incidents", "description": "Query, filter, aggregate and export incidents, and the places they name."},
    {"name": "articles", "description": "The source articles and the incidents each one reports."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)

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
    _install_middleware(app, settings)
    configure_limits(max_limit=settings.max_page_size, max_list_values=settings.max_filter_values)
    # Reads are public unless REQUIRE_KEY_FOR_READS; write routes also require a key themselves.
    readers = [Depends(reader)]
    app.include_router(incidents.router, dependencies=readers)
    app.include_router(stats.router, dependencies=readers)
    app.include_router(places.router, dependencies=readers)
    app.include_router(articles.router, dependencies=readers)
    app.include_router(health.router)
    return app


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    # Starlette runs the last-added middleware first: request context outermost, so every response (429 and 413
    # included) carries a request id and security headers and gets an access-log line.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.rate_limit_backend != "off":
        limiter: Limiter = (
            RedisLimiter(settings.redis_url) if settings.rate_limit_backend == "redis" else MemoryLimiter()
        )
        app.add_middleware(
            RateLimitMiddleware,
            limiter=limiter,
            anonymous_limit=settings.rate_limit_per_minute,
            key_limit=settings.rate_limit_per_minute_key,
            blocking=settings.rate_limit_backend == "redis",
        )
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
            expose_headers=["Link", "X-Request-ID", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining"],
        )
    app.add_middleware(RequestContextMiddleware)


app = create_app()
