"""GET /places: the places incidents are located at, with counts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World


@pytest.mark.parametrize(
    ("params", "expected", "total"),
    [
        ("", ["Hyesan", "Ganghwa", "Goseong", "Musan", "Ningbo", "Sokcho", "St. Lawrence Island", "Tampa"], 8),
        ("country=kor", ["Ganghwa", "Goseong", "Sokcho"], 3),
        ("kind=city", ["Hyesan", "Ningbo", "Sokcho", "Tampa"], 4),
        ("kind=county,island&country=PRK,USA", ["Musan", "St. Lawrence Island"], 2),
        ("destination=CHN", ["Hyesan", "Musan"], 2),
        ("actor=soldier&date_from=2021-01-01", ["Hyesan", "Musan"], 2),
        ("limit=1", ["Hyesan"], 8),
        ("country=GBR", [], 0),
    ],
)
def test_places(client: TestClient, world: World, params: str, expected: list[str], total: int) -> None:
    response = client.get(f"/places?{params}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [p["name"] for p in body["data"]] == expected
    assert body["total"] == total


def test_place_fields(client: TestClient, world: World) -> None:
    hyesan = client.get("/places").json()["data"][0]
    assert hyesan == {
        "name": "Hyesan",
        "kind": "city",
        "country": "PRK",
        "lat": 41.4017,
        "lon": 128.1775,
        "incidents": 2,
        "first_date": "2019-12-01",
        "last_date": "2021-03-02",
    }


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/places?kind=galaxy", "kind"),
        ("/places?country=ZZZ", "country"),
        ("/places?limit=0", "limit"),
        ("/places?limit=1001", "limit"),
        ("/places?bbox=1,2", "bbox"),
        ("/places?cursor=abc", "cursor"),
    ],
)
def test_places_errors(client: TestClient, url: str, name: str) -> None:
    response = client.get(url)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["name"] == name
