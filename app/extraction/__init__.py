"""Incident extraction: a pure library (no web framework, no database, no network, no clock).

    from app.extraction import ArticleInput, extract
    incidents = extract(ArticleInput(text=..., published=date(2021, 3, 25)))

Every relative date is resolved against `published`; every value carries the span of text it came from.
"""

from importlib.machinery import EXTENSION_SUFFIXES

from app.extraction import pipeline
from app.extraction.pipeline import STAGES, extract
from app.extraction.types import ArticleInput, Evidence, ExtractedIncident, Place

EXTRACTOR_VERSION = "0.4.0"

# Whether this is a production build, its stages compiled by mypyc (see pyproject.toml): same results, faster.
COMPILED = (pipeline.__file__ or "").endswith(tuple(EXTENSION_SUFFIXES))

__all__ = [
    "COMPILED",
    "EXTRACTOR_VERSION",
    "STAGES",
    "ArticleInput",
    "Evidence",
    "ExtractedIncident",
    "Place",
    "extract",
]
