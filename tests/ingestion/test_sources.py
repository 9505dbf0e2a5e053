"""Expanding ingest sources: directories, stdin, URLs and feeds (through an injected fetcher: no network)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.ingestion.fetch import Fetched, FetchError
from app.ingestion.readers import RawArticle, ReadError
from app.ingestion.sources import expand

PAGE = (
    "<html><head><title>Guard crosses river</title></head><body><article><p>"
    + "A North Korean border guard crossed the Yalu River into China on Monday, a source said. " * 6
    + "</p></article></body></html>"
)
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Border news</title>
<item><title>Guard crosses river</title><link>https://news.example/guard</link>
<pubDate>Tue, 02 Mar 2021 08:00:00 GMT</pubDate></item>
<item><title>Broken item</title><link>https://news.example/missing</link></item>
<item><title>No link</title></item>
</channel></rss>"""


def fake_fetcher(url: str) -> Fetched:
    pages = {
        "https://news.example/feed": Fetched(url, "application/rss+xml", FEED.encode()),
        "https://news.example/guard": Fetched(url, "text/html", PAGE.encode()),
        "https://news.example/plain": Fetched(url, "text/plain", b"A soldier defected across the DMZ."),
    }
    if url not in pages:
        raise FetchError(f"HTTP 404 from {url}")
    return pages[url]


def _expand(*sources: str, stdin: bytes | None = None) -> list[RawArticle | ReadError]:
    stream = io.BytesIO(stdin) if stdin is not None else None
    return list(expand(list(sources), fetcher=fake_fetcher, stdin=stream))


def test_directory_is_read_recursively(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("First article text.")
    (tmp_path / "sub" / "b.json").write_text(json.dumps({"text": "Second article text."}))
    (tmp_path / "sub" / "ignored.png").write_bytes(b"\x89PNG")
    items = _expand(str(tmp_path))
    assert sorted(i.text for i in items if isinstance(i, RawArticle)) == ["First article text.", "Second article text."]


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    (item,) = _expand(str(tmp_path))
    assert isinstance(item, ReadError) and "no article files" in item.reason


@pytest.mark.parametrize(
    ("data", "texts"),
    [
        (json.dumps({"text": "From stdin."}).encode(), ["From stdin."]),
        (b'{"text": "one"}\n{"text": "two"}\n', ["one", "two"]),
        (b"Plain text from stdin.", ["Plain text from stdin."]),
    ],
)
def test_stdin(data: bytes, texts: list[str]) -> None:
    items = _expand("-", stdin=data)
    assert [i.text for i in items if isinstance(i, RawArticle)] == texts


def test_feed_items_are_fetched_and_broken_ones_reported() -> None:
    items = _expand("https://news.example/feed")
    articles = [i for i in items if isinstance(i, RawArticle)]
    errors = [i for i in items if isinstance(i, ReadError)]
    assert len(articles) == 1
    assert articles[0].title == "Guard crosses river"
    assert articles[0].url == "https://news.example/guard"
    assert articles[0].published is not None and articles[0].published.isoformat() == "2021-03-02"
    assert sorted(e.reason for e in errors) == ["HTTP 404 from https://news.example/missing", "feed item has no link"]


@pytest.mark.parametrize(
    ("source", "reason"),
    [("https://news.example/gone", "HTTP 404"), ("ftp://news.example/x", "unsupported URL scheme")],
)
def test_url_errors(source: str, reason: str) -> None:
    (item,) = _expand(source)
    assert isinstance(item, ReadError) and reason in item.reason


def test_plain_url() -> None:
    (item,) = _expand("https://news.example/plain")
    assert isinstance(item, RawArticle) and item.url == "https://news.example/plain"
