"""Merging rules on plain records: which stored incident a report joins, and an incident's values from its reports."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from app.ingestion.merge import Candidate, ReportView, best_match, canonical, match_score

BOAT = Candidate(
    id=1,
    date_start=date(2024, 10, 24),
    date_end=date(2024, 10, 24),
    date_precision="day",
    origin_country="PRK",
    destination_country="KOR",
    method="sea",
    crossing="Northern Limit Line",
    actor="civilian",
    group_size=4,
    group_size_min=None,
    group_size_max=None,
    location_name=None,
    lat=None,
    lon=None,
)
SAME_BOAT: dict[str, Any] = {
    "date_start": "2024-10-24",
    "date_end": "2024-10-24",
    "date_precision": "day",
    "origin_country": "PRK",
    "destination_country": "KOR",
    "method": "sea",
    "group_size": 4,
}


@pytest.mark.parametrize(
    ("change", "fits"),
    [
        ({}, True),
        ({"date_start": "2024-10-25", "date_end": "2024-10-25"}, True),  # a day's slack between day-precise dates
        ({"date_start": "2024-10-27", "date_end": "2024-10-27"}, False),
        ({"destination_country": "CHN"}, False),
        ({"method": "swim"}, False),
        ({"group_size": 5}, True),  # outlets disagree on counts by a little
        ({"group_size": 40}, False),
        ({"date_start": None, "date_end": None}, False),  # undated: joins only on strong agreement elsewhere
        ({"date_start": None, "date_end": None, "crossing": "Northern Limit Line"}, True),
        ({"date_start": None, "date_end": None, "group_size": None, "method": None}, False),
    ],
)
def test_match_score(change: dict[str, Any], fits: bool) -> None:
    assert (match_score({**SAME_BOAT, **change}, BOAT) is not None) is fits


def test_best_match_prefers_the_higher_score_then_the_older_incident() -> None:
    vaguer = replace(BOAT, id=2, date_start=date(2024, 10, 1), date_end=date(2024, 10, 31), date_precision="month")
    newer_twin = replace(BOAT, id=3)
    assert best_match(SAME_BOAT, [vaguer, newer_twin, BOAT]) == BOAT


def test_an_article_never_joins_an_incident_it_already_reports_twice() -> None:
    # Two incidents in one article are two events, however alike.
    assert best_match(SAME_BOAT, [BOAT], joined={1}) is None
    assert best_match(SAME_BOAT, [BOAT, replace(BOAT, id=2)], joined={1}) == replace(BOAT, id=2)


def _view(start: str, end: str, precision: str, confidence: float = 0.8, article_id: int = 1) -> ReportView:
    record = {"date_start": start, "date_end": end, "date_precision": precision, "date_text": f"{start}..{end}"}
    return ReportView(article_id, record, confidence)


@pytest.mark.parametrize(
    ("windows", "expected"),
    [
        # the narrowest window consistent with every other
        ([("2024-10-01", "2024-10-31", "month"), ("2024-10-24", "2024-10-24", "day")], ("2024-10-24", "day")),
        # the week and the day rule each other out: the month is the only window consistent with both
        (
            [
                ("2024-10-01", "2024-10-31", "month"),
                ("2024-10-20", "2024-10-26", "week"),
                ("2024-10-28", "2024-10-28", "day"),
            ],
            ("2024-10-01", "month"),
        ),
        # nothing is consistent with everything: the narrowest of all
        ([("2024-01-05", "2024-01-05", "day"), ("2024-06-01", "2024-06-30", "month")], ("2024-01-05", "day")),
    ],
)
def test_canonical_date_window(windows: list[tuple[str, str, str]], expected: tuple[str, str]) -> None:
    out = canonical([_view(*w) for w in windows])
    assert (out["date_start"].isoformat(), out["date_precision"]) == expected


def test_canonical_counts_sources_and_keeps_disagreeing_sizes_as_a_range() -> None:
    reports = [
        ReportView(1, {"group_size": 13}, 0.7),
        ReportView(2, {"group_size": 15}, 0.9),
        ReportView(2, {"group_size": 13}, 0.5),
    ]
    out = canonical(reports)
    assert (out["group_size"], out["group_size_min"], out["group_size_max"]) == (13, 13, 15)
    assert out["source_count"] == 2
