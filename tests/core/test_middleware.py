"""Request ids, security headers, body cap, rate limits (memory and Redis), CORS, metrics and JSON logs."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.core.logging import JsonFormatter, request_id_var
from app.core.ratelimit import MemoryLimiter, RedisLimiter
from tests.conftest import ClientFactory


@pytest.fixture
def backend() -> str:
    """These tests are about the HTTP layer; one database backend is enough."""
    return "sqlite"


@pytest.fixture
def client(make_client: ClientFactory) -> Iterator[TestClient]:
    with make_client() as c:
        yield c


def test_request_id_is_kept_or_made(client: TestClient) -> None:
    assert client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    made = client.get("/health", headers={"X-Request-ID": "bad id with spaces\n"}).headers["X-Request-ID"]
    assert len(made) == 32 and " " not in made


@pytest.mark.parametrize("path", ["/health", "/no/such/route", "/incidents?limit=0", "/docs"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    csp = headers["Content-Security-Policy"]
    assert ("script-src 'self'" in csp) == path.startswith("/docs")


@pytest.mark.parametrize("declared", [True, False])
def test_body_over_the_cap_is_413(make_client: ClientFactory, declared: bool) -> None:
    with make_client(max_body_bytes=1000) as client:
        body = b"x" * 5000

        def chunks() -> Iterator[bytes]:
            yield body[:2500]
            yield body[2500:]

        content = body if declared else chunks()
        response = client.post("/articles", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413


def test_rate_limit_memory(make_client: ClientFactory) -> None:
    with make_client(rate_limit_per_minute=3, rate_limit_per_minute_key=5) as client:
        statuses = [client.get("/incidents").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = client.get("/incidents")
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["status"] == 429
        assert client.get("/health").status_code == 200, "probes are never limited"


def test_memory_limiter_window_resets() -> None:
    now = [1000.0]
    limiter = MemoryLimiter(clock=lambda: now[0])
    assert [limiter.hit("k", 2).allowed for _ in range(3)] == [True, True, False]
    now[0] += 60
    assert limiter.hit("k", 2).allowed


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_timeout=0.5).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
def test_rate_limit_shared_through_redis(make_client: ClientFactory) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    limiter_a = RedisLimiter("redis://127.0.0.1:6379/15", prefix=prefix)
    limiter_b = RedisLimiter("redis://127.0.0.1:6379/15", prefix=prefix)
    assert [limiter_a.hit("ip:1", 3).allowed, limiter_b.hit("ip:1", 3).allowed] == [True, True]
    assert limiter_a.hit("ip:1", 3).allowed and not limiter_b.hit("ip:1", 3).allowed
    settings = {"rate_limit_backend": "redis", "redis_url": "redis://127.0.0.1:6379/15", "rate_limit_per_minute": 2}
    with make_client(**settings) as one, make_client(**settings) as two:
        # Two instances of the service count the same client together.
        headers = {"X-Forwarded-For": "ignored"}
        codes = [
            one.get("/incidents", headers=headers).status_code,
            two.get("/incidents").status_code,
            one.get("/incidents").status_code,
        ]
    assert codes[:2] == [200, 200] and codes[2] == 429


def test_redis_down_fails_open(make_client: ClientFactory) -> None:
    with make_client(rate_limit_backend="redis", redis_url="redis://127.0.0.1:1/0") as client:
        assert client.get("/incidents").status_code == 200


def test_cors_off_by_default_and_on_when_configured(make_client: ClientFactory) -> None:
    origin = {"Origin": "https://dash.example", "Access-Control-Request-Method": "GET"}
    with make_client() as client:
        assert "access-control-allow-origin" not in client.get("/incidents", headers=origin).headers
    with make_client(cors_origins="https://dash.example") as client:
        assert client.get("/incidents", headers=origin).headers["access-control-allow-origin"] == "https://dash.example"
        assert client.options("/incidents", headers=origin).status_code == 200


def test_metrics(client: TestClient) -> None:
    client.get("/health")
    client.get("/incidents")
    body = client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/incidents",status="200"}' in body
    assert "http_request_duration_seconds_bucket" in body


def test_json_log_lines_carry_the_request_id() -> None:
    record = logging.LogRecord("app.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    record.status = 200
    token = request_id_var.set("rid-1")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["request_id"] == "rid-1" and line["message"] == "GET /x" and line["status"] == 200
