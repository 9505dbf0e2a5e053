"""Prometheus metrics: request counts and latencies by route, and ingestion counters.

Each worker process keeps its own registry; with several uvicorn workers, set PROMETHEUS_MULTIPROC_DIR to a shared
empty directory to aggregate them (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
INGESTED_ARTICLES = Counter("ingest_articles_total", "Articles ingested", ["status"])
INGESTED_INCIDENTS = Counter("ingest_incidents_total", "Incident reports stored", ["kind"])
RATE_LIMITED = Counter("rate_limited_total", "Requests refused by the rate limiter")


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
