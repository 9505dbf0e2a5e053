"""Synthetic data for the benchmarks: fills the project's own database with N incidents, their reports and the
articles that reported them, through a bulk path.

    python tests/benchmarks/datagen.py --incidents 1000000 --db /tmp/bench/incidents-1m.db

The schema is made by the project's migrations (`app.core.migrate.upgrade`), then filled with raw `executemany`
in large transactions: the secondary indexes and the full-text triggers of migration 0002 are set aside during
the load and put back exactly as they were (their SQL is read from `sqlite_master`), and the two FTS5 indexes are
filled the way the triggers would have filled them (`incident_search`: summary, then per report the article title
and its evidence texts; `article_search`: FTS5 `rebuild` of the external-content index).

The mix resembles real data: dates 1950-2026 skewed towards recent years with the spec's precisions (a few
undated), origins mostly PRK with some CUB/ERI/RUS/CHN, destinations per origin (CHN/KOR for most), methods,
crossings, actors and outcomes from the spec's vocabulary, group sizes mostly 1-10 (some vague bounds only),
coordinates along the Yalu, Tumen, DMZ and NLL for most and none for some, generated summaries, and 1-3 reports per
incident from as many distinct articles (source_count agrees), each report carrying its own record and evidence
spans that point into its article's text. Seeded, so the same N gives the same database.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EXTRACTOR_VERSION = "synthetic-1"
CHUNK = 20_000

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


def _cum(weights: Sequence[float]) -> list[float]:
    return list(accumulate(weights))


def _window(rng: random.Random, year: int, precision: str | None) -> tuple[date | None, date | None, str | None]:
    """(date_start, date_end, date_text) for a precision."""
    if precision is None:
        return None, None, None
    if precision == "year":
        return date(year, 1, 1), date(year, 12, 31), f"in {year}"
    month = rng.randint(1, 12 if year < 2026 else 10)
    if precision == "month":
        last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
        return date(year, month, 1), date(year, month, last), f"in {MONTHS[month - 1]} {year}"
    day = date(year, month, rng.randint(1, 28))
    if precision == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6), f"in the week of {MONTHS[monday.month - 1]} {monday.day}"
    return day, day, f"on {WEEKDAYS[day.weekday()]}, {MONTHS[day.month - 1]} {day.day}"


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _stamp(value: datetime) -> str:
    # SQLAlchemy's SQLite DateTime storage format, as the service writes it.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(slots=True)
class Stats:
    incidents: int = 0
    reports: int = 0
    articles: int = 0
    insert_s: float = 0.0
    index_s: float = 0.0
    fts_s: float = 0.0
    total_s: float = 0.0


class Generator:
    """Builds rows chunk by chunk (ids are assigned here, 1..N in order)."""

    def __init__(self, seed: int = 20261125) -> None:
        self.rng = random.Random(seed)
        self.scenarios = [s for _, s in SCENARIOS]
        self.scenario_cum = _cum([w for w, _ in SCENARIOS])
        self.year_cum = _cum(YEAR_WEIGHTS)
        self.precision_cum = _cum(PRECISION_WEIGHTS)
        self.size_cum = _cum(SIZE_WEIGHTS)
        self.outcome_cum = _cum(OUTCOME_WEIGHTS)
        self.next_incident = 1
        self.next_article = 1
        self.next_report = 1

    def chunk(self, n: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], list]:
        """(incident rows, article rows, report rows, incident_search rows) for the next n incidents."""
        rng = self.rng
        rand = rng.random
        scen = rng.choices(self.scenarios, cum_weights=self.scenario_cum, k=n)
        years = rng.choices(YEARS, cum_weights=self.year_cum, k=n)
        precisions = rng.choices(PRECISIONS, cum_weights=self.precision_cum, k=n)
        sizes = rng.choices(SIZES, cum_weights=self.size_cum, k=n)
        outcomes = rng.choices(OUTCOMES, cum_weights=self.outcome_cum, k=n)
        incidents: list[tuple[Any, ...]] = []
        # Per incident, what its reports and the articles need: (id, record json, sentence parts, date_end, ...).
        facts: list[tuple[int, dict[str, Any], str, date | None, str]] = []
        slots: list[int] = []  # one entry per report: index into facts
        for i in range(n):
            s = scen[i]
            incident_id = self.next_incident
            self.next_incident += 1
            start, end, date_text = _window(rng, years[i], precisions[i])
            precision = precisions[i]
            actor = rng.choices(s.actors, weights=s.actor_weights)[0] if rand() < 0.93 else None
            size: int | None = sizes[i]
            size_min = size_max = None
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
            crossing = s.crossings[0] if len(s.crossings) == 1 else rng.choice(s.crossings)
            location = None
            lat = lon = None
            geo_precision = None
            if s.places and rand() >= s.no_coords:
                name, kind, country, plat, plon, geo_precision, jitter = rng.choice(s.places)
                lat = round(plat + (rand() - 0.5) * jitter, 4)
                lon = round(plon + (rand() - 0.5) * jitter, 4)
                location = {"name": name, "kind": kind, "country": country, "lat": lat, "lon": lon}
            elif s.destination and rand() < 0.5:
                location = {"name": COUNTRY[s.destination][0], "kind": "country", "country": s.destination,
                            "lat": None, "lon": None}  # fmt: skip
                geo_precision = "country"
            transit = list(s.transit) if s.transit and rand() < 0.7 else []
            outcome = outcomes[i]
            people = (
                str(size) if size is not None else ({24: "dozens of", 11: "more than 10"}.get(size_min or 0, "some"))
            )
            who = PLURAL[actor] if actor else "people"
            if size == 1 and actor:
                who = actor
            verb = (OUTCOME_VERB_ONE if size == 1 else OUTCOME_VERB)[outcome]
            summary = f"{people} {'armed ' if armed else ''}{who} {verb}"
            if crossing:
                summary += f" the {crossing}"
            if s.origin:
                summary += f" from {COUNTRY[s.origin][0]}"
            if s.destination:
                summary += f" to {COUNTRY[s.destination][0]}"
            confidence = round(0.35 + rand() * 0.64, 3)
            reports = 1 if (u := rand()) < 0.7 else (2 if u < 0.92 else 3)
            created = NOW - timedelta(seconds=int(rand() * 86400 * 700))
            updated = created + timedelta(seconds=int(rand() * 86400 * 30))
            places = [location] if location is not None else []
            if location is not None and rand() < 0.3 and s.destination:
                places.append({"name": COUNTRY[s.destination][0], "kind": "country", "country": s.destination,
                               "lat": None, "lon": None})  # fmt: skip
            incidents.append(
                (
                    incident_id, _iso(start), _iso(end), precision, date_text, s.origin, s.destination,
                    orjson.dumps(transit).decode(), crossing, s.method, size, size_min, size_max, actor,
                    None if armed is None else int(armed), outcome,
                    location["name"] if location else None, location["kind"] if location else None,
                    location["country"] if location else None, lat, lon, geo_precision,
                    orjson.dumps(places).decode(), summary, confidence, reports, "[]", _stamp(created),
                    _stamp(updated),
                )
            )  # fmt: skip
            record = {
                "date_start": _iso(start), "date_end": _iso(end), "date_precision": precision,
                "date_text": date_text, "origin_country": s.origin, "destination_country": s.destination,
                "transit_countries": transit, "crossing": crossing, "method": s.method, "group_size": size,
                "group_size_min": size_min, "group_size_max": size_max, "actor": actor, "armed": armed,
                "outcome": outcome, "location": location, "geo_precision": geo_precision, "places": places,
                "summary": summary, "confidence": confidence,
            }  # fmt: skip
            sentence_who = (
                (f"A {COUNTRY[s.origin][1]} {actor}" if actor else f"A {COUNTRY[s.origin][1]} citizen")
                if size == 1 and s.origin
                else f"{NUMBER[size] if size is not None and size <= 10 else people} {who}"
            )
            facts.append((incident_id, record, sentence_who, end, verb))
            slots.extend([len(facts) - 1] * reports)
        return incidents, *self._articles(facts, slots)

    def _articles(self, facts: list, slots: list[int]) -> tuple[list, list, list]:
        """Deal the chunk's report slots out to articles of 1-3 incidents (never one incident twice per article)."""
        rng = self.rng
        rand = rng.random
        rng.shuffle(slots)
        articles: list[tuple[Any, ...]] = []
        reports: list[tuple[Any, ...]] = []
        docs: dict[int, list[str]] = {}
        position = 0
        total = len(slots)
        while position < total:
            want = 1 if (u := rand()) < 0.6 else (2 if u < 0.88 else 3)
            group: list[int] = []
            while position < total and len(group) < want:
                slot = slots[position]
                if slot in group:
                    break  # the same incident twice: end this article here, the slot opens the next one
                group.append(slot)
                position += 1
            article_id = self.next_article
            self.next_article += 1
            source = rng.choice(SOURCES)
            dateline = rng.choice(("SEOUL", "BEIJING", "TOKYO", "DANDONG", "YANJI", "HAVANA", "ASMARA", "MOSCOW"))
            parts: list[str] = [f"{dateline} — "]
            length = len(parts[0])
            first_end: date | None = None
            title = ""
            for ordinal, slot in enumerate(group):
                incident_id, record, who, end, verb = facts[slot]
                evidence: list[dict[str, Any]] = []
                pieces: list[tuple[str, str | None]] = [
                    (who[0].upper() + who[1:], "group_size"),
                    (" ", None),
                ]
                if record["origin_country"]:
                    pieces += [("from ", None), (COUNTRY[record["origin_country"]][0], "origin_country"), (" ", None)]
                pieces.append((verb, "outcome"))
                if record["crossing"]:
                    pieces += [(" the ", None), (record["crossing"], "crossing")]
                if record["destination_country"]:
                    pieces += [(" into ", None), (COUNTRY[record["destination_country"]][0], "destination_country")]
                if record["location"] and record["location"]["kind"] != "country":
                    pieces += [(" near ", None), (record["location"]["name"], "location")]
                if record["date_text"]:
                    pieces += [(" ", None), (record["date_text"], "date")]
                pieces.append((". ", None))
                for text, name in pieces:
                    if name is not None:
                        evidence.append(
                            {"field": name, "text": text, "start": length, "end": length + len(text),
                             "rule": "synthetic", "article_id": article_id}
                        )  # fmt: skip
                    parts.append(text)
                    length += len(text)
                filler = FILLER[int(rand() * len(FILLER))] + " "
                parts.append(filler)
                length += len(filler)
                if ordinal == 0:
                    first_end = end
                    title = record["summary"][0].upper() + record["summary"][1:]
                reports.append(
                    (
                        self.next_report, article_id, incident_id, ordinal, orjson.dumps(record).decode(),
                        orjson.dumps(evidence).decode(), record["confidence"], EXTRACTOR_VERSION,
                        _stamp(NOW - timedelta(seconds=int(rand() * 86400 * 700))),
                    )
                )  # fmt: skip
                self.next_report += 1
                doc = docs.get(incident_id)
                if doc is None:
                    doc = docs[incident_id] = [record["summary"]]
                doc.append(title)
                doc.extend(item["text"] for item in evidence)
            parts.append(f"(Report {article_id}.)")
            text = "".join(parts)
            published = first_end + timedelta(days=int(rand() * 20)) if first_end and rand() < 0.95 else None
            stamp = _stamp(NOW - timedelta(seconds=int(rand() * 86400 * 700)))
            articles.append(
                (
                    article_id, f"syn-{article_id}", f"https://news.example.org/{source.lower().replace(' ', '-')}/"
                    f"{article_id}", title, source, _iso(published), text,
                    hashlib.sha256(" ".join(text.split()).encode()).hexdigest(), EXTRACTOR_VERSION, stamp, stamp,
                )
            )  # fmt: skip
        search = [(incident_id, " ".join(words)) for incident_id, words in docs.items()]
        return articles, reports, search


