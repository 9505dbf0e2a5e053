"""Service settings: one object read from the environment (and an optional `.env`), injected via a cached getter."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("data") / "incidents.db"


class Settings(BaseSettings):
    """Every field is documented in the README's settings table (a test enforces it)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH.as_posix()}",
        description="SQLAlchemy URL of the database: sqlite:///path or postgresql+psycopg://user@host/db.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Log level.")
    host: str = Field(default="127.0.0.1", description="Address `defections serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `defections serve` listens on.")
    workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes for `defections serve`.")
    proxy_headers: bool = Field(
        default=True, description="Trust X-Forwarded-For/-Proto from FORWARDED_ALLOW_IPS (behind a reverse proxy)."
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1", description="Comma-separated proxy addresses whose forwarded headers are trusted, or *."
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000, ge=0, description="How long a SQLite connection waits for the write lock before failing."
    )
    load_samples: bool = Field(
        default=False, description="Ingest the bundled sample articles at start-up when the database has none."
    )
    max_article_chars: int = Field(
        default=500_000, ge=1_000, description="Longest article text accepted for ingestion, in characters."
    )
    fetch_timeout_s: float = Field(default=10.0, gt=0, le=120, description="Timeout for fetching an article URL.")
    fetch_max_bytes: int = Field(default=5_000_000, ge=10_000, description="Largest download accepted from a URL.")
    fetch_max_redirects: int = Field(default=5, ge=0, le=20, description="Redirects followed when fetching a URL.")
    fetch_allow_hosts: str = Field(
        default="",
        description="Comma-separated hosts, IPs or CIDR networks that URL fetching may reach even though they are "
        "loopback, private, link-local or otherwise internal (refused by default).",
    )
    max_page_size: int = Field(
        default=1000, ge=1, le=1000, description="Largest `limit` a client may ask for on /incidents (422 past it)."
    )
    max_filter_values: int = Field(
        default=100, ge=1, le=100, description="Most comma-separated values one filter parameter may list."
    )
    query_timeout_ms: int = Field(
        default=15_000, ge=1, description="Longest one database statement of an API request may run (503 past it)."
    )
    max_body_bytes: int = Field(
        default=2_000_000, ge=1_000, description="Largest request body accepted, in bytes (413 past it)."
    )
    rate_limit_backend: Literal["memory", "redis", "off"] = Field(
        default="memory", description="Where request counts live: memory (per process), redis (shared), or off."
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=1, description="Requests per minute allowed to one client address without an API key."
    )
    rate_limit_per_minute_key: int = Field(
        default=3000, ge=1, description="Requests per minute allowed to one API key."
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Redis for shared rate limits.")
    cors_origins: str = Field(
        default="", description="Comma-separated origins allowed to call the API from browsers (CORS); empty = off."
    )
    require_key_for_reads: bool = Field(
        default=False, description="Require an API key for read endpoints too (writes always need one)."
    )
    api_key: SecretStr | None = Field(
        default=None, description="Bootstrap API key accepted for write endpoints (in addition to stored keys)."
    )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
