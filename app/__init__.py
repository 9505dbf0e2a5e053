"""Defections API: structured, sourced records of defection incidents extracted from news articles."""

__version__ = "0.1.0"
