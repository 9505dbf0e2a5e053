"""A small hand-made world of articles, incidents and reports whose query answers are known in advance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from app.core.db import write_session
from tests.factories import at, make_article, make_incident, make_report, span

HYESAN = {"name": "Hyesan", "kind": "city", "country": "PRK", "lat": 41.4017, "lon": 128.1775}

# name -> incident values. Inserted in this order, so ids are 1..10 on a fresh database.
INCIDENTS: dict[str, dict[str, Any]] = {
    "hyesan": {
        "date_start": date(2021, 3, 2),
        "date_end": date(2021, 3, 2),
        "date_precision": "day",
        "date_text": "on the night of March 2",
        "destination_country": "CHN",
        "crossing": "Yalu River",
        "method": "river",
        "actor": "soldier",
        "armed": True,
        "group_size": 6,
        "outcome": "crossed",
        "location": HYESAN,
        "geo_precision": "near",
        "confidence": 0.9,
        "summary": "6 armed soldiers crossed the Yalu River from North Korea to China",
    },
    "hyesan19": {
        "date_start": date(2019, 12, 1),
        "date_end": date(2019, 12, 31),
        "date_precision": "month",
        "destination_country": "CHN",
        "crossing": "Yalu River",
        "method": "river",
        "actor": "civilian",
        "group_size": 3,
        "outcome": "crossed",
        "location": HYESAN,
        "confidence": 0.55,
        "summary": "3 civilians crossed the Yalu River from North Korea to China",
    },
    "musan": {
        "date_start": date(2021, 6, 10),
        "date_end": date(2021, 6, 10),
        "date_precision": "day",
        "destination_country": "CHN",
        "crossing": "Tumen River",
        "method": "river",
        "actor": "soldier",
        "armed": True,
        "group_size": 2,
        "outcome": "caught",
        "location": {"name": "Musan", "kind": "county", "country": "PRK", "lat": 42.2317, "lon": 129.2067},
        "confidence": 0.6,
        "summary": "2 soldiers were caught at the Tumen River",
        "updated_at": at(2026, 6, 1),
    },
    "swim": {
        "date_start": date(2021, 11, 1),
        "date_end": date(2021, 11, 30),
        "date_precision": "month",
        "destination_country": "KOR",
        "method": "swim",
        "actor": "civilian",
        "armed": False,
        "group_size": 1,
        "outcome": "crossed",
        "location": {"name": "Goseong", "kind": "county", "country": "KOR", "lat": 38.38, "lon": 128.47},
        "confidence": 0.8,
        "summary": "A civilian swam from North Korea to South Korea",
    },
    "sokcho": {
        "date_start": date(2023, 5, 1),
        "date_end": date(2023, 5, 31),
        "date_precision": "month",
        "destination_country": "KOR",
        "crossing": "Northern Limit Line",
        "method": "sea",
        "actor": "civilian",
        "group_size_min": 5,
        "group_size_max": 9,
        "outcome": "crossed",
        "location": {"name": "Sokcho", "kind": "city", "country": "KOR", "lat": 38.207, "lon": 128.5918},
        "confidence": 0.7,
        "summary": "A family crossed the Northern Limit Line by boat",
    },
    "laos": {
        "destination_country": "KOR",
        "transit_countries": ["CHN", "LAO", "THA"],
        "method": "land",
        "actor": "civilian",
        "group_size": 9,
        "outcome": "repatriated",
        "confidence": 0.5,
        "summary": "Nine people were sent back from Laos",
    },
    "ningbo": {
        "date_start": date(2016, 4, 7),
        "date_end": date(2016, 4, 7),
        "date_precision": "day",
        "destination_country": "KOR",
        "transit_countries": ["CHN", "MYS"],
        "method": "abroad",
        "actor": "worker",
        "group_size": 13,
        "outcome": "crossed",
        "location": {"name": "Ningbo", "kind": "city", "country": "CHN", "lat": 29.87, "lon": 121.54},
        "confidence": 0.95,
        "summary": "13 restaurant workers left their restaurant in China",
    },
    "ganghwa": {
        "date_start": date(2020, 7, 18),
        "date_end": date(2020, 7, 18),
        "date_precision": "day",
        "origin_country": "KOR",
        "destination_country": "PRK",
        "method": "swim",
        "actor": "civilian",
        "outcome": "crossed",
        "location": {"name": "Ganghwa", "kind": "island", "country": "KOR", "lat": 37.70, "lon": 126.45},
        "confidence": 0.4,
        "summary": "A defector swam back to North Korea",
    },
    "tampa": {
        "date_start": date(2008, 7, 5),
        "date_end": date(2008, 7, 5),
        "date_precision": "day",
        "origin_country": "CUB",
        "destination_country": "USA",
        "method": "abroad",
        "actor": "athlete",
        "group_size": 7,
        "outcome": "crossed",
        "location": {"name": "Tampa", "kind": "city", "country": "USA", "lat": 27.95, "lon": -82.46},
        "confidence": 0.85,
        "summary": "7 Cuban footballers left their team in Tampa",
    },
    "bering": {
        "date_start": date(2022, 10, 4),
        "date_end": date(2022, 10, 4),
        "date_precision": "day",
        "origin_country": "RUS",
        "destination_country": "USA",
        "method": "sea",
        "actor": "civilian",
        "group_size": 2,
        "outcome": "crossed",
        "location": {"name": "St. Lawrence Island", "kind": "island", "country": "USA", "lat": 63.4, "lon": -170.3},
        "confidence": 0.45,
        "summary": "Two Russians reached St. Lawrence Island by boat",
    },
}

HYESAN_TEXT = (
    "Six North Korean border guards crossed the Yalu River near Hyesan with their rifles. "
    "In December 2019 three civilians also crossed the Yalu River there."
)

# name -> article values; `reports` lists (incident, [(field, span text, occurrence)]).
ARTICLES: dict[str, dict[str, Any]] = {
    "a_hyesan": {
        "title": "Six armed border guards flee across the Yalu into China",
        "source": "Border Desk",
        "published": date(2021, 3, 25),
        "text": HYESAN_TEXT,
        "reports": [
            ("hyesan", [("group_size", "Six", 0), ("crossing", "Yalu River", 0), ("armed", "with their rifles", 0)]),
            ("hyesan19", [("group_size", "three civilians", 0), ("crossing", "Yalu River", 1)]),
        ],
    },
    "a_rfa": {
        "title": "Guards desert with weapons",
        "source": "Radio Test Asia",
        "published": date(2021, 3, 28),
        "text": "Soldiers of a border unit near Hyesan deserted to China on March 2.",
        "reports": [("hyesan", [("location", "near Hyesan", 0)])],
    },
    "a_swim": {
        "title": "Man swims to the South off Goseong",
        "source": "Border Desk",
        "published": date(2021, 11, 5),
        "text": "A North Korean man swam across the sea border to Goseong in November.",
        "reports": [("swim", [("method", "swam", 0)])],
    },
    "a_boat": {
        "title": "Family reaches Sokcho by boat",
        "source": "Coast Wire",
        "published": date(2023, 5, 20),
        "text": "A family crossed the Northern Limit Line in a small boat. "
        "Years earlier nine people went through Laos.",
        "reports": [("sokcho", [("crossing", "Northern Limit Line", 0)]), ("laos", [("group_size", "nine people", 0)])],
    },
    "a_musan": {
        "title": "Undated report on Musan",
        "source": "Daily Test",
        "published": None,
        "text": "Two soldiers were caught on the Tumen River near Musan.",
        "reports": [("musan", [("crossing", "Tumen River", 0)])],
    },
    "a_stats": {
        "title": "Defector arrivals fall",
        "source": "Coast Wire",
        "published": date(2023, 1, 10),
        "text": "Arrivals of defectors fell to 63 last year.",
        "reports": [],
    },
}


def _nth(text: str, needle: str, occurrence: int) -> int:
    position = -1
    for _ in range(occurrence + 1):
        position = text.index(needle, position + 1)
    return position


@dataclass
class World:
    incidents: dict[str, int]
    articles: dict[str, int]

    def names(self, ids: list[int]) -> list[str]:
        by_id = {v: k for k, v in self.incidents.items()}
        return [by_id.get(i, f"#{i}") for i in ids]

    def article_names(self, ids: list[int]) -> list[str]:
        by_id = {v: k for k, v in self.articles.items()}
        return [by_id[i] for i in ids]


@pytest.fixture
def world(engine: Engine) -> World:
    incidents: dict[str, int] = {}
    articles: dict[str, int] = {}
    with write_session(engine) as session:
        rows = {}
        for name, values in INCIDENTS.items():
            values = {"updated_at": at(2026, 1, 1), "created_at": at(2025, 12, 1), **values}
            rows[name] = make_incident(session, **values)
            incidents[name] = rows[name].id  # type: ignore[assignment]
        for name, values in ARTICLES.items():
            values = dict(values)
            reports = values.pop("reports")
            article = make_article(session, **values)
            articles[name] = article.id  # type: ignore[assignment]
            for ordinal, (incident_name, spans) in enumerate(reports):
                evidence = [span(field, text, _nth(article.text, text, n)) for field, text, n in spans]
                incident = rows[incident_name]
                make_report(
                    session,
                    article=article,
                    incident=incident,
                    ordinal=ordinal,
                    evidence=evidence,
                    record={"summary": incident.summary, "group_size": incident.group_size},
                )
    return World(incidents=incidents, articles=articles)
