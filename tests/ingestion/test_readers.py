"""Reading article files: every format, encodings, and one clear error per bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from app.ingestion.readers import RawArticle, ReadError, parse_published, read_bytes, read_path

ARTICLE = {
    "id": "x1",
    "url": "https://example.org/a",
    "title": "Soldier crosses",
    "source": "Wire",
    "published": "2021-03-25",
    "text": "A soldier defected across the border on Monday.",
}


def _read(path: Path) -> list[RawArticle | ReadError]:
    return list(read_path(path))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-03-25", date(2021, 3, 25)),
        ("2021-03-25T10:00:00Z", date(2021, 3, 25)),
        ("Thu, 25 Mar 2021 10:00:00 GMT", date(2021, 3, 25)),
        ("2021-02-30", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_published(value: str | None, expected: date | None) -> None:
    assert parse_published(value) == expected


def test_json_object(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(ARTICLE), encoding="utf-8")
    (article,) = _read(path)
    assert isinstance(article, RawArticle)
    assert (article.id, article.source, article.published) == ("x1", "Wire", date(2021, 3, 25))


def test_json_list_with_a_bad_item(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps([ARTICLE, {"title": "no text"}, 7]), encoding="utf-8")
    items = _read(path)
    assert isinstance(items[0], RawArticle)
    assert isinstance(items[1], ReadError) and "no 'text'" in items[1].reason
    assert isinstance(items[2], ReadError) and items[2].source.endswith("[2]")


def test_jsonl_bad_line_does_not_stop_the_others(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(ARTICLE) + "\n{not json\n\n" + json.dumps({**ARTICLE, "id": "x2"}) + "\n")
    items = _read(path)
    assert [type(i).__name__ for i in items] == ["RawArticle", "ReadError", "RawArticle"]
    assert isinstance(items[1], ReadError) and items[1].source.endswith(":2")


def test_text_with_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: A title\npublished: 2020-11-04\nsource: Desk\n---\nBody text here.\n")
    (article,) = _read(path)
    assert isinstance(article, RawArticle)
    assert article.title == "A title" and article.published == date(2020, 11, 4) and article.source == "Desk"
    assert article.text.strip() == "Body text here."


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    body = " ".join(["A North Korean soldier crossed the Military Demarcation Line on Monday."] * 8)
    html = (
        "<html><head><title>Soldier crosses DMZ</title>"
        '<meta property="og:site_name" content="Sample Wire">'
        '<meta name="date" content="2024-08-20"></head>'
        f"<body><nav>Home | World</nav><article><h1>Soldier crosses DMZ</h1><p>{body}</p></article>"
        "<footer>Copyright</footer></body></html>"
    )
    path = tmp_path / "a.html"
    path.write_text(html, encoding="utf-8")
    (article,) = _read(path)
    assert isinstance(article, RawArticle)
    assert "Military Demarcation Line" in article.text
    assert article.title == "Soldier crosses DMZ"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.html", b"<html><body></body></html>", "no article text"),
        ("bin.txt", b"\x00\x01\x02\x03binary\x00", "binary"),
        ("bad.json", b'{"text": ', "invalid JSON"),
        ("a.pdf", b"%PDF-1.4", "unsupported file type"),
    ],
)
def test_bad_files_give_one_clear_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    (item,) = _read(path)
    assert isinstance(item, ReadError)
    assert reason in item.reason and item.source == str(path)


def test_missing_file(tmp_path: Path) -> None:
    (item,) = _read(tmp_path / "nope.json")
    assert isinstance(item, ReadError) and item.reason == "no such file"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "cp1252", "latin-1"])
def test_encodings_are_detected(encoding: str) -> None:
    text = "Défecteurs: a soldier fled across the Yalu River into China, the café owner said. " * 5
    (article,) = read_bytes(text.encode(encoding), "x.txt", suffix=".txt")
    assert isinstance(article, RawArticle)
    assert "fled across the Yalu River" in article.text
