"""Turning the SOURCE arguments of `defections ingest` into articles: files, directories (recursive), http(s) URLs,
RSS/Atom feeds (every item fetched), and `-` for standard input."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from app.core.config import Settings
from app.ingestion.fetch import Fetched, FetchError, fetch
from app.ingestion.readers import SUPPORTED_SUFFIXES, RawArticle, ReadError, read_bytes, read_path

Item = RawArticle | ReadError
Fetcher = Callable[[str], Fetched]
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")
_SUFFIX_BY_TYPE = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/json": ".json",
    "application/x-ndjson": ".jsonl",
    "text/plain": ".txt",
    "text/markdown": ".md",
}


def settings_fetcher(settings: Settings) -> Fetcher:
    def _fetch(url: str) -> Fetched:
        return fetch(
            url,
            timeout=settings.fetch_timeout_s,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            allow=settings.fetch_allow_hosts,
        )

    return _fetch


def _guess_suffix(data: bytes) -> str:
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        try:
            json.loads(data)
            return ".json"
        except ValueError:
            return ".jsonl"
    if head == b"<":
        return ".html"
    return ".txt"


def from_stdin(stream: BinaryIO) -> Iterator[Item]:
    data = stream.read()
    yield from read_bytes(data, "<stdin>", suffix=_guess_suffix(data))


def from_directory(directory: Path) -> Iterator[Item]:
    try:
        files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
    except OSError as exc:
        yield ReadError(str(directory), f"cannot list directory: {exc.strerror or exc}")
        return
    if not files:
        yield ReadError(str(directory), "no article files (.json, .jsonl, .txt, .md, .html) in this directory")
    for path in files:
        yield from read_path(path)


def _is_feed(fetched: Fetched) -> bool:
    if fetched.content_type in FEED_TYPES:
        return True
    head = fetched.body[:500].lstrip().lower()
    return head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head)


def from_feed(fetched: Fetched, fetcher: Fetcher) -> Iterator[Item]:
    import feedparser

    feed = feedparser.parse(fetched.body)
    if feed.bozo and not feed.entries:
        yield ReadError(fetched.url, f"not a readable RSS/Atom feed: {feed.get('bozo_exception')}")
        return
    if not feed.entries:
        yield ReadError(fetched.url, "the feed has no items")
        return
    for index, entry in enumerate(feed.entries):
        link = entry.get("link")
        name = f"{fetched.url} item {index + 1}"
        published = entry.get("published") or entry.get("updated")
        if not link:
            yield ReadError(name, "feed item has no link")
            continue
        try:
            page = fetcher(link)
        except FetchError as exc:
            yield ReadError(link, str(exc))
            continue
        for item in _read_fetched(page):
            if isinstance(item, RawArticle):
                item = item.with_defaults(title=entry.get("title"), published_raw=published, url=page.url)
            yield item


def _read_fetched(fetched: Fetched) -> Iterator[Item]:
    suffix = _SUFFIX_BY_TYPE.get(fetched.content_type) or _guess_suffix(fetched.body)
    for item in read_bytes(fetched.body, fetched.url, suffix=suffix):
        if isinstance(item, RawArticle):
            item = item.with_defaults(url=fetched.url)
        yield item


def from_url(url: str, fetcher: Fetcher) -> Iterator[Item]:
    try:
        fetched = fetcher(url)
    except FetchError as exc:
        yield ReadError(url, str(exc))
        return
    if _is_feed(fetched):
        yield from from_feed(fetched, fetcher)
    else:
        yield from _read_fetched(fetched)


def expand(sources: list[str], *, fetcher: Fetcher, stdin: BinaryIO | None = None) -> Iterator[Item]:
    """Every article (or read error) behind the given sources, in order."""
    for source in sources:
        if source == "-":
            if stdin is None:
                yield ReadError("<stdin>", "standard input is not available")
            else:
                yield from from_stdin(stdin)
        elif source.startswith(("http://", "https://")):
            yield from from_url(source, fetcher)
        elif "://" in source:
            yield ReadError(source, "unsupported URL scheme (only http and https)")
        else:
            path = Path(source)
            if path.is_dir():
                yield from from_directory(path)
            else:
                yield from read_path(path)
