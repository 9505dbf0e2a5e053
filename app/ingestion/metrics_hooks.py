"""Ingestion counters for /metrics, kept out of the store so the store stays free of web concerns."""

from __future__ import annotations

from app.core import metrics
from app.ingestion.store import IngestOutcome


def record(outcome: IngestOutcome) -> None:
    metrics.INGESTED_ARTICLES.labels(outcome.status).inc()
    if outcome.new_incidents:
        metrics.INGESTED_INCIDENTS.labels("new").inc(len(outcome.new_incidents))
    if outcome.merged_incidents:
        metrics.INGESTED_INCIDENTS.labels("merged").inc(len(outcome.merged_incidents))
