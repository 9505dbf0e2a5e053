"""Deciding whether a report describes an incident already stored, and settling an incident's canonical values
from all of its reports. Pure functions over plain records, so the rules are easy to test and to explain."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.extraction.lexicon import KIND_RANK

MERGE_DISTANCE_KM = 100.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """What merging needs to know about a stored incident."""

    id: int
    date_start: date | None
    date_end: date | None
    date_precision: str | None
    origin_country: str | None
    destination_country: str | None
    method: str | None
    crossing: str | None
    actor: str | None
    group_size: int | None
    group_size_min: int | None
    group_size_max: int | None
    location_name: str | None
    lat: float | None
    lon: float | None


def _d(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _sizes_compatible(a: int | None, b: int | None) -> bool | None:
    if a is None or b is None:
        return None
    if a == b:
        return True
    # Outlets disagree on counts ("13" vs "15"); a wide gap means different groups.
    return abs(a - b) <= max(2, round(0.2 * max(a, b)))


def match_score(record: dict[str, Any], candidate: Candidate) -> int | None:
    """How well a report fits a stored incident: None when they cannot be the same event, else a score
    (higher is better)."""
    score = 0
    start, end = _d(record.get("date_start")), _d(record.get("date_end"))
    both_dated = bool(start and end and candidate.date_start and candidate.date_end)
    if both_dated:
        assert start and end and candidate.date_start and candidate.date_end
        slack = 1 if record.get("date_precision") == "day" and candidate.date_precision == "day" else 0
        if (start - candidate.date_end).days > slack or (candidate.date_start - end).days > slack:
            return None
        score += 3 if (record.get("date_precision") == "day" and candidate.date_precision == "day") else 1
    for field in ("origin_country", "destination_country", "method", "crossing"):
        mine, theirs = record.get(field), getattr(candidate, field)
        if mine and theirs:
            if mine != theirs:
                return None
            score += 1
    actor = record.get("actor")
    if actor and candidate.actor:
        if actor != candidate.actor and "civilian" not in (actor, candidate.actor):
            return None
        score += actor == candidate.actor
    sizes = _sizes_compatible(record.get("group_size"), candidate.group_size)
    if sizes is False:
        return None
    score += 2 if sizes else 0
    location = record.get("location") or {}
    if location.get("lat") is not None and candidate.lat is not None and candidate.lon is not None:
        distance = haversine_km(location["lat"], location["lon"], candidate.lat, candidate.lon)
        if distance > MERGE_DISTANCE_KM:
            return None
        score += 1
    if location.get("name") and location.get("name") == candidate.location_name:
        score += 1
    # Undated accounts join only on strong agreement on everything else.
    needed = 4 if both_dated else 6
    return score if score >= needed else None


def best_match(
    record: dict[str, Any], candidates: Sequence[Candidate], *, joined: Set[int] = frozenset()
) -> Candidate | None:
    """The candidate the report fits best (ties: the oldest), or None. `joined`: incidents the reporting article
    already has a report on; one article's separate incidents are never merged with each other."""
    scored = [(s, c) for c in candidates if c.id not in joined and (s := match_score(record, c)) is not None]
    if not scored:
        return None
    return max(scored, key=lambda sc: (sc[0], -sc[1].id))[1]


# --- canonical values --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportView:
    article_id: int
    record: dict[str, Any]
    confidence: float


def _vote(reports: Sequence[ReportView], field: str) -> Any:
    counts: Counter[Any] = Counter()
    weight: dict[Any, float] = {}
    for r in reports:
        value = r.record.get(field)
        if value is None:
            continue
        counts[value] += 1
        weight[value] = max(weight.get(value, 0.0), r.confidence)
    if not counts:
        return None
    return max(counts, key=lambda v: (counts[v], weight[v]))


def _window(r: ReportView) -> tuple[date, date] | None:
    s, e = _d(r.record.get("date_start")), _d(r.record.get("date_end"))
    if s and e:
        return s, e
    return None


def canonical(reports: Sequence[ReportView]) -> dict[str, Any]:
    """The incident's public values from its reports: the narrowest consistent date window, the most specific
    place, the best-supported group size with disagreements kept as a min/max range, majority votes elsewhere."""
    out: dict[str, Any] = {}
    dated = [(r, w) for r in reports if (w := _window(r))]
    if dated:
        # A window overlaps every other exactly when it starts by the earliest end and ends at or after the latest
        # start: one pass, not a comparison of every pair (an incident can have hundreds of reports).
        earliest_end = min(w[1] for _, w in dated)
        latest_start = max(w[0] for _, w in dated)
        consistent = [(r, w) for r, w in dated if w[0] <= earliest_end and latest_start <= w[1]] or dated
        r, (s, e) = min(consistent, key=lambda rw: ((rw[1][1] - rw[1][0]).days, -rw[0].confidence))
        out.update(
            date_start=s, date_end=e, date_precision=r.record.get("date_precision"), date_text=r.record.get("date_text")
        )
    else:
        out.update(date_start=None, date_end=None, date_precision=None, date_text=_vote(reports, "date_text"))
    for field in ("origin_country", "destination_country", "crossing", "method", "actor", "armed"):
        out[field] = _vote(reports, field)
    outcomes = [r.record.get("outcome") for r in reports if r.record.get("outcome") not in (None, "unknown")]
    out["outcome"] = Counter(outcomes).most_common(1)[0][0] if outcomes else "unknown"

    exact = [r.record["group_size"] for r in reports if r.record.get("group_size") is not None]
    lows = [r.record["group_size_min"] for r in reports if r.record.get("group_size_min") is not None]
    highs = [r.record["group_size_max"] for r in reports if r.record.get("group_size_max") is not None]
    if exact:
        out["group_size"] = _vote(reports, "group_size")
        if len(set(exact)) > 1:
            out["group_size_min"], out["group_size_max"] = min(exact), max(exact)
        else:
            out["group_size_min"] = min(lows) if lows else None
            out["group_size_max"] = max(highs) if highs else None
    else:
        out["group_size"] = None
        out["group_size_min"] = max(lows) if lows else None
        out["group_size_max"] = min(highs) if highs else None

    locations: list[dict[str, Any]] = [r.record["location"] for r in reports if r.record.get("location")]
    best: dict[str, Any] | None = max(locations, key=lambda loc: KIND_RANK.get(str(loc.get("kind")), 0), default=None)
    out.update(
        location_name=best.get("name") if best else None,
        location_kind=best.get("kind") if best else None,
        location_country=best.get("country") if best else None,
        lat=best.get("lat") if best else None,
        lon=best.get("lon") if best else None,
        geo_precision=next((r.record.get("geo_precision") for r in reports if r.record.get("location") == best), None),
    )
    places: dict[str, dict[str, Any]] = {}
    transit: list[str] = []
    for r in reports:
        for place in r.record.get("places") or []:
            places.setdefault(place.get("name"), place)
        for code in r.record.get("transit_countries") or []:
            if code not in transit:
                transit.append(code)
    out["places"] = list(places.values())
    out["transit_countries"] = transit
    strongest = max(reports, key=lambda r: r.confidence)
    out["summary"] = strongest.record.get("summary") or ""
    # Independent reports of the same event make it more certain.
    out["confidence"] = round(min(0.99, 1 - math.prod(1 - min(r.confidence, 0.99) for r in reports)), 3)
    out["source_count"] = len({r.article_id for r in reports})
    return out
