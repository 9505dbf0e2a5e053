"""Quality gate: the extractor's scores on our gold corpus must not fall below pinned floors.

The scorer here is self-contained and follows the matching rules of the shared evaluation script (greedy one-to-one
matching by agreeing fields, detection precision/recall/F1, per-field accuracy on matched incidents). A second test
runs the shared script itself on the development set when it is present.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.extraction import ArticleInput, extract

CORPUS = Path(__file__).parent / "corpus"
ROOT = Path(__file__).resolve().parents[2]
SHARED_EVAL = ROOT.parent / "shared" / "eval"

FIELDS = ("date", "group_size", "origin_country", "destination_country", "method", "crossing", "actor", "armed")
# Pinned a little under what the extractor reaches (F1 0.938, field mean 0.946 on the 167 articles at 0.4.0). The 104
# added since 0.2.0 were first written as four held-out probes: c064-c093, on which 0.2.0 reached F1 0.795 and field
# mean 0.868; c094-c117, written after the fixes the first one led to (0.2.0: F1 0.844, field mean 0.850; 0.3.0
# before its own fixes: 0.812, 0.891); c118-c147, in the form of scraped news (0.3.0: F1 0.805, field mean 0.830);
# and c148-c167, after the fixes that one led to (0.3.0: F1 0.852, field mean 0.827; 0.4.0 before its last fixes:
# 0.852, 0.843).
# A change that costs more than the margin is a regression to look at.
FLOOR_F1 = 0.93
FLOOR_FIELD_MEAN = 0.94
FLOOR_FIELDS = {
    "date": 0.94,
    "group_size": 0.90,
    "origin_country": 0.95,
    "destination_country": 0.88,
    "method": 0.94,
    "crossing": 0.87,
    "actor": 0.91,
    "armed": 0.85,
}


# --- a small scorer with the shared evaluation's rules -------------------------------------------------------------


def _accepted(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _norm_text(value: Any) -> str:
    s = str(value).lower().replace("’", "'")
    s = re.sub(r"\b(the|river|sea|line|area)\b", " ", s)
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _window(rec: dict[str, Any]) -> tuple[dt.date, dt.date] | None:
    start, end = _date(rec.get("date_start")), _date(rec.get("date_end"))
    start, end = start or end, end or start
    return (start, end) if start and end else None


def field_ok(name: str, gold: dict[str, Any], pred: dict[str, Any]) -> bool | None:
    """True/False when the gold field is scored, None when gold leaves it open."""
    if name == "date":
        g = _window(gold)
        if g is None:
            return None
        p = _window(pred)
        one = dt.timedelta(days=1)
        return p is not None and abs(p[0] - g[0]) <= one and abs(p[1] - g[1]) <= one
    if name == "group_size":
        g = gold.get("group_size")
        if g is None and gold.get("group_size_min") is None:
            return None
        p = pred.get("group_size")
        if g is not None:
            return p is not None and p in _accepted(g)
        low, high = gold.get("group_size_min"), gold.get("group_size_max")
        if p is not None:
            return (low is None or p >= low) and (high is None or p <= high)
        return pred.get("group_size_min") == low and pred.get("group_size_max") == high
    g = gold.get(name)
    if g is None:
        return None
    p = pred.get(name)
    if p is None:
        return False
    if name == "crossing":
        return _norm_text(p) in {_norm_text(x) for x in _accepted(g)}
    if name in ("origin_country", "destination_country", "method", "actor"):
        return str(p).upper() in {str(x).upper() for x in _accepted(g)}
    return p in _accepted(g)


def _date_overlaps(gold: dict[str, Any], pred: dict[str, Any]) -> bool:
    g, p = _window(gold), _window(pred)
    one = dt.timedelta(days=1)
    return bool(g and p and p[0] <= g[1] + one and g[0] <= p[1] + one)


def _similarity(gold: dict[str, Any], pred: dict[str, Any]) -> tuple[int, int]:
    agree = scorable = 0
    for name in ("group_size", "destination_country", "method", "crossing", "actor"):
        ok = field_ok(name, gold, pred)
        if ok is not None:
            scorable += 1
            agree += ok
    if _window(gold):
        scorable += 1
        agree += _date_overlaps(gold, pred)
    return agree, scorable


def match(golds: list[dict[str, Any]], preds: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Greedy one-to-one matching by similarity; a pair needs 2 agreeing fields (1 if gold has fewer than 2)."""
    candidates = []
    for gi, g in enumerate(golds):
        for pi, p in enumerate(preds):
            agree, scorable = _similarity(g, p)
            if agree >= (2 if scorable >= 2 else 1):
                candidates.append((agree, -abs(gi - pi), gi, pi))
    candidates.sort(reverse=True)
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for _, _, gi, pi in candidates:
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            pairs.append((gi, pi))
    return pairs