INCIDENT_INSERT = f"INSERT INTO incident VALUES ({','.join('?' * 29)})"
ARTICLE_INSERT = (
    "INSERT INTO article (id, external_id, url, title, source, published, text, content_hash, extractor_version,"
    " ingested_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)
REPORT_INSERT = (
    "INSERT INTO report (id, article_id, incident_id, ordinal, record, evidence, confidence, extractor_version,"
    " created_at) VALUES (?,?,?,?,?,?,?,?,?)"
)
SEARCH_INSERT = "INSERT INTO incident_search (rowid, document) VALUES (?, ?)"
TABLES = ("incident", "report", "article")
BLOCK = 50_000  # incidents made one by one in Python; the rest are copies of this block made inside SQLite

COPY_INCIDENTS = """
INSERT INTO incident
SELECT id + :off, date_start, date_end, date_precision, date_text, origin_country, destination_country,
       transit_countries, crossing, method, group_size, group_size_min, group_size_max, actor, armed, outcome,
       location_name, location_kind, location_country, lat, lon, geo_precision, places, summary, confidence,
       source_count, curated_fields, created_at, updated_at
FROM incident WHERE id <= :n
"""
COPY_REPORTS = """
INSERT INTO report (id, article_id, incident_id, ordinal, record, evidence, confidence, extractor_version, created_at)
SELECT id + :roff, article_id + :aoff, incident_id + :off, ordinal, record,
       replace(evidence, '"article_id":' || article_id || '}', '"article_id":' || (article_id + :aoff) || '}'),
       confidence, extractor_version, created_at
FROM report WHERE id <= :reports AND incident_id <= :n
"""
_SUFFIX = "'(Report ' || id || '.)'"
_NEW_TEXT = f"substr(text, 1, length(text) - length({_SUFFIX})) || '(Report ' || (id + :aoff) || '.)'"
COPY_ARTICLES = f"""
INSERT INTO article (id, external_id, url, title, source, published, text, content_hash, extractor_version,
                     ingested_at, updated_at)
SELECT id + :aoff, 'syn-' || (id + :aoff), substr(url, 1, length(url) - length(id)) || (id + :aoff), title, source,
       published, new_text, sha256_hex(new_text), extractor_version, ingested_at, updated_at
FROM (SELECT *, {_NEW_TEXT} AS new_text FROM article WHERE id <= :articles)
"""
COPY_SEARCH = (
    "INSERT INTO incident_search (rowid, document) SELECT rowid + :off, document FROM incident_search WHERE rowid <= :n"
)


def _sha256_hex(text: str) -> str:
    # The service's content_hash: SHA-256 of the whitespace-normalised text (these texts are already normalised).
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def generate(db: Path | str, incidents: int, *, seed: int = 20261125, quiet: bool = False) -> Stats:
    """Create `db` (replacing it) with the project's migrations and fill it with `incidents` incidents.

    The first BLOCK incidents (with their reports and articles) are drawn one by one; the rest are copies of that
    block made with INSERT ... SELECT inside SQLite: new ids, new article texts, URLs and hashes, evidence pointing
    at the new articles; the values (dates, routes, places, sizes, summaries) repeat every BLOCK ids, so the value
    mix of the whole table is the block's.
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

    stats = Stats()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function("sha256_hex", 1, _sha256_hex, deterministic=True)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-400000")
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("PRAGMA temp_store=MEMORY")
        # Set aside the secondary indexes and the FTS triggers; their exact SQL comes back after the load.
        marks = ",".join("?" * len(TABLES))
        saved = conn.execute(
            f"SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"
            f" AND tbl_name IN ({marks})",
            TABLES,
        ).fetchall()
        conn.execute("BEGIN")
        for kind, name, _sql in saved:
            conn.execute(f'DROP {kind.upper()} "{name}"')
        gen = Generator(seed)
        load_started = time.perf_counter()
        block = min(incidents, BLOCK)
        search_rows: list[tuple[int, str]] = []
        done = 0
        while done < block:
            n = min(CHUNK, block - done)
            rows, articles, reports, search = gen.chunk(n)
            conn.executemany(INCIDENT_INSERT, rows)
            conn.executemany(ARTICLE_INSERT, articles)
            conn.executemany(REPORT_INSERT, reports)
            search_rows.extend(search)
            done += n
        search_rows.sort()
        conn.executemany(SEARCH_INSERT, search_rows)
        del search_rows
        base_articles = gen.next_article - 1
        base_reports = gen.next_report - 1
        copy = 1
        while done < incidents:
            n = min(block, incidents - done)
            params = {
                "off": done,
                "n": n,
                "aoff": copy * base_articles,
                "articles": base_articles,
                "roff": copy * base_reports,
                "reports": base_reports,
            }
            conn.execute(COPY_INCIDENTS, params)
            conn.execute(COPY_ARTICLES, params)
            conn.execute(COPY_REPORTS, params)
            conn.execute(COPY_SEARCH, params)
            done += n
            copy += 1
        stats.incidents = done
        stats.insert_s = time.perf_counter() - load_started
        t = time.perf_counter()
        for kind, _name, sql in saved:
            if kind == "index":
                conn.execute(sql)
        stats.index_s = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("INSERT INTO article_search (article_search) VALUES ('rebuild')")
        for kind, _name, sql in saved:
            if kind == "trigger":
                conn.execute(sql)
        conn.execute("COMMIT")
        stats.fts_s = time.perf_counter() - t
        stats.articles = conn.execute("SELECT count(*) FROM article").fetchone()[0]
        stats.reports = conn.execute("SELECT count(*) FROM report").fetchone()[0]
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    stats.total_s = time.perf_counter() - started
    if not quiet:
        report(stats)
    return stats


def report(stats: Stats) -> None:
    load = stats.insert_s + stats.index_s + stats.fts_s
    print(
        f"datagen: {stats.incidents:,} incidents, {stats.reports:,} reports, {stats.articles:,} articles; "
        f"rows {stats.insert_s:.1f} s, indexes {stats.index_s:.1f} s, full-text {stats.fts_s:.1f} s, "
        f"total {stats.total_s:.1f} s with migrations\n"
        f"datagen: {stats.incidents / stats.insert_s:,.0f} incidents/s inserted (rows), "
        f"{stats.incidents / load:,.0f} incidents/s including indexes and full-text (target >= 50,000)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, required=True, help="number of incidents")
    parser.add_argument("--db", type=Path, required=True, help="SQLite file to create (replaced if it exists)")
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args(argv)
    if args.incidents < 1:
        parser.error("--incidents must be at least 1")
    generate(args.db, args.incidents, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
