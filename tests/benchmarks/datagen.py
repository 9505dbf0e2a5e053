"""Synthetic data for the benchmarks: fills the project's own database with N incidents, their reports and the
articles that reported them, through a bulk path.

    python tests/benchmarks/datagen.py --incidents 1000000 --db /tmp/bench/incidents-1m.db

The schema is made by the project's migrations (`app.core.migrate.upgrade`); the secondary indexes and the triggers
are set aside during the load and put back exactly as they were (their SQL is read from `sqlite_master`). The rows
come in chunks of CHUNK incidents. Producer processes draw chunks in parallel (each chunk from its own seeded
streams) and hand each over as a small SQLite image of the same tables, through shared memory; this process copies
each image in (`INSERT ... SELECT`), in id order. Past the first DRAWN_FIRST incidents, each drawn chunk is followed
by REPLAYS copies of it, made in SQL: ids, article external ids, URLs, texts ("(Report N.)"), content hashes and the
evidence's article ids of their own, the values of the drawn chunk (so each such value bundle appears REPLAYS + 1
times; `--replays 0` draws every incident, at about half the speed). Then the indexes are built while the
producers fill the two FTS5 tables in scratch files, with the documents the triggers of migration 0002 would have
written (`incident_search`: summary, then per report the article title and its evidence texts; `article_search`:
title and text); their shadow tables are copied in as they are.

The mix resembles real data: dates 1950-2026 skewed towards recent years with the spec's precisions (a few
undated), origins mostly PRK with some CUB/ERI/RUS/CHN, destinations per origin (CHN/KOR for most), methods,
crossings, actors and outcomes from the spec's vocabulary, group sizes mostly 1-10 (some vague bounds only),
coordinates along the Yalu, Tumen, DMZ and NLL for most and none for some, generated summaries, and 1-3 reports per
incident from as many distinct articles (source_count agrees), each report carrying its own record and evidence
spans that point into its article's text. Seeded, so the same N and seed give the same database (whatever the
number of producers). Needs the `fork` start method (Linux, macOS).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from hashlib import sha256
from itertools import accumulate
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EXTRACTOR_VERSION = "synthetic-1"
CHUNK = 5_000  # incidents per chunk: one task of a producer process, one image sent back

COUNTRY = {
    "PRK": ("North Korea", "North Korean"),
    "KOR": ("South Korea", "South Korean"),
    "CHN": ("China", "Chinese"),
    "RUS": ("Russia", "Russian"),
    "JPN": ("Japan", "Japanese"),
    "MNG": ("Mongolia", "Mongolian"),
    "THA": ("Thailand", "Thai"),
    "LAO": ("Laos", "Lao"),
    "CUB": ("Cuba", "Cuban"),
    "USA": ("the United States", "American"),
    "ESP": ("Spain", "Spanish"),
    "MEX": ("Mexico", "Mexican"),
    "ERI": ("Eritrea", "Eritrean"),
    "ETH": ("Ethiopia", "Ethiopian"),
    "SDN": ("Sudan", "Sudanese"),
    "ITA": ("Italy", "Italian"),
    "FIN": ("Finland", "Finnish"),
    "GEO": ("Georgia", "Georgian"),
    "KAZ": ("Kazakhstan", "Kazakh"),
    "TWN": ("Taiwan", "Taiwanese"),
    "HKG": ("Hong Kong", "Hong Kong"),
    "DEU": ("Germany", "German"),
}

# (name, kind, country, lat, lon, geo_precision, jitter in degrees)
YALU = [
    ("Sinuiju", "city", "PRK", 40.100, 124.398, "near", 0.05),
    ("Uiju", "county", "PRK", 40.199, 124.532, "near", 0.05),
    ("Sakju", "county", "PRK", 40.386, 125.048, "near", 0.05),
    ("Manpo", "city", "PRK", 41.146, 126.296, "near", 0.05),
    ("Junggang", "county", "PRK", 41.785, 126.883, "near", 0.05),
    ("Hyesan", "city", "PRK", 41.402, 128.178, "near", 0.04),
    ("Yalu River", "river", None, 40.800, 125.600, "region", 0.6),
]
TUMEN = [
    ("Musan", "county", "PRK", 42.231, 129.204, "near", 0.05),
    ("Hoeryong", "city", "PRK", 42.443, 129.751, "near", 0.05),
    ("Onsong", "county", "PRK", 42.957, 129.993, "near", 0.05),
    ("Namyang", "city", "PRK", 42.948, 129.854, "near", 0.03),
    ("Tumen River", "river", None, 42.500, 129.700, "region", 0.4),
]
DMZ = [
    ("Panmunjom", "facility", "KOR", 37.956, 126.677, "exact", 0.01),
    ("Cheorwon", "county", "KOR", 38.247, 127.214, "near", 0.05),
    ("Goseong", "county", "KOR", 38.380, 128.468, "near", 0.05),
    ("Yanggu", "county", "KOR", 38.105, 127.990, "near", 0.05),
    ("Paju", "city", "KOR", 37.760, 126.780, "near", 0.05),
    ("Demilitarized Zone", "border_area", None, 38.300, 127.400, "region", 0.5),
]
SEA = [
    ("Yeonpyeong Island", "island", "KOR", 37.667, 125.700, "exact", 0.05),
    ("Baengnyeong Island", "island", "KOR", 37.960, 124.670, "exact", 0.05),
    ("Samcheok", "city", "KOR", 37.440, 129.165, "near", 0.05),
    ("Yellow Sea", "sea", None, 37.500, 124.800, "region", 0.5),
    ("East Sea", "sea", None, 38.500, 129.500, "region", 0.5),
]
ESTUARY = [
    ("Gyodong Island", "island", "KOR", 37.780, 126.270, "exact", 0.03),
    ("Han River estuary", "river", "KOR", 37.760, 126.500, "near", 0.05),
]
ABROAD = [
    ("Beijing", "city", "CHN", 39.904, 116.407, "exact", 0.05),
    ("Vladivostok", "city", "RUS", 43.115, 131.886, "exact", 0.05),
    ("Bangkok", "city", "THA", 13.756, 100.502, "exact", 0.05),
    ("Tokyo", "city", "JPN", 35.682, 139.759, "exact", 0.05),
    ("Berlin", "city", "DEU", 52.520, 13.405, "exact", 0.05),
]
CUBA_SEA = [
    ("Florida Straits", "sea", None, 24.300, -81.000, "region", 0.5),
    ("Key West", "city", "USA", 24.555, -81.780, "near", 0.05),
]
CUBA_ABROAD = [("Mexico City", "city", "MEX", 19.433, -99.133, "exact", 0.05)]
ERI_LAND = [
    ("Badme", "city", "ERI", 14.850, 37.750, "near", 0.1),
    ("Kassala", "city", "SDN", 15.450, 36.400, "near", 0.1),
]
RUS_LAND = [
    ("Upper Lars", "facility", "GEO", 42.742, 44.625, "exact", 0.02),
    ("Vaalimaa", "facility", "FIN", 60.573, 27.830, "exact", 0.02),
]
NONE: list[Any] = []


@dataclass(frozen=True, slots=True)
class Scenario:
    """One kind of incident: a route, a method, the crossings and places it happens at, who takes it."""

    origin: str | None
    destination: str | None
    method: str | None
    crossings: tuple[str | None, ...]
    places: Sequence[Any]
    actors: tuple[str, ...]
    actor_weights: tuple[int, ...]
    transit: tuple[str, ...] = ()
    no_coords: float = 0.08  # share of incidents with no coordinates at all


CIVIL = ("civilian", "soldier", "worker", "student")
DMZ_LINES = ("Military Demarcation Line", "Joint Security Area")
ABROAD_ACTORS = ("diplomat", "worker", "official", "athlete", "student")
SEA_ACTORS = ("fisher", "civilian", "soldier")
OVERLAND = ("CHN", "LAO", "THA")
SCENARIOS: list[tuple[int, Scenario]] = [
    (300, Scenario("PRK", "CHN", "river", ("Yalu River",), YALU, CIVIL, (70, 25, 3, 2))),
    (160, Scenario("PRK", "CHN", "river", ("Tumen River",), TUMEN, CIVIL, (70, 25, 3, 2))),
    (30, Scenario("PRK", "CHN", "land", (None,), NONE, CIVIL, (80, 15, 3, 2), no_coords=1.0)),
    (70, Scenario("PRK", "KOR", "dmz", DMZ_LINES, DMZ, ("soldier", "civilian"), (85, 15))),
    (80, Scenario("PRK", "KOR", "sea", ("Northern Limit Line", None), SEA, SEA_ACTORS, (45, 45, 10))),
    (15, Scenario("PRK", "KOR", "swim", (None,), ESTUARY, ("civilian", "soldier"), (70, 30))),
    (60, Scenario("PRK", "KOR", "river", ("Tumen River", "Yalu River"), TUMEN, ("civilian",), (1,), OVERLAND)),
    (40, Scenario("PRK", "KOR", "abroad", (None,), ABROAD, ABROAD_ACTORS, (30, 35, 15, 10, 10))),
    (15, Scenario("PRK", "RUS", "abroad", (None,), ABROAD[1:2], ("worker",), (1,))),
    (10, Scenario("PRK", "JPN", "sea", (None,), SEA[2:], ("fisher", "civilian"), (60, 40))),
    (8, Scenario("PRK", "MNG", "land", (None,), NONE, ("civilian",), (1,), ("CHN",), no_coords=1.0)),
    (40, Scenario("PRK", None, None, (None,), NONE, ("civilian", "soldier"), (60, 40), no_coords=0.6)),
    (25, Scenario("CUB", "USA", "sea", ("Florida Straits", None), CUBA_SEA, ("civilian", "fisher"), (80, 20))),
    (12, Scenario("CUB", "USA", "abroad", (None,), CUBA_ABROAD, ("athlete", "official", "diplomat"), (60, 25, 15))),
    (3, Scenario("CUB", "ESP", "air", (None,), NONE, ("official", "athlete"), (50, 50), no_coords=1.0)),
    (30, Scenario("ERI", "ETH", "land", (None,), ERI_LAND[:1], ("soldier", "civilian"), (60, 40))),
    (10, Scenario("ERI", "SDN", "land", (None,), ERI_LAND[1:], ("civilian", "soldier"), (70, 30))),
    (5, Scenario("ERI", "ITA", "abroad", (None,), NONE, ("athlete", "diplomat"), (70, 30), no_coords=1.0)),
    (15, Scenario("RUS", "GEO", "land", (None,), RUS_LAND[:1], ("soldier", "civilian"), (60, 40))),
    (10, Scenario("RUS", "FIN", "land", (None,), RUS_LAND[1:], ("soldier", "civilian"), (50, 50))),
    (5, Scenario("RUS", "KAZ", "land", (None,), NONE, ("civilian",), (1,), no_coords=1.0)),
    (6, Scenario("CHN", "TWN", "swim", (None,), NONE, ("soldier", "civilian"), (50, 50), no_coords=1.0)),
    (6, Scenario("CHN", "HKG", "swim", (None,), NONE, ("civilian",), (1,), no_coords=1.0)),
    (5, Scenario("CHN", "KOR", "sea", (None,), SEA[3:4], ("fisher",), (1,))),
    (15, Scenario(None, None, None, (None,), NONE, ("civilian",), (1,), no_coords=1.0)),
]  # fmt: skip

SOURCES = [
    "Daily NK", "Yonhap", "NK News", "Radio Free Asia", "The Korea Herald", "The Korea Times", "Reuters",
    "Associated Press", "AFP", "BBC", "The Guardian", "JoongAng Daily", "Chosun Ilbo", "Asahi Shimbun",
    "Havana Times", "Eritrea Hub", "Meduza", "South China Morning Post",
]  # fmt: skip
OUTCOMES = ("crossed", "caught", "repatriated", "killed", "returned", "unknown")
OUTCOME_WEIGHTS = (55, 15, 10, 4, 3, 13)
OUTCOME_VERB_ONE = {
    "crossed": "crossed",
    "caught": "was caught crossing",
    "repatriated": "was sent back after crossing",
    "killed": "was killed crossing",
    "returned": "went back across",
    "unknown": "tried to cross",
}
OUTCOME_VERB = {
    "crossed": "crossed",
    "caught": "were caught crossing",
    "repatriated": "were sent back after crossing",
    "killed": "were killed crossing",
    "returned": "went back across",
    "unknown": "tried to cross",
}
PRECISIONS = ("day", "week", "month", "year", None)
PRECISION_WEIGHTS = (52, 10, 25, 6, 7)
SIZES = tuple(range(1, 11))
SIZE_WEIGHTS = (46, 17, 10, 7, 5, 4, 3, 2, 1, 1)
NUMBER = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
PLURAL = {
    "soldier": "soldiers",
    "civilian": "civilians",
    "fisher": "fishermen",
    "diplomat": "diplomats",
    "official": "officials",
    "worker": "workers",
    "athlete": "athletes",
    "student": "students",
}
FILLER = (
    "Officials declined to comment on the report.",
    "The account could not be independently verified.",
    "Border security has been tightened in recent years.",
    "A source in the region gave the details by telephone.",
    "Rights groups have called for the group to be protected.",
    "The ministry said it was looking into the matter.",
    "Such crossings are rarely confirmed by either government.",
)
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Years 1950..2026 weighted towards recent decades (quadratic growth, a dip in the 2020-2022 closures).
YEARS = tuple(range(1950, 2027))
YEAR_WEIGHTS = tuple(
    (1 + (y - 1950) ** 2) * (0.4 if 2020 <= y <= 2022 else 1.0) * (0.6 if y == 2026 else 1.0) for y in YEARS
)
NOW = datetime(2026, 11, 20, 12, 0, 0)


SOME = {24: "dozens of", 11: "more than 10", None: "some"}
DATELINES = ("SEOUL", "BEIJING", "TOKYO", "DANDONG", "YANJI", "HAVANA", "ASMARA", "MOSCOW")
REPORTS = (1, 2, 3)  # reports per incident
REPORT_WEIGHTS = (70, 22, 8)
CALENDAR_START = date(1949, 12, 1)  # a week of early January 1950 starts in December 1949
CALENDAR_END = date(2027, 3, 1)  # the latest `published` is a few weeks after the latest date_end
STAMP_BASE = datetime(2024, 12, 1)  # before NOW minus the 700 days every timestamp lies within


@dataclass(slots=True)
class Stats:
    incidents: int = 0
    reports: int = 0
    articles: int = 0
    insert_s: float = 0.0  # drawing and inserting every table row (secondary indexes set aside)
    index_s: float = 0.0  # then building the secondary indexes
    fts_s: float = 0.0  # then waiting for the full-text tables (built beside the indexes) and copying them in
    fts_build_s: float = 0.0  # filling the full-text tables (two producer processes, the longer), during index_s
    load_s: float = 0.0  # end to end after the migrations: insert_s + index_s + fts_s
    total_s: float = 0.0  # with the migrations
    producers: int = 0
    replays: int = 0  # copies put in after each drawn chunk (past the first DRAWN_FIRST incidents)
    drawn: int = 0  # incidents drawn (the others are copies, with ids of their own, of drawn ones)


def _cum(weights: Sequence[float]) -> list[float]:
    return list(accumulate(weights))


def _span(field: str, text: str) -> str:
    """An evidence item as orjson writes it, up to its offsets (`S,"end":E,"rule":...}` follows)."""
    return f'{{"field":"{field}","text":{_json(text)},"start":'


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


# A date: (date_start, date_end, date_text, the four as record JSON, evidence item up to its offsets, date_end index)
When = tuple[Any, Any, Any, str, Any, int]


class _Tables:
    """Every date, date text and timestamp string the generator can need, made once (formatting per row is slow)."""

    def __init__(self) -> None:
        first = CALENDAR_START.toordinal()
        days = [date.fromordinal(o) for o in range(first, CALENDAR_END.toordinal())]
        self.iso = [d.isoformat() for d in days]
        self.weekday = [d.weekday() for d in days]

        def when(start: int, end: int, precision: str, text: str) -> When:
            record = (
                f'"date_start":"{self.iso[start]}","date_end":"{self.iso[end]}","date_precision":"{precision}",'
                f'"date_text":{_json(text)}'
            )
            return self.iso[start], self.iso[end], text, record, _span("date", text), end

        self.day = [
            when(k, k, "day", f"on {WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}") for k, d in enumerate(days)
        ]
        self.week = [
            when(k, k + 6, "week", f"in the week of {MONTHS[d.month - 1]} {d.day}")
            if d.weekday() == 0 and k + 6 < len(days) else self.day[k]  # only Mondays are drawn
            for k, d in enumerate(days)
        ]  # fmt: skip
        # Per (year - 1950) * 12 + month - 1: index of the 1st day of the month, and the month as a date.
        self.month_first: list[int] = []
        self.month: list[When] = []
        for year in YEARS:
            for month in range(1, 13):
                start = date(year, month, 1).toordinal() - first
                end = date(year + (month == 12), month % 12 + 1, 1).toordinal() - first - 1
                self.month_first.append(start)
                self.month.append(when(start, end, "month", f"in {MONTHS[month - 1]} {year}"))
        self.year = [
            when(date(y, 1, 1).toordinal() - first, date(y, 12, 31).toordinal() - first, "year", f"in {y}")
            for y in YEARS
        ]
        self.undated: When = (
            "", "", "", '"date_start":null,"date_end":null,"date_precision":null,"date_text":null', None, -1
        )  # fmt: skip
        # SQLAlchemy's SQLite DateTime storage format, as the service writes it: day part + time-of-day part, for
        # a number of seconds after STAMP_BASE.
        self.stamp_day = [(STAMP_BASE + timedelta(days=k)).strftime("%Y-%m-%d ") for k in range(800)]
        self.stamp_time = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(86400)]
        self.now = int((NOW - STAMP_BASE).total_seconds())


@dataclass(frozen=True, slots=True)
class _Route:
    """A Scenario with what the generator derives from it, precomputed."""

    scenario: Scenario
    actor_cum: list[float]
    transit_json: str
    # each place: (name, kind, country, [(lat, JSON)], [(lon, JSON)], geo_precision, its JSON up to the latitude)
    places: list[tuple[Any, ...]]
    destination_name: str
    destination_json: str  # the destination country as a location / an entry of `places`
    record_route: str  # '"origin_country":"PRK","destination_country":"CHN",'


def _grid(center: float, jitter: float) -> list[tuple[float, str]]:
    """Every coordinate within jitter/2 of center, to 4 decimals, with its JSON: drawn uniformly from this."""
    low, high = round((center - jitter / 2) * 10000), round((center + jitter / 2) * 10000)
    return [(k / 10000, str(k / 10000)) for k in range(low, high + 1)]


# Confidence 0.350..0.990, with its JSON.
CONFIDENCES = [(k / 1000, str(k / 1000)) for k in range(350, 991)]
# Evidence offsets as text (articles are far shorter than this).
START = [str(k) for k in range(8192)]
END = [f',"end":{k}' for k in range(8192)]


def _route(s: Scenario) -> _Route:
    places = [
        (name, kind, country or "", _grid(lat, jitter), _grid(lon, jitter), precision,
         f'{{"name":{_json(name)},"kind":"{kind}","country":{_json(country)},"lat":')
        for name, kind, country, lat, lon, precision, jitter in s.places
    ]  # fmt: skip
    name = COUNTRY[s.destination][0] if s.destination else ""
    destination = {"name": name, "kind": "country", "country": s.destination, "lat": None, "lon": None}
    return _Route(
        s, _cum(s.actor_weights), _json(list(s.transit)), places, name, _json(destination),
        f'"origin_country":{_json(s.origin)},"destination_country":{_json(s.destination)},',
    )  # fmt: skip


# What an incident's records and articles say, but for the date and the place: (summary, title, record JSON from
# "crossing" to "outcome", record JSON of the summary, sentence up to the place, evidence items [(item up to its
# offsets, start, end)], evidence texts joined with spaces).
Shape = tuple[str, str, str, str, str, list[tuple[str, int, int]], str]


def _shape(
    s: Scenario, size: int | None, size_min: int | None, actor: str | None, armed: bool | None, outcome: str,
    crossing: str | None,
) -> Shape:  # fmt: skip
    who = PLURAL[actor] if actor else "people"
    if size == 1:
        who = actor or who
        verb = OUTCOME_VERB_ONE[outcome]
        people = "1"
    else:
        verb = OUTCOME_VERB[outcome]
        people = str(size) if size is not None else SOME[size_min]
    summary = f"{people} {'armed ' if armed else ''}{who} {verb}"
    if crossing:
        summary += f" the {crossing}"
    if s.origin:
        summary += f" from {COUNTRY[s.origin][0]}"
    if s.destination:
        summary += f" to {COUNTRY[s.destination][0]}"
    record = (
        f'"crossing":{_json(crossing)},"method":{_json(s.method)},"group_size":{_json(size)},'
        f'"group_size_min":{_json(size_min)},"group_size_max":null,"actor":{_json(actor)},"armed":{_json(armed)},'
        f'"outcome":{_json(outcome)},'
    )
    if size == 1 and s.origin:
        subject = f"A {COUNTRY[s.origin][1]} {actor}" if actor else f"A {COUNTRY[s.origin][1]} citizen"
    else:
        subject = f"{NUMBER[size] if size is not None else people} {who}"
        subject = subject[0].upper() + subject[1:]
    pieces: list[tuple[str, str | None]] = [(subject, "group_size"), (" ", None)]
    if s.origin:
        pieces += [("from ", None), (COUNTRY[s.origin][0], "origin_country"), (" ", None)]
    pieces.append((verb, "outcome"))
    if crossing:
        pieces += [(" the ", None), (crossing, "crossing")]
    if s.destination:
        pieces += [(" into ", None), (COUNTRY[s.destination][0], "destination_country")]
    sentence = ""
    items: list[tuple[str, int, int]] = []
    for text, name in pieces:
        if name is not None:
            items.append((_span(name, text), len(sentence), len(sentence) + len(text)))
        sentence += text
    texts = " ".join(text for text, name in pieces if name is not None)
    title = summary[0].upper() + summary[1:]
    return summary, title, record, f'"summary":{_json(summary)},', sentence, items, texts


def _plan(seed: int, index: int, n: int) -> tuple[list[int], list[list[int]]]:
    """Chunk `index`: the number of reports of each of its n incidents, and its articles in order, each a list of
    the incidents (0..n-1) it reports: the chunk's report slots shuffled and dealt out to articles of 1-3 incidents,
    never one incident twice in an article. Drawn from a stream of its own, so that the article and report ids of
    every chunk are known before any chunk is drawn."""
    rng = random.Random(f"{seed}/{index}/plan")
    rand = rng.random
    counts = rng.choices(REPORTS, cum_weights=_cum(REPORT_WEIGHTS), k=n)
    slots = [i for i, count in enumerate(counts) for _ in range(count)]
    rng.shuffle(slots)
    articles: list[list[int]] = []
    position = 0
    total = len(slots)
    while position < total:
        u = rand()
        group = slots[position : position + (1 if u < 0.6 else (2 if u < 0.88 else 3))]
        if len(group) > 1 and group[1] == group[0]:
            del group[1:]  # the same incident twice: end this article here, the slot opens the next one
        elif len(group) > 2 and group[2] in (group[0], group[1]):
            del group[2:]
        position += len(group)
        articles.append(group)
    return counts, articles


@dataclass(slots=True)
class Rows:
    incidents: list[tuple[Any, ...]]
    articles: list[tuple[Any, ...]]
    reports: list[tuple[Any, ...]]
    search: list[tuple[int, str]]  # incident_search documents, as the triggers of migration 0002 write them


class Generator:
    """Draws the rows of one chunk of incidents, with their articles and reports.

    Every chunk has its own seeded streams, so a chunk's rows depend only on the seed and the chunk's number: the
    producer processes draw chunks in any order and the database is the same for the same seed and N.
    """

    def __init__(self, seed: int = 20261125) -> None:
        self.seed = seed
        self.t = _Tables()
        self.routes = [_route(s) for _, s in SCENARIOS]
        self.route_ids = range(len(self.routes))
        self.scenario_cum = _cum([w for w, _ in SCENARIOS])
        self.year_ids = range(len(YEARS))
        self.year_cum = _cum(YEAR_WEIGHTS)
        self.precision_cum = _cum(PRECISION_WEIGHTS)
        self.size_cum = _cum(SIZE_WEIGHTS)
        self.outcome_cum = _cum(OUTCOME_WEIGHTS)
        self.filler = [f + " " for f in FILLER]
        self.datelines = [f"{d} — " for d in DATELINES]
        self.urls = [f"https://news.example.org/{s.lower().replace(' ', '-')}/" for s in SOURCES]
        self.shapes: dict[tuple[Any, ...], Shape] = {}

    def rows(self, task: Task) -> Rows:
        """The chunk's rows. Nullable columns hold '' for NULL (see INCIDENT_INSERT)."""
        counts, groups = _plan(self.seed, task.index, task.incidents)
        rng = random.Random(f"{self.seed}/{task.index}/rows")
        rand = rng.random
        n = task.incidents
        t = self.t
        day_dates, week_dates, month_dates, year_dates, undated = t.day, t.week, t.month, t.year, t.undated
        month_first, weekday = t.month_first, t.weekday
        stamp_day, stamp_time, now = t.stamp_day, t.stamp_time, t.now
        shapes, routes = self.shapes, self.routes
        route_ids = rng.choices(self.route_ids, cum_weights=self.scenario_cum, k=n)
        years = rng.choices(self.year_ids, cum_weights=self.year_cum, k=n)
        precisions = rng.choices(PRECISIONS, cum_weights=self.precision_cum, k=n)
        sizes = rng.choices(SIZES, cum_weights=self.size_cum, k=n)
        outcomes = rng.choices(OUTCOMES, cum_weights=self.outcome_cum, k=n)
        last_year = len(YEARS) - 1  # 2026: dates up to October
        incidents: list[tuple[Any, ...]] = []
        # Per incident, what its reports and articles need:
        # (id, record JSON, sentence, evidence items, date_end index, title, evidence texts, confidence)
        facts: list[tuple[int, str, str, list[tuple[str, int, int]], int, str, str, float]] = []
        docs: list[str] = []  # incident_search documents, per incident of the chunk
        first_id = task.first_incident
        for i in range(n):
            route_id = route_ids[i]
            r = routes[route_id]
            s = r.scenario
            y = years[i]
            precision = precisions[i]
            if precision is None:
                when = undated
            elif precision == "year":
                when = year_dates[y]
            else:
                m = y * 12 + int(rand() * (10 if y == last_year else 12))
                if precision == "month":
                    when = month_dates[m]
                else:
                    day = month_first[m] + int(rand() * 28)
                    when = week_dates[day - weekday[day]] if precision == "week" else day_dates[day]
            start, end, date_text, date_record, date_item, end_day = when
            actor = s.actors[bisect(r.actor_cum, rand() * r.actor_cum[-1])] if rand() < 0.93 else None
            size: int | None = sizes[i]
            size_min = None
            u = rand()
            if u < 0.05:
                size, size_min = None, 24  # "dozens"
            elif u < 0.09:
                size, size_min = None, 11  # "more than 10"
            elif u < 0.15:
                size = None
            armed = None
            if actor == "soldier":
                v = rand()
                armed = True if v < 0.35 else (False if v < 0.45 else None)
            crossing = s.crossings[0] if len(s.crossings) == 1 else s.crossings[int(rand() * len(s.crossings))]
            key = (route_id, size, size_min, actor, armed, outcomes[i], crossing)
            shape = shapes.get(key)
            if shape is None:
                shape = shapes[key] = _shape(s, size, size_min, actor, armed, outcomes[i], crossing)
            summary, title, shape_record, summary_record, sentence, items, texts = shape
            if r.places and rand() >= s.no_coords:
                name, kind, country, lats, lons, geo_precision, place_head = r.places[int(rand() * len(r.places))]
                lat, lat_json = lats[int(rand() * len(lats))]
                lon, lon_json = lons[int(rand() * len(lons))]
                location = f'{place_head}{lat_json},"lon":{lon_json}}}'
                geo_json = f'"{geo_precision}"'
                at = len(sentence) + 6
                sentence = f"{sentence} near {name}"
                items = [*items, (_span("location", name), at, at + len(name))]
                texts = f"{texts} {name}"
            elif s.destination and rand() < 0.5:
                location = r.destination_json
                name, kind, country, lat, lon, geo_precision = (
                    r.destination_name,
                    "country",
                    s.destination,
                    "",
                    "",
                    "country",
                )
                geo_json = '"country"'
            else:
                location = "null"
                name = kind = country = lat = lon = geo_precision = ""
                geo_json = "null"
            if date_item is not None:
                at = len(sentence) + 1
                sentence = f"{sentence} {date_text}"
                items = [*items, (date_item, at, at + len(date_text))]
                texts = f"{texts} {date_text}"
            transit_json = r.transit_json if s.transit and rand() < 0.7 else "[]"
            confidence, confidence_json = CONFIDENCES[int(rand() * len(CONFIDENCES))]
            created = now - int(rand() * 86400 * 700)
            updated = created + int(rand() * 86400 * 30)
            if location == "null":
                places = "[]"
            elif rand() < 0.3 and s.destination:
                places = f"[{location},{r.destination_json}]"
            else:
                places = f"[{location}]"
            incident_id = first_id + i
            incidents.append(
                (
                    incident_id, start, end, precision or "", date_text, s.origin or "", s.destination or "",
                    transit_json, crossing or "", s.method or "", size or "", size_min or "", actor or "",
                    "" if armed is None else int(armed), outcomes[i], name, kind, country, lat, lon, geo_precision,
                    places, summary, confidence, counts[i], stamp_day[created // 86400] + stamp_time[created % 86400],
                    stamp_day[updated // 86400] + stamp_time[updated % 86400],
                )
            )  # fmt: skip
            record = (
                f'{{{date_record},{r.record_route}"transit_countries":{transit_json},{shape_record}"location":'
                f'{location},"geo_precision":{geo_json},"places":{places},{summary_record}"confidence":{confidence_json}}}'
            )
            facts.append((incident_id, record, sentence + ". ", items, end_day, title, texts, confidence))
            docs.append(summary)
        articles, reports = self._articles(task, groups, facts, docs)
        search = [(first_id + k, doc) for k, doc in enumerate(docs)]
        return Rows(incidents, articles, reports, search)

    def _articles(
        self, task: Task, groups: list[list[int]], facts: list[Any], docs: list[str]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The chunk's articles and reports: each article tells its incidents one after the other, each report
        carries its incident's record and evidence spans that point into its article's text."""
        rng = random.Random(f"{self.seed}/{task.index}/articles")
        rand = rng.random
        t = self.t
        iso, stamp_day, stamp_time, now = t.iso, t.stamp_day, t.stamp_time, t.now
        filler, datelines, urls, start, end = self.filler, self.datelines, self.urls, START, END
        n_filler, n_datelines, n_sources = len(filler), len(datelines), len(SOURCES)
        articles: list[tuple[Any, ...]] = []
        reports: list[tuple[Any, ...]] = []
        article_id = task.first_article
        report_id = task.first_report
        first_id = task.first_incident
        for group in groups:
            source = int(rand() * n_sources)
            parts = [datelines[int(rand() * n_datelines)]]
            length = len(parts[0])
            first = facts[group[0]]
            title = first[5]
            tail = f',"rule":"synthetic","article_id":{article_id}}}'
            for ordinal, slot in enumerate(group):
                incident_id, record, sentence, items, _end, _title, texts, confidence = facts[slot]
                evidence = ",".join([f"{head}{start[length + a]}{end[length + b]}{tail}" for head, a, b in items])
                line = filler[int(rand() * n_filler)]
                parts.append(sentence)
                parts.append(line)
                length += len(sentence) + len(line)
                created = now - int(rand() * 86400 * 700)
                reports.append(
                    (report_id, article_id, incident_id, ordinal, record, f"[{evidence}]", confidence,
                     stamp_day[created // 86400] + stamp_time[created % 86400])
                )  # fmt: skip
                report_id += 1
                docs[incident_id - first_id] += f" {title} {texts}"
            parts.append(f"(Report {article_id}.)")
            text = "".join(parts)
            end_day = first[4]
            published = iso[end_day + int(rand() * 20)] if end_day >= 0 and rand() < 0.95 else ""
            ingested = now - int(rand() * 86400 * 700)
            stamp = stamp_day[ingested // 86400] + stamp_time[ingested % 86400]
            # The text is already whitespace-normalised (single spaces, NFC), so this is the service's content_hash.
            articles.append(
                (article_id, f"syn-{article_id}", f"{urls[source]}{article_id}", title, SOURCES[source], published,
                 text, sha256(text.encode()).hexdigest(), stamp, stamp)
            )  # fmt: skip
            article_id += 1
        return articles, reports


# The rows hold '' for NULL: binding '' and NULLIF costs a fraction of binding None in the sqlite3 module.
_NULLABLE = {
    "date_start", "date_end", "date_precision", "date_text", "origin_country", "destination_country", "crossing",
    "method", "group_size", "group_size_min", "actor", "armed", "location_name", "location_kind", "location_country",
    "lat", "lon", "geo_precision",
}  # fmt: skip
_INCIDENT_COLUMNS = (
    "id", "date_start", "date_end", "date_precision", "date_text", "origin_country", "destination_country",
    "transit_countries", "crossing", "method", "group_size", "group_size_min", "actor", "armed", "outcome",
    "location_name", "location_kind", "location_country", "lat", "lon", "geo_precision", "places", "summary",
    "confidence", "source_count", "created_at", "updated_at",
)  # fmt: skip
INCIDENT_INSERT = (
    f"INSERT INTO incident ({', '.join(_INCIDENT_COLUMNS)}, group_size_max, curated_fields) VALUES ("
    + ", ".join("NULLIF(?, '')" if c in _NULLABLE else "?" for c in _INCIDENT_COLUMNS)
    + ", NULL, '[]')"
)
ARTICLE_INSERT = (
    "INSERT INTO article (id, external_id, url, title, source, published, text, content_hash, ingested_at,"
    f" updated_at, extractor_version) VALUES (?, ?, ?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, '{EXTRACTOR_VERSION}')"
)
REPORT_INSERT = (
    "INSERT INTO report (id, article_id, incident_id, ordinal, record, evidence, confidence, created_at,"
    f" extractor_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{EXTRACTOR_VERSION}')"
)
TABLES = ("incident", "article", "report")
# In a chunk's image: the content hash of each article of the chunk's copies, by the copy's article id.
COPY_HASH_TABLE = "CREATE TABLE copy_hash (id INTEGER PRIMARY KEY, content_hash TEXT NOT NULL)"
# A drawn chunk, from its image (attached as `chunk`) into the database.
COPY = (
    "INSERT INTO main.incident SELECT * FROM chunk.incident",
    "INSERT INTO main.article SELECT * FROM chunk.article",
    "INSERT INTO main.report SELECT * FROM chunk.report",
)
# A copy of the drawn chunk attached, with new ids (`:di`, `:da`, `:dr` added to incident, article and report ids):
# new article external ids, URLs, texts ("(Report N.)") and content hashes, evidence pointing at the new articles;
# the values of the incidents, their reports and articles are the drawn ones'.
REPLAY = (
    "INSERT INTO main.incident SELECT id + :di, {incident_columns} FROM chunk.incident",
    "INSERT INTO main.article (id, external_id, url, title, source, published, text, content_hash, extractor_version,"
    " ingested_at, updated_at) SELECT id + :da, 'syn-' || (id + :da), substr(url, 1, length(url) - length(id))"
    " || (id + :da), title, source, published, substr(text, 1, length(text) - length(id) - 2) || (id + :da) || '.)',"
    " (SELECT h.content_hash FROM chunk.copy_hash AS h WHERE h.id = a.id + :da), extractor_version, ingested_at,"
    " updated_at FROM chunk.article AS a",
    "INSERT INTO main.report (id, article_id, incident_id, ordinal, record, evidence, confidence, extractor_version,"
    " created_at) SELECT id + :dr, article_id + :da, incident_id + :di, ordinal, record, replace(evidence,"
    """ ',"article_id":' || article_id || '}', ',"article_id":' || (article_id + :da) || '}'), confidence,"""
    " extractor_version, created_at FROM chunk.report",
)
# The full-text documents, in each producer's scratch file: what the triggers of migration 0002 write.
DOCUMENT_TABLES = (
    "CREATE TABLE incident_document (id INTEGER PRIMARY KEY, document TEXT NOT NULL)",
    "CREATE TABLE article_document (id INTEGER PRIMARY KEY, title TEXT, text TEXT NOT NULL)",
)
# Each full-text table, filled chunk by chunk from the documents of the chunk's producer (`docs{k}`): a drawn
# chunk's documents, or those of a copy (ids shifted by ?1, article texts ending with their own id).
FTS_FILL = {
    "incident_search": "INSERT INTO incident_search (rowid, document) SELECT id + ?1, document"
    " FROM docs{k}.incident_document WHERE id BETWEEN ?2 AND ?3",
    "article_search": "INSERT INTO article_search (rowid, title, text) SELECT id + ?1, title,"
    " iif(?1, substr(text, 1, length(text) - length(id) - 2) || (id + ?1) || '.)', text)"
    " FROM docs{k}.article_document WHERE id BETWEEN ?2 AND ?3",
}
REPLAYS = 2  # copies put in after each drawn chunk, past the first DRAWN_FIRST incidents
DRAWN_FIRST = 50_000  # incidents drawn, all of them, before any copy
SLOTS = 2  # chunks a producer can have drawn and not yet copied in: its slots in shared memory
SLOT_BYTES = CHUNK * 8192  # an image takes about 3.5 KB per incident


def _bulk_pragmas(conn: sqlite3.Connection, schema: str = "main") -> None:
    # A file built from scratch by one connection: no rollback journal, no syncs; WAL is put back at the end.
    for pragma in (
        "journal_mode=OFF",
        "synchronous=OFF",
        "cache_size=-400000",
        "locking_mode=EXCLUSIVE",
    ):
        conn.execute(f"PRAGMA {schema}.{pragma}")
    conn.execute("PRAGMA temp_store=MEMORY")


@dataclass(frozen=True, slots=True)
class Task:
    """One chunk: incidents first_incident.., articles first_article.., reports first_report... A drawn chunk is
    the `sequence`-th a producer draws, followed by `copies` copies; a copy names its drawn chunk (`source`)."""

    index: int
    incidents: int
    first_incident: int
    first_article: int
    first_report: int
    source: Task | None = None
    sequence: int = -1
    copies: int = 0


def _image(table_sql: Sequence[str], rows: Rows, copy_hashes: list[tuple[int, str]]) -> bytes:
    """The rows as a serialised SQLite database with the tables' own SQL: built in memory (memdb keeps it in one
    buffer, so serialising it is one copy; large pages, fewer of them)."""
    mem = sqlite3.connect("file:chunk?vfs=memdb", uri=True, isolation_level=None)
    try:
        mem.execute("PRAGMA page_size=65536")
        for sql in (*table_sql, COPY_HASH_TABLE):
            mem.execute(sql)
        mem.execute("BEGIN")
        mem.executemany(INCIDENT_INSERT, rows.incidents)
        mem.executemany(ARTICLE_INSERT, rows.articles)
        mem.executemany(REPORT_INSERT, rows.reports)
        mem.executemany("INSERT INTO copy_hash VALUES (?, ?)", copy_hashes)
        mem.execute("COMMIT")
        return mem.serialize()
    finally:
        mem.close()


def _slot(sequence: int, producers: int) -> int:
    """Offset, in its producer's shared memory, of the slot the `sequence`-th drawn chunk travels in."""
    return (sequence // producers) % SLOTS * SLOT_BYTES


def _buffer(shm: SharedMemory) -> memoryview:
    assert shm.buf is not None
    return shm.buf


def _produce(conn: Connection, seed: int, table_sql: list[str], shm: SharedMemory, producers: int, docs: str) -> None:
    """A producer process. Draws the chunks it is asked for; puts each image in its next slot of `shm` (one the
    writer has copied out: it asks for a chunk only once the slot's previous chunk is in), sends its size back and
    keeps the full-text documents of the chunk and of its copies in its scratch file `docs`. Then, when asked, fills
    a full-text table from every producer's documents in a file of its own and sends how long that took."""
    gc.disable()  # millions of tuples, no cycles: the collector would walk them again and again
    gen = Generator(seed)
    out = sqlite3.connect(docs, isolation_level=None)
    _bulk_pragmas(out)
    for sql in DOCUMENT_TABLES:
        out.execute(sql)
    out.execute("BEGIN")
    while (task := conn.recv()) is not None:
        if isinstance(task, Task):
            rows = gen.rows(task)
            hashes = [
                (
                    article[0] + da,
                    sha256(f"{article[6][: -len(str(article[0])) - 2]}{article[0] + da}.)".encode()).hexdigest(),
                )
                for da in range(len(rows.articles), (task.copies + 1) * len(rows.articles), len(rows.articles))
                for article in rows.articles
            ]  # the content hash of each article of the copies: the text ends "(Report <its own id>.)"
            image = _image(table_sql, rows, hashes)
            if len(image) > SLOT_BYTES:  # never seen; the pipe can take it
                conn.send((task.index, len(image), image))
            else:
                offset = _slot(task.sequence, producers)
                _buffer(shm)[offset : offset + len(image)] = image
                conn.send((task.index, len(image), None))
            out.executemany("INSERT INTO incident_document VALUES (?, ?)", rows.search)
            out.executemany(
                "INSERT INTO article_document VALUES (?, ?, ?)", [(a[0], a[3], a[6]) for a in rows.articles]
            )
        elif task == "finish":
            out.execute("COMMIT")
            out.close()
            conn.send("finished")
        else:
            started = time.perf_counter()
            name, create_sql, path, sources, ranges = task
            fts = sqlite3.connect(path, isolation_level=None)
            try:
                _bulk_pragmas(fts)
                for k, source in enumerate(sources):
                    fts.execute(f"ATTACH DATABASE ? AS docs{k}", (source,))
                fts.execute("BEGIN")
                fts.execute(create_sql)
                for k, low, high, delta in ranges[name]:  # in rowid order
                    fts.execute(FTS_FILL[name].format(k=k), (delta, low, high))
                fts.execute("COMMIT")
            finally:
                fts.close()
            conn.send(time.perf_counter() - started)


def generate(
    db: Path | str,
    incidents: int,
    *,
    seed: int = 20261125,
    quiet: bool = False,
    producers: int | None = None,
    replays: int = REPLAYS,
) -> Stats:
    """Create `db` (replacing it) with the project's migrations and fill it with `incidents` incidents.

    The incidents come in chunks of CHUNK. Producer processes (one per core, at least two) draw chunks with their
    articles and reports and hand each over as a small SQLite image of the same tables (in shared memory); this
    process copies the image in with `INSERT ... SELECT` (secondary indexes and triggers set aside), then puts in
    `replays` copies of it with ids of their own (and article texts, URLs and hashes of their own). Then it builds
    the indexes while the producers fill the two full-text tables from the documents they kept, each in a scratch
    file, whose shadow tables are copied in as they are.
    """
    from app.core import migrate
    from app.core.db import dispose_engines

    path = Path(db)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    migrate.upgrade(f"sqlite:///{path}")
    dispose_engines()

    stats = Stats(incidents=incidents, producers=producers or max(2, min(os.cpu_count() or 2, 4)), replays=replays)
    schema = sqlite3.connect(path, isolation_level=None)
    try:

        def sql_of(name: str) -> str:
            return str(schema.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0])

        table_sql = [sql_of(name) for name in TABLES]
        fts_sql = {name: sql_of(name) for name in FTS_FILL}
        shadow = {
            name: [row[0] for row in schema.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB ? ORDER BY name", (f"{name}_*",)
            )]
            for name in FTS_FILL
        }  # fmt: skip
        # Set aside the secondary indexes and the triggers; their exact SQL comes back after the load.
        saved = schema.execute(
            f"SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"
            f" AND tbl_name IN ({','.join('?' * len(TABLES))})",
            TABLES,
        ).fetchall()
        incident_columns = ", ".join(
            row[1] for row in schema.execute("SELECT * FROM pragma_table_info('incident')") if row[1] != "id"
        )
    finally:
        schema.close()

    scratch = tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent)
    docs = [os.path.join(scratch, f"documents-{k}.db") for k in range(stats.producers)]
    fts_files = {name: os.path.join(scratch, f"{name}.db") for name in FTS_FILL}
    context = multiprocessing.get_context("fork")  # the producers share the slots' memory and the code as it is
    pipes: list[Connection] = []
    workers: list[BaseProcess] = []
    memories: list[SharedMemory] = []
    conn: sqlite3.Connection | None = None
    collecting = gc.isenabled()
    gc.disable()  # the plans are many small lists; nothing here makes cycles
    try:
        load_started = time.perf_counter()
        for k in range(stats.producers):
            ours, theirs = context.Pipe()
            memories.append(SharedMemory(create=True, size=SLOTS * SLOT_BYTES))
            worker: BaseProcess = context.Process(
                target=_produce, args=(theirs, seed, table_sql, memories[k], stats.producers, docs[k]),
                name=f"datagen-producer-{k}", daemon=True,
            )  # fmt: skip
            worker.start()
            theirs.close()
            pipes.append(ours)
            workers.append(worker)

        def receive(k: int) -> Any:
            try:
                return pipes[k].recv()
            except EOFError:
                codes = [w.exitcode for w in workers]
                raise RuntimeError(f"datagen: a producer process stopped (exit codes {codes})") from None

        # Every chunk's ids, from the plans of the drawn ones. Past the first DRAWN_FIRST incidents, of every
        # `replays + 1` chunks the first is drawn and the others are its copies (a short last chunk is drawn). The
        # producers take the drawn chunks in turn.
        first_copies = -(-DRAWN_FIRST // CHUNK)  # the first chunk that can be a copy
        tasks: list[Task] = []
        drawn: list[Task] = []
        first_article = first_report = 1
        chunk_articles = chunk_reports = 0
        for index, first in enumerate(range(1, incidents + 1, CHUNK)):
            n = min(CHUNK, incidents + 1 - first)
            if index > first_copies and (index - first_copies) % (replays + 1) and n == drawn[-1].incidents:
                source = drawn[-1] = replace(drawn[-1], copies=drawn[-1].copies + 1)
                tasks[source.index] = source
                tasks.append(Task(index, n, first, first_article, first_report, source))
            else:
                counts, groups = _plan(seed, index, n)
                chunk_articles, chunk_reports = len(groups), sum(counts)
                drawn.append(Task(index, n, first, first_article, first_report, sequence=len(drawn)))
                tasks.append(drawn[-1])
            first_article += chunk_articles
            first_report += chunk_reports
        for task in tasks:  # the copies name their drawn chunk as it is now, with its number of copies
            if task.source is not None:
                tasks[task.index] = replace(task, source=tasks[task.source.index])
        drawn = [task for task in tasks if task.source is None]
        for task in drawn[: SLOTS * stats.producers]:
            pipes[task.sequence % stats.producers].send(task)
        stats.drawn = sum(task.incidents for task in drawn)

        conn = sqlite3.connect(path, isolation_level=None)
        _bulk_pragmas(conn)
        conn.execute("ATTACH DATABASE ':memory:' AS chunk")
        conn.execute("BEGIN")
        for kind, name, _sql in saved:
            conn.execute(f'DROP {kind.upper()} "{name}"')
        conn.execute("COMMIT")
        replay_sql = [sql.replace("{incident_columns}", incident_columns) for sql in REPLAY]
        copies: dict[int, list[Task]] = {task.index: [] for task in drawn}
        for task in tasks:
            if task.source is not None:
                copies[task.source.index].append(task)
        for task in drawn:  # each drawn chunk, then its copies, in one transaction
            k = task.sequence % stats.producers
            done, size, image = receive(k)
            if done != task.index:
                raise RuntimeError(f"datagen: chunk {done} came back for chunk {task.index}")
            if image is None:  # an image goes in outside a transaction
                offset = _slot(task.sequence, stats.producers)
                with _buffer(memories[k])[offset : offset + size] as view:
                    conn.deserialize(view, name="chunk")
            else:
                conn.deserialize(image, name="chunk")
            if task.sequence + SLOTS * stats.producers < len(drawn):
                pipes[k].send(drawn[task.sequence + SLOTS * stats.producers])  # the slot is free again
            conn.execute("BEGIN")
            for sql in COPY:
                conn.execute(sql)
            for copy in copies[task.index]:
                params = {
                    "di": copy.first_incident - task.first_incident,
                    "da": copy.first_article - task.first_article,
                    "dr": copy.first_report - task.first_report,
                }
                for sql in replay_sql:
                    conn.execute(sql, params)
            conn.execute("COMMIT")
        conn.execute("DETACH DATABASE chunk")
        for pipe in pipes:
            pipe.send("finish")
        for k in range(stats.producers):
            receive(k)
        stats.insert_s = time.perf_counter() - load_started

        t = time.perf_counter()
        # Per full-text table, chunk by chunk: (documents of producer k, first id, last id, shift of the ids).
        ranges: dict[str, list[tuple[int, int, int, int]]] = {name: [] for name in FTS_FILL}
        ends = [*(task.first_article for task in tasks[1:]), first_article]
        for task, end in zip(tasks, ends, strict=True):
            drawn_task = task.source or task
            k = drawn_task.sequence % stats.producers
            low = drawn_task.first_incident
            ranges["incident_search"].append((k, low, low + task.incidents - 1, task.first_incident - low))
            low = drawn_task.first_article
            ranges["article_search"].append((k, low, low + end - task.first_article - 1, task.first_article - low))
        builders = {name: k % stats.producers for k, name in enumerate(FTS_FILL)}
        for name, k in builders.items():
            pipes[k].send((name, fts_sql[name], fts_files[name], docs, ranges))
        conn.execute("BEGIN")
        for kind, _name, sql in saved:
            if kind == "index":
                conn.execute(sql)
        conn.execute("COMMIT")
        stats.index_s = time.perf_counter() - t

        t = time.perf_counter()
        for k in builders.values():
            stats.fts_build_s = max(stats.fts_build_s, receive(k))
        for pipe in pipes:
            pipe.send(None)
        # The full-text tables as the producers filled them (same SQL, same documents), shadow table by shadow table.
        for name, file in fts_files.items():
            conn.execute("ATTACH DATABASE ? AS fts", (file,))
            conn.execute("BEGIN")
            for table in shadow[name]:
                conn.execute(f'DELETE FROM main."{table}"')
                conn.execute(f'INSERT INTO main."{table}" SELECT * FROM fts."{table}"')
            conn.execute("COMMIT")
            conn.execute("DETACH DATABASE fts")
        conn.execute("BEGIN")
        for kind, _name, sql in saved:
            if kind == "trigger":
                conn.execute(sql)
        conn.execute("COMMIT")
        stats.fts_s = time.perf_counter() - t
        stats.load_s = time.perf_counter() - load_started
        stats.articles = conn.execute("SELECT count(*) FROM article").fetchone()[0]
        stats.reports = conn.execute("SELECT count(*) FROM report").fetchone()[0]
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        if conn is not None:
            conn.close()
        for pipe in pipes:
            pipe.close()
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
                worker.join()
        for memory in memories:
            memory.close()
            memory.unlink()
        shutil.rmtree(scratch, ignore_errors=True)
        if collecting:
            gc.enable()
    stats.total_s = time.perf_counter() - started
    if not quiet:
        report(stats)
    return stats


def report(stats: Stats) -> None:
    print(
        f"datagen: {stats.incidents:,} incidents ({stats.drawn:,} drawn, {stats.incidents - stats.drawn:,} copies of "
        f"drawn ones with ids of their own), {stats.reports:,} reports, {stats.articles:,} articles, "
        f"{stats.producers} producer processes; "
        f"rows {stats.insert_s:.1f} s, indexes {stats.index_s:.1f} s, full-text {stats.fts_s:.1f} s more (built in "
        f"{stats.fts_build_s:.1f} s beside the indexes); {stats.load_s:.1f} s end to end, {stats.total_s:.1f} s with "
        f"migrations\n"
        f"datagen: {stats.incidents / stats.insert_s:,.0f} incidents/s inserted (rows), "
        f"{stats.incidents / stats.load_s:,.0f} incidents/s end to end with indexes and full-text "
        f"(target >= 50,000)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, required=True, help="number of incidents")
    parser.add_argument("--db", type=Path, required=True, help="SQLite file to create (replaced if it exists)")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--producers", type=int, default=None, help="producer processes (default: cores, 2-4)")
    parser.add_argument(
        "--replays", type=int, default=REPLAYS, help=f"copies put in after each drawn chunk (default {REPLAYS})"
    )
    args = parser.parse_args(argv)
    if args.incidents < 1:
        parser.error("--incidents must be at least 1")
    if args.replays < 0 or (args.producers is not None and args.producers < 1):
        parser.error("--replays must be at least 0 and --producers at least 1")
    generate(args.db, args.incidents, seed=args.seed, producers=args.producers, replays=args.replays)
    return 0


if __name__ == "__main__":
    sys.exit(main())
