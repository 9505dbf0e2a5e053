"""The pipeline end to end: public surface, evidence spans, determinism, purity, bad input."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

import app.extraction as extraction
from app.extraction import EXTRACTOR_VERSION, STAGES, ArticleInput, Evidence, ExtractedIncident, Place, extract

CORPUS = Path(__file__).parent / "corpus"
ROOT = Path(__file__).resolve().parents[2]


def corpus_articles() -> list[ArticleInput]:
    out = []
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        published = dt.date.fromisoformat(data["published"]) if data.get("published") else None
        out.append(ArticleInput(text=data["text"], id=data["id"], title=data.get("title"), published=published))
    return out


ARTICLES = corpus_articles()
SAMPLE = (
    "DANDONG/SEOUL - A unit of six North Korean border guards carrying AK-47 rifles abandoned their post and crossed "
    "the frozen Yalu River into China on the night of the 2nd, according to two sources in Ryanggang province.\n\n"
    "“They took their weapons,” one source said.\n\n"
    "Last month, two soldiers were shot dead as they tried to wade across the river near Hyesan.\n\n"
    "Guards patrol the Yalu on the North Korean side. Photo: SAMPLE/AFP"
)


def test_public_surface() -> None:
    assert EXTRACTOR_VERSION == "0.4.0"
    assert STAGES == ("prefilter", "prepare", "dates", "detect", "group", "assemble")
    assert {"extract", "ArticleInput", "ExtractedIncident", "Evidence", "Place", "EXTRACTOR_VERSION", "STAGES"} <= set(
        extraction.__all__
    )
    (incident, *_rest) = extract(ArticleInput(text=SAMPLE, id="a1", published=dt.date(2021, 3, 25)))
    assert isinstance(incident, ExtractedIncident)
    assert all(isinstance(e, Evidence) for e in incident.evidence)
    assert incident.location is None or isinstance(incident.location, Place)


def test_record_shape() -> None:
    article = ArticleInput(text=SAMPLE, id="a1", url="u", title="t", source="s", published=dt.date(2021, 3, 25))
    records = [i.as_record(article) for i in extract(article)]
    assert [(r["date_start"], r["group_size"], r["crossing"], r["armed"]) for r in records] == [
        ("2021-03-02", 6, "Yalu River", True),
        ("2021-02-01", 2, "Yalu River", None),
    ]
    first = records[0]
    assert (first["origin_country"], first["destination_country"], first["method"], first["actor"]) == (
        "PRK",
        "CHN",
        "river",
        "soldier",
    )
    assert first["sources"] == [
        {"article_id": "a1", "url": "u", "title": "t", "source": "s", "published": "2021-03-25"}
    ]
    assert 0 < first["confidence"] <= 1
    assert first["summary"].startswith("6 armed soldiers crossed the Yalu River")
    json.dumps(records)  # serialisable as it is


@pytest.mark.parametrize("article", ARTICLES, ids=[a.id for a in ARTICLES])
def test_evidence_spans_quote_the_article(article: ArticleInput) -> None:
    for incident in extract(article):
        assert incident.evidence, "every incident carries evidence"
        for e in incident.evidence:
            assert 0 <= e.start <= e.end <= len(article.text)
            assert article.text[e.start : e.end] == e.text, (e.field, e.text)
        fields = {e.field for e in incident.evidence}
        assert "incident" in fields
        if incident.group_size is not None or incident.group_size_min is not None:
            assert "group_size" in fields
        if incident.date_start is not None:
            assert "date" in fields


def test_evidence_quotes_typographic_characters_as_written() -> None:
    text = "“Six soldiers defected to South Korea on Monday,” the ministry’s spokesman said."
    (incident,) = extract(ArticleInput(text=text, published=dt.date(2021, 3, 25)))
    assert all(text[e.start : e.end] == e.text for e in incident.evidence)


def test_deterministic() -> None:
    first = [[i.as_record() for i in extract(a)] for a in ARTICLES]
    second = [[i.as_record() for i in extract(a)] for a in reversed(ARTICLES)]
    assert first == list(reversed(second))


def test_importing_the_library_pulls_in_no_web_database_or_network_package() -> None:
    code = (
        "import sys, app.extraction\n"
        "from app.extraction import ArticleInput, extract\n"
        "extract(ArticleInput(text='Six soldiers defected to South Korea on Monday.'))\n"
        "print(sorted(m for m in ('fastapi', 'sqlalchemy', 'sqlmodel', 'httpx', 'starlette', 'uvicorn') if m in "
        "sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_extraction_never_reads_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoClockDate(dt.date):
        @classmethod
        def today(cls):  # type: ignore[no-untyped-def]
            raise AssertionError("extraction read the clock")

    class NoClockDatetime(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def]
            raise AssertionError("extraction read the clock")

        @classmethod
        def utcnow(cls):  # type: ignore[no-untyped-def]
            raise AssertionError("extraction read the clock")

        @classmethod
        def today(cls):  # type: ignore[no-untyped-def]
            raise AssertionError("extraction read the clock")

    def no_time() -> float:
        raise AssertionError("extraction read the clock")

    import app.extraction.dates as dates_module
    import app.extraction.pipeline as pipeline_module

    monkeypatch.setattr(dt, "date", NoClockDate)
    monkeypatch.setattr(dt, "datetime", NoClockDatetime)
    monkeypatch.setattr(time, "time", no_time)
    monkeypatch.setattr(dates_module, "date", NoClockDate)
    monkeypatch.setattr(pipeline_module, "date", NoClockDate)
    monkeypatch.setattr(pipeline_module, "datetime", NoClockDatetime)
    # relative dates with no publication date stay unresolved instead of falling back to "today"
    found = extract(ArticleInput(text="Two soldiers fled across the Yalu River last week.", published=None))
    assert [(i.date_start, i.date_end) for i in found] == [(None, None)]
    found = extract(ArticleInput(text=SAMPLE, published=NoClockDate(2021, 3, 25)))
    assert found[0].date_start == dt.date(2021, 3, 2)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t  \r\n",
        "<html><body><p></p><div>&nbsp;</div></body></html>",
        "\x00\x01\x02\x03",
        "....!!!???",
        "\ufeff",
        "Photo: SAMPLE/AFP",
        "The city council approved a new budget for road repairs on Monday.",
    ],
)
def test_blank_markup_or_unrelated_text_gives_no_incidents(text: str) -> None:
    assert extract(ArticleInput(text=text, published=dt.date(2021, 3, 25))) == []


def test_captions_are_not_narrative() -> None:
    text = (
        "The border city has new street lights this year.\n\n"
        "North Korean soldiers fled across the Yalu River on Monday. Photo: SAMPLE/AFP\n\n"
        "REUTERS/Kim Hong-Ji"
    )
    assert extract(ArticleInput(text=text, published=dt.date(2021, 3, 25))) == []


@pytest.mark.parametrize(
    "published",
    [None, "2021-03-25", "not a date", 20210325, dt.datetime(2021, 3, 25, 10, 30), dt.date(1, 1, 1)],
)
def test_missing_or_malformed_publication_dates(published: object) -> None:
    article = ArticleInput(text=SAMPLE, published=published)  # type: ignore[arg-type]
    found = extract(article)
    assert len(found) == 2
    if published in ("2021-03-25", dt.datetime(2021, 3, 25, 10, 30)):
        assert found[0].date_start == dt.date(2021, 3, 2)
    if published in (None, "not a date", 20210325):
        assert found[0].date_start is None  # "the 2nd" needs a reference date


@pytest.mark.parametrize(
    "text",
    [
        "A North Korean soldier \x07defected\x1b to South Korea on Monday.\x00",
        "A North Korean soldier \udcff defected to South Korea on Monday.",
        "A North Korean soldier defected to South Korea on Monday.\u2028He was unarmed.",
        "Ã\x83Â© mojibake: A North Korean soldier defected to South Korea on Monday.",
        None,
        12345,
    ],
)
def test_odd_characters_and_types_do_not_crash(text: object) -> None:
    found = extract(ArticleInput(text=text, published=dt.date(2021, 3, 25)))  # type: ignore[arg-type]
    for incident in found:
        json.dumps(incident.as_record(), ensure_ascii=False).encode("utf-8")


def _prose(size: int) -> str:
    rng = random.Random(3)
    words = " ".join(
        [
            "the a of and to in border soldier river crossed fled North Korea China said on Monday last week two",
            "officials market city people village guards Yalu escape defected boat night family March 2 2021 Mr. U.S.",
        ]
    ).split()
    out: list[str] = []
    total = 0
    while total < size:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(5, 30))) + rng.choice([". ", "? ", ".\n\n"])
        out.append(sentence)
        total += len(sentence)
    return "".join(out)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(_prose(1_000_000), id="1MB-dense-prose"),
        pytest.param(" ".join(["soldiers crossed the border into China"] * 25_000), id="1MB-one-line"),
        pytest.param("." * 1_000_000, id="1MB-dots"),
        pytest.param("North Korea " + " " * 1_000_000 + " defected", id="1MB-spaces"),
        pytest.param("<" * 500_000 + "defected", id="angle-brackets"),
    ],
)
def test_large_inputs_are_handled(text: str) -> None:
    # Correctness on megabytes of text; how fast is measured by tests/benchmarks/bench_extraction.py.
    found = extract(ArticleInput(text=text, published=dt.date(2021, 3, 25)))
    for incident in found:
        assert all(text[e.start : e.end] == e.text for e in incident.evidence)