def score(articles: list[dict[str, Any]], predictions: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    tp = fp = fn = 0
    hits = {name: [0, 0] for name in FIELDS}
    for art in articles:
        golds = art["gold"]["incidents"]
        preds = predictions.get(str(art["id"]), [])
        pairs = match(golds, preds)
        tp += len(pairs)
        fp += len(preds) - len(pairs)
        fn += len(golds) - len(pairs)
        for gi, pi in pairs:
            for name in FIELDS:
                ok = field_ok(name, golds[gi], preds[pi])
                if ok is not None:
                    hits[name][1] += 1
                    hits[name][0] += ok
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    fields = {name: (h[0] / h[1] if h[1] else None) for name, h in hits.items()}
    scored = [v for v in fields.values() if v is not None]
    return {
        "f1": f1,
        "precision": precision,
        "recall": recall,
        "fields": fields,
        "field_mean": sum(scored) / len(scored) if scored else 0.0,
    }


# --- the scorer's own rules, checked -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gold", "pred", "field", "ok"),
    [
        (
            {"date_start": "2021-03-02", "date_end": "2021-03-02"},
            {"date_start": "2021-03-03", "date_end": None},
            "date",
            True,
        ),
        ({"date_start": "2021-03-02", "date_end": "2021-03-02"}, {"date_start": "2021-03-05"}, "date", False),
        ({"group_size": [18, 20]}, {"group_size": 20}, "group_size", True),
        ({"group_size": None, "group_size_min": 11}, {"group_size": None, "group_size_min": 11}, "group_size", True),
        ({"group_size": None, "group_size_min": 24, "group_size_max": None}, {"group_size": 30}, "group_size", True),
        ({"crossing": ["Deep Bay", "Shenzhen Bay"]}, {"crossing": "the Deep Bay"}, "crossing", True),
        ({"armed": False}, {"armed": None}, "armed", False),
        ({"actor": None}, {"actor": "soldier"}, "actor", None),
    ],
)
def test_field_rules(gold: dict[str, Any], pred: dict[str, Any], field: str, ok: bool | None) -> None:
    assert field_ok(field, gold, pred) is ok


def test_matching_is_one_to_one() -> None:
    gold = [{"group_size": 6, "method": "river", "date_start": "2021-03-02", "date_end": "2021-03-02"}]
    preds = [dict(gold[0]), dict(gold[0])]
    result = score([{"id": "x", "gold": {"incidents": gold}}], {"x": preds})
    assert (round(result["precision"], 2), result["recall"]) == (0.5, 1.0)


# --- the gates --------------------------------------------------------------------------------------------------


def _corpus_scores() -> dict[str, Any]:
    articles = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.json"))]
    predictions = {}
    for art in articles:
        published = dt.date.fromisoformat(art["published"]) if art.get("published") else None
        article = ArticleInput(
            text=art["text"],
            id=art["id"],
            url=art.get("url"),
            title=art.get("title"),
            source=art.get("source"),
            published=published,
        )
        predictions[str(art["id"])] = [i.as_record(article) for i in extract(article)]
    return score(articles, predictions)


def test_corpus_quality_gate() -> None:
    result = _corpus_scores()
    report = json.dumps({k: result[k] for k in ("f1", "field_mean", "fields")}, indent=1)
    assert result["f1"] >= FLOOR_F1, report
    assert result["field_mean"] >= FLOOR_FIELD_MEAN, report
    for name, floor in FLOOR_FIELDS.items():
        assert (result["fields"][name] or 0) >= floor, f"{name}: {report}"


@pytest.mark.skipif(not (SHARED_EVAL / "dev").is_dir(), reason="no ../shared/eval/dev here (development set absent)")
def test_dev_set_quality_gate(tmp_path: Path) -> None:
    out = tmp_path / "dev.json"
    cmd = f"{sys.executable} -m app extract --format jsonl"
    subprocess.run(
        [sys.executable, str(SHARED_EVAL / "score.py"), str(SHARED_EVAL / "dev"), "--cmd", cmd, "--json", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["detection"]["f1"] >= 0.90, result["detection"]
    assert result["field_mean"] >= 0.90, result["fields"]
