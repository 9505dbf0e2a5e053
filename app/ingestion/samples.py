"""The sample articles shipped with the service (written by the project, about publicly reported incidents)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sqlalchemy.engine import Engine

from app.ingestion.readers import RawArticle, ReadError, read_path
from app.ingestion.store import Ingestor, IngestOutcome


def sample_paths() -> list[Path]:
    folder = resources.files("app").joinpath("samples")
    return sorted(Path(str(p)) for p in folder.iterdir() if str(p).endswith(".json"))


def load_samples(engine: Engine, *, max_chars: int = 500_000) -> list[IngestOutcome]:
    """Ingest every sample article; ones already stored come back 'unchanged', so this is safe to repeat."""
    ingestor = Ingestor(engine, max_chars=max_chars)
    outcomes = []
    for path in sample_paths():
        for item in read_path(path):
            if isinstance(item, ReadError):
                outcomes.append(IngestOutcome(item.source, "failed", reason=item.reason))
            else:
                assert isinstance(item, RawArticle)
                outcomes.append(ingestor.ingest(item))
    return outcomes
