"""Pure ASGI middleware (no per-request task overhead): request ids, access logs and metrics, security headers,
a request-body cap, and rate limiting. Each refusal is the API's one problem+json error shape."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import anyio
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import metrics
from app.core.errors import BodyTooLarge, problem_response
from app.core.logging import request_id_var
from app.core.ratelimit import Limiter, client_key

access_log = logging.getLogger("app.access")
logger = logging.getLogger(__name__)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The offline Swagger UI and ReDoc pages load their own scripts and styles from this server.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)
DOCS_PREFIXES = ("/docs", "/redoc", "/static-offline-docs")


class RequestContextMiddleware:
    """Gives every request an id (kept from a sane X-Request-ID header, else new), puts it in every log line and
    in the response, adds security headers, and records one access line and metrics per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", DOCS_CSP if path.startswith(DOCS_PREFIXES) else API_CSP)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            metrics.REQUESTS.labels(scope["method"], route, str(status)).inc()
            metrics.LATENCY.labels(scope["method"], route).observe(elapsed)
            client = scope.get("client")
            access_log.info(
                "%s %s %s",
                scope["method"],
                path,
                status,
                extra={
                    "method": scope["method"],
                    "path": path,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": client[0] if client else None,
                },
            )
            request_id_var.reset(token)


class BodyLimitMiddleware:
    """Refuses request bodies over `max_bytes`: at once when Content-Length says so, else while reading."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _refuse(scope, receive, send, 413, str(BodyTooLarge(self.max_bytes)), "payload-too-large")
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)


class RateLimitMiddleware:
    """Per API key (or per client address when anonymous) requests per minute; 429 with Retry-After past it.
    If the shared counter store cannot be reached, requests are let through (and the failure is logged)."""

    EXEMPT = ("/health", "/ready", "/metrics")

    def __init__(self, app: ASGIApp, *, limiter: Limiter, anonymous_limit: int, key_limit: int, blocking: bool) -> None:
        self.app = app
        self.limiter = limiter
        self.anonymous_limit = anonymous_limit
        self.key_limit = key_limit
        self.blocking = blocking

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXEMPT:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        presented = _presented_key(headers)
        limit = self.key_limit if presented else self.anonymous_limit
        client = scope.get("client")
        key = client_key(presented, client[0] if client else None)
        try:
            if self.blocking:
                decision = await anyio.to_thread.run_sync(self.limiter.hit, key, limit)
            else:
                decision = self.limiter.hit(key, limit)
        except Exception as exc:  # the limiter's store is down: serve rather than fail every request
            logger.warning("rate limiter unavailable: %s", type(exc).__name__)
            await self.app(scope, receive, send)
            return
        if not decision.allowed:
            metrics.RATE_LIMITED.inc()
            await _refuse(
                scope,
                receive,
                send,
                429,
                f"Rate limit of {limit} requests per minute reached; retry in {decision.retry_after} s.",
                "rate-limited",
                headers={
                    "Retry-After": str(decision.retry_after),
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": "0",
                },
            )
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["X-RateLimit-Limit"] = str(decision.limit)
                out["X-RateLimit-Remaining"] = str(decision.remaining)
            await send(message)

        await self.app(scope, receive, send_with_limits)


def _presented_key(headers: dict[bytes, bytes]) -> str | None:
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    value = headers.get(b"x-api-key")
    return value.decode("latin-1") if value else None


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    detail: str,
    slug: str,
    headers: dict[str, Any] | None = None,
) -> None:
    response = problem_response(Request(scope), status, detail, slug=slug, headers=headers)
    await response(scope, receive, send)
