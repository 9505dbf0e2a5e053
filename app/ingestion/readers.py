"""Read article files (.json, .jsonl/.ndjson, .txt/.md with front matter, .html) into article records.

Every problem with an input becomes a `ReadError` naming the source and the reason, so a caller can report one line
per bad file (or bad JSON line) and go on with the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from app.extraction.types import ArticleInput

MAX_FILE_BYTES = 20 * 1024 * 1024
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES


class ReadError(Exception):
    """An input that could not be read as an article; `source` names it, the message says why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RawArticle:
    """An article as read, before it is stored: text plus whatever metadata came with it."""

    text: str
    source_name: str  # where it was read from (file path, path:line, URL)
    id: str | None = None
    url: str | None = None
    title: str | None = None
    source: str | None = None  # the publisher
    published: date | None = None
    published_raw: str | None = None

    def with_defaults(self, **values: Any) -> RawArticle:
        """Fill in metadata the article itself lacks (a feed's title and date, the fetched URL)."""
        updates: dict[str, Any] = {}
        for name, value in values.items():
            if value in (None, ""):
                continue
            if name == "published_raw":
                if self.published is None:
                    updates["published"] = parse_published(value)
                    updates["published_raw"] = str(value)
            elif getattr(self, name) in (None, ""):
                updates[name] = value
        return replace(self, **updates) if updates else self

    def to_input(self, *, default_id: str | None = None) -> ArticleInput:
        return ArticleInput(
            text=self.text,
            id=self.id or default_id,
            url=self.url,
            title=self.title,
            source=self.source,
            published=self.published,
        )


def parse_published(value: Any) -> date | None:
    """A publication date from ISO dates, datetimes or common partial forms; None when absent or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        return None


def decode(data: bytes, source: str) -> str:
    """Bytes to text: UTF-8 when it is, else the encoding charset-normalizer finds; binary data is refused."""
    if not data:
        return ""
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReadError(source, "binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise ReadError(source, "cannot detect the text encoding (binary data?)")
    return str(best)


def _article_from_mapping(obj: Any, source: str) -> RawArticle:
    if not isinstance(obj, dict):
        raise ReadError(source, f"expected a JSON object for an article, got {type(obj).__name__}")
    text = obj.get("text")
    html = obj.get("html")
    if (text is None or str(text).strip() == "") and html:
        return replace(html_article(str(html), source), **_metadata(obj, source))
    if not isinstance(text, str):
        raise ReadError(source, "article has no 'text' string")
    return RawArticle(text=text, source_name=source, **_metadata(obj, source))


def _metadata(obj: dict[str, Any], source: str) -> dict[str, Any]:
    published_raw = obj.get("published")
    meta = {
        "id": _opt_str(obj.get("id")),
        "url": _opt_str(obj.get("url")),
        "title": _opt_str(obj.get("title")),
        "source": _opt_str(obj.get("source")),
        "published": parse_published(published_raw),
        "published_raw": _opt_str(published_raw),
    }
    return {k: v for k, v in meta.items() if v is not None}


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>.*?)\n---[ \t]*\n", re.DOTALL)


def text_article(content: str, source: str) -> RawArticle:
    """Plain text or Markdown, with optional `---` front matter lines `key: value` (title, url, source, published)."""
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(content)
    if match:
        for line in match.group("body").splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() in ("id", "title", "url", "source", "published"):
                meta[key.strip().lower()] = value.strip().strip("'\"")
        content = content[match.end() :]
    return RawArticle(text=content, source_name=source, **_metadata(meta, source))


def html_article(content: str, source: str) -> RawArticle:
    """Main text and metadata of an HTML page through trafilatura."""
    import trafilatura

    extracted = trafilatura.bare_extraction(content, with_metadata=True, include_comments=False)
    if extracted is None:
        raise ReadError(source, "no article text found in the HTML")
    doc = extracted if isinstance(extracted, dict) else extracted.as_dict()
    text = doc.get("text") or ""
    if not text.strip():
        raise ReadError(source, "no article text found in the HTML")
    meta = {
        "title": doc.get("title"),
        "url": doc.get("url"),
        "source": doc.get("sitename"),
        "published": doc.get("date"),
    }
    return RawArticle(text=text, source_name=source, **_metadata(meta, source))


def read_path(path: Path) -> Iterator[RawArticle | ReadError]:
    """The articles in one file: each one, or a ReadError for the file (or for one bad JSON line)."""
    source = str(path)
    try:
        if not path.is_file():
            yield ReadError(source, "no such file" if not path.exists() else "not a regular file")
            return
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            yield ReadError(source, f"file is {size} bytes, over the {MAX_FILE_BYTES}-byte limit")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield ReadError(source, f"cannot read: {exc.strerror or exc}")
        return
    yield from read_bytes(data, source, suffix=path.suffix.lower())


def read_bytes(data: bytes, source: str, *, suffix: str) -> Iterator[RawArticle | ReadError]:
    try:
        content = decode(data, source)
    except ReadError as exc:
        yield exc
        return
    if suffix in JSON_SUFFIXES:
        try:
            obj = json.loads(content)
        except json.JSONDecodeError as exc:
            yield ReadError(source, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
            return
        items = obj if isinstance(obj, list) else [obj]
        for index, item in enumerate(items):
            name = source if len(items) == 1 else f"{source}[{index}]"
            try:
                yield _article_from_mapping(item, name)
            except ReadError as exc:
                yield exc
    elif suffix in JSONL_SUFFIXES:
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            name = f"{source}:{number}"
            try:
                yield _article_from_mapping(json.loads(line), name)
            except json.JSONDecodeError as exc:
                yield ReadError(name, f"invalid JSON: {exc.msg}")
            except ReadError as exc:
                yield exc
    elif suffix in HTML_SUFFIXES:
        try:
            yield html_article(content, source)
        except ReadError as exc:
            yield exc
    elif suffix in TEXT_SUFFIXES or suffix == "":
        yield text_article(content, source)
    else:
        yield ReadError(source, f"unsupported file type '{suffix}' (use .json, .jsonl, .txt, .md or .html)")
