"""GET /stats: counts of incidents and people per group, under the /incidents filters."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.db import write_session
from app.models import Incident
from tests.api.conftest import World


def row(incidents: int, people: int, **keys: Any) -> dict[str, Any]:
    return {**keys, "incidents": incidents, "people": people}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            "group_by=year",
            [
                row(1, 7, year=2008),
                row(1, 13, year=2016),
                row(1, 3, year=2019),
                row(1, 0, year=2020),  # ganghwa: no size at all
                row(3, 9, year=2021),
                row(1, 2, year=2022),
                row(1, 5, year=2023),  # sokcho: "5 to 9" counts as 5
                row(1, 9, year=None),  # laos: undated, last
            ],
        ),
        ("", None),  # group_by defaults to year: same rows as above
        (
            "group_by=year,destination&date_from=2021-01-01&date_to=2021-12-31",
            [row(2, 8, year=2021, destination="CHN"), row(1, 1, year=2021, destination="KOR")],
        ),
        (
            "group_by=destination",
            [
                row(3, 11, destination="CHN"),
                row(4, 28, destination="KOR"),
                row(1, 0, destination="PRK"),
                row(2, 9, destination="USA"),
            ],
        ),
        (
            "group_by=month&destination=CHN",
            [row(1, 3, month="2019-12"), row(1, 6, month="2021-03"), row(1, 2, month="2021-06")],
        ),
        ("group_by=actor&armed=true", [row(2, 8, actor="soldier")]),
        ("group_by=crossing&method=river", [row(1, 2, crossing="Tumen River"), row(2, 9, crossing="Yalu River")]),
        (
            "group_by=method,outcome&origin=PRK",
            [
                row(1, 13, method="abroad", outcome="crossed"),
                row(1, 9, method="land", outcome="repatriated"),
                row(1, 2, method="river", outcome="caught"),
                row(2, 9, method="river", outcome="crossed"),
                row(1, 5, method="sea", outcome="crossed"),
                row(1, 1, method="swim", outcome="crossed"),
            ],
        ),
        ("group_by=origin&near=41.40,128.18", [row(2, 9, origin="PRK")]),
        ("group_by=origin&q=yalu", [row(2, 9, origin="PRK")]),
        ("group_by=origin&destination=GBR", []),
    ],
)
def test_stats_groups(client: TestClient, world: World, params: str, expected: list[dict[str, Any]] | None) -> None:
    response = client.get(f"/stats?{params}")
    assert response.status_code == 200, response.text
    body = response.json()
    if expected is None:
        assert body == client.get("/stats?group_by=year").json()
        return
    assert body["data"] == expected
    assert body["total"] == {
        "incidents": sum(r["incidents"] for r in expected),
        "people": sum(r["people"] for r in expected),
    }
    if expected:
        assert body["group_by"] == [k for k in expected[0] if k not in ("incidents", "people")]


def test_stats_totals(client: TestClient, world: World) -> None:
    assert client.get("/stats").json()["total"] == {"incidents": 10, "people": 48}


def test_stats_answers_are_cached_until_the_data_changes(client: TestClient, world: World, engine: Engine) -> None:
    url = "/stats?group_by=destination&destination=CHN"
    before = client.get(url).json()
    assert client.get(url).json() == before  # served from the cache
    with write_session(engine) as session:  # any write to incident bumps data_version (migration 0003)
        session.execute(sa.update(Incident).where(Incident.id == world.incidents["hyesan"]).values(group_size=60))
    after = client.get(url).json()
    assert after["total"]["people"] == before["total"]["people"] + 54
    with write_session(engine) as session:
        session.execute(sa.delete(Incident).where(Incident.id == world.incidents["hyesan"]))
    assert client.get(url).json()["total"]["incidents"] == before["total"]["incidents"] - 1


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/stats?group_by=month,destination&format=csv&destination=CHN,KOR", {}),
        ("/stats?group_by=month,destination&destination=CHN,KOR", {"Accept": "text/csv"}),
    ],
)
def test_stats_csv(client: TestClient, world: World, url: str, headers: dict[str, str]) -> None:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["month", "destination", "incidents", "people"]
    assert rows[1:] == [
        ["2016-04", "KOR", "1", "13"],
        ["2019-12", "CHN", "1", "3"],
        ["2021-03", "CHN", "1", "6"],
        ["2021-06", "CHN", "1", "2"],
        ["2021-11", "KOR", "1", "1"],
        ["2023-05", "KOR", "1", "5"],
        ["", "KOR", "1", "9"],
    ]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/stats?group_by=planet", "group_by"),
        ("/stats?group_by=year,month,origin", "group_by"),
        ("/stats?group_by=", "group_by"),
        ("/stats?format=geojson", "format"),
        ("/stats?origin=XX", "origin"),
        ("/stats?date_from=2021-13-01", "date_from"),
        ("/stats?limit=5", "limit"),
    ],
)
def test_stats_errors(client: TestClient, url: str, name: str) -> None:
    response = client.get(url)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["name"] == name
