"""Speed benchmark of the extraction library on one core (not a test: run it by hand).

    python tests/benchmarks/bench_extraction.py [--seconds N] [--profile]

Prints defection articles per second on ~3 KB articles (each made of gold corpus texts from tests/extraction/corpus
and sample texts from app/samples, picked at random and joined until 2,800 characters, then cut at 3,200; the
corpus texts alone average 1.1 KB), with their mean size, and MB per second of unrelated news-like text (generated:
shuffled sentences of neutral vocabulary with no escape words, cut into article-sized documents). Targets: >= 300
articles/s and >= 5 MB/s.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
try:
    import app  # noqa: F401  # an installed build (a compiled wheel in a venv of its own) is what gets measured
except ImportError:
    sys.path.insert(0, str(ROOT))

from app.extraction import COMPILED, ArticleInput, extract  # noqa: E402

CORPUS = ROOT / "tests" / "extraction" / "corpus"
SAMPLES = ROOT / "app" / "samples"
TARGET_ARTICLES_PER_S = 300
TARGET_MB_PER_S = 5.0

_SUBJECTS = [
    "The city council",
    "A local bakery",
    "The central bank",
    "Researchers at the university",
    "The football club",
    "Farmers in the region",
    "The new museum",
    "Shoppers",
    "The weather service",
    "Investors",
    "The school board",
    "A team of engineers",
]
_VERBS = [
    "announced",
    "opened",
    "reported",
    "approved",
    "celebrated",
    "reviewed",
    "postponed",
    "welcomed",
    "discussed",
    "published",
]
_OBJECTS = [
    "a plan to repair the old bridge",
    "record sales of winter coats",
    "a festival of traditional music",
    "higher interest rates for the second quarter",
    "a study of sleep and memory in teenagers",
    "the results of the annual harvest",
    "a new timetable for the commuter trains",
    "an exhibition of modern painting",
    "a programme of free evening classes",
    "the budget for road maintenance",
]
_TAILS = [
    "on Tuesday",
    "after a long debate",
    "according to a statement",
    "in a brief ceremony",
    "despite the heavy rain",
    "to the surprise of many residents",
    "earlier this month",
    "for the third year running",
]


def neutral_documents(total_bytes: int, seed: int = 7, size: int = 3000) -> list[str]:
    """Article-sized documents of unrelated news-like prose, `total_bytes` in all."""
    rng = random.Random(seed)
    docs: list[str] = []
    made = 0
    while made < total_bytes:
        paragraphs = []
        length = 0
        while length < size:
            sentences = [
                f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."
                for _ in range(rng.randint(2, 5))
            ]
            paragraph = " ".join(sentences)
            paragraphs.append(paragraph)
            length += len(paragraph) + 2
        doc = "\n\n".join(paragraphs)
        docs.append(doc)
        made += len(doc.encode())
    return docs


def corpus_articles(count: int = 200, seed: int = 1) -> list[ArticleInput]:
    """About 3 KB defection articles: corpus and sample texts picked at random, joined by blank lines until the
    article reaches 2,800 characters, then cut at 3,200 (the corpus texts alone average about 1.1 KB)."""
    paths = sorted(CORPUS.glob("*.json")) + sorted(SAMPLES.glob("*.json"))
    texts = [json.loads(path.read_text(encoding="utf-8"))["text"] for path in paths]
    rng = random.Random(seed)
    articles = []
    for _ in range(count):
        text = ""
        while len(text) < 2800:
            text += rng.choice(texts) + "\n\n"
        articles.append(ArticleInput(text=text[:3200], published=date(2021, 3, 25)))
    return articles


def _rate(work: list[ArticleInput], seconds: float) -> tuple[int, float]:
    """(documents processed, elapsed) running over `work` repeatedly for about `seconds`."""
    done = 0
    start = time.perf_counter()
    while True:
        for article in work:
            extract(article)
        done += len(work)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent on each measurement")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of the defection run")
    args = parser.parse_args()

    articles = corpus_articles()
    neutral = [ArticleInput(text=t, published=date(2024, 5, 1)) for t in neutral_documents(2_000_000)]
    for article in articles[:20] + neutral[:5]:  # load the lexicon and gazetteer outside the timing
        extract(article)

    print(f"extractor:          {'compiled with mypyc (a production build)' if COMPILED else 'pure Python sources'}")
    mean_kb = sum(len(a.text.encode()) for a in articles) / len(articles) / 1000
    done, elapsed = _rate(articles, args.seconds)
    per_s = done / elapsed
    print(
        f"defection articles: {per_s:8.1f} articles/s  ({mean_kb:.1f} KB mean, {done} in {elapsed:.2f} s)"
        f"  target >= {TARGET_ARTICLES_PER_S}"
    )

    neutral_mb = sum(len(a.text.encode()) for a in neutral) / 1e6
    done, elapsed = _rate(neutral, args.seconds)
    mb_s = done / len(neutral) * neutral_mb / elapsed
    print(
        f"unrelated text:     {mb_s:8.1f} MB/s        ({neutral_mb:.1f} MB in {len(neutral)} documents)"
        f"  target >= {TARGET_MB_PER_S}"
    )

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        _rate(articles, args.seconds)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    ok = per_s >= TARGET_ARTICLES_PER_S and mb_s >= TARGET_MB_PER_S
    print("targets met" if ok else "below target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
