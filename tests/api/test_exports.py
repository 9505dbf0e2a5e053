"""CSV, NDJSON and GeoJSON exports of /incidents: paged, and streamed whole with limit=all."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from app.api.routes import incidents as incidents_route
from tests.api.conftest import World

CSV_HEADER = [
    "id",
    "date_start",
    "date_end",
    "date_precision",
    "date_text",
    "origin_country",
    "destination_country",
    "transit_countries",
    "crossing",
    "method",
    "group_size",
    "group_size_min",
    "group_size_max",
    "actor",
    "armed",
    "outcome",
    "location_name",
    "location_kind",
    "location_country",
    "lat",
    "lon",
    "geo_precision",
    "places",
    "summary",
    "confidence",
    "source_count",
    "curated_fields",
    "created_at",
    "updated_at",
]
DEFAULT_ORDER = ["sokcho", "bering", "swim", "musan", "hyesan", "ganghwa", "hyesan19", "ningbo", "tampa", "laos"]


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stream in batches of 3 rows, so a 10-row export crosses several keyset batches."""
    monkeypatch.setattr(incidents_route, "STREAM_BATCH", 3)


@pytest.mark.parametrize(
    ("url", "headers", "media_type"),
    [
        ("/incidents?format=csv&limit=all", {}, "text/csv"),
        ("/incidents?limit=all", {"Accept": "text/csv"}, "text/csv"),
        ("/incidents?format=ndjson&limit=all", {}, "application/x-ndjson"),
        ("/incidents?limit=all", {"Accept": "application/x-ndjson"}, "application/x-ndjson"),
        ("/incidents?format=geojson&limit=all", {}, "application/geo+json"),
        ("/incidents?limit=all", {"Accept": "application/geo+json"}, "application/geo+json"),
        ("/incidents?format=CSV&limit=all", {"Accept": "application/geo+json"}, "text/csv"),  # format= wins
        ("/incidents", {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, "application/json"),
        ("/incidents?limit=5", {"Accept": "text/csv;q=0, application/json"}, "application/json"),
    ],
)
def test_format_negotiation(
    client: TestClient, world: World, small_batches: None, url: str, headers: dict[str, str], media_type: str
) -> None:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type


def test_csv_streams_every_row(client: TestClient, world: World, small_batches: None) -> None:
    response = client.get("/incidents?format=csv&limit=all")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "link" not in response.headers
    assert response.text.splitlines()[0].split(",") == CSV_HEADER
    rows = read_csv(response.text)
    assert world.names([int(r["id"]) for r in rows]) == DEFAULT_ORDER
    by_name = {name: rows[DEFAULT_ORDER.index(name)] for name in DEFAULT_ORDER}
    assert by_name["laos"]["transit_countries"] == "CHN;LAO;THA"
    assert by_name["laos"]["location_name"] == "" and by_name["laos"]["date_start"] == ""
    hyesan = by_name["hyesan"]
    assert (hyesan["location_name"], hyesan["location_kind"], hyesan["location_country"]) == ("Hyesan", "city", "PRK")
    assert (float(hyesan["lat"]), float(hyesan["lon"])) == (41.4017, 128.1775)
    assert (hyesan["armed"], hyesan["group_size"], hyesan["places"]) == ("true", "6", "Hyesan")
    assert by_name["swim"]["armed"] == "false" and by_name["sokcho"]["armed"] == ""
    assert by_name["sokcho"]["group_size_min"] == "5"


def test_csv_with_fields_and_sources(client: TestClient, world: World) -> None:
    response = client.get("/incidents?format=csv&limit=all&fields=id,location,summary&include=sources&min_sources=2")
    rows = read_csv(response.text)
    assert list(rows[0]) == [
        "id",
        "location_name",
        "location_kind",
        "location_country",
        "lat",
        "lon",
        "summary",
        "source_article_ids",
        "source_urls",
    ]
    (row,) = rows
    assert row["source_article_ids"] == f"{world.articles['a_hyesan']};{world.articles['a_rfa']}"
    assert row["source_urls"].count(";") == 1


def test_csv_with_filters_and_no_match_is_just_a_header(client: TestClient, world: World) -> None:
    response = client.get("/incidents?format=csv&limit=all&origin=CUB&destination=KOR")
    assert response.text.strip().split(",") == CSV_HEADER


def test_ndjson_streams_one_record_per_line(client: TestClient, world: World, small_batches: None) -> None:
    response = client.get("/incidents?format=ndjson&limit=all&sort=date_start&include=evidence")
    lines = response.text.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 10
    assert world.names([r["id"] for r in records])[:3] == ["tampa", "ningbo", "hyesan19"]
    assert all("evidence" in r and "summary" in r for r in records)
    assert response.text.endswith("\n")


def test_geojson_feature_collection(client: TestClient, world: World, small_batches: None) -> None:
    response = client.get("/incidents?format=geojson&limit=all")
    assert response.headers["content-type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert collection["excluded_without_coordinates"] == 1  # laos has no coordinates
    features = collection["features"]
    assert len(features) == 9
    assert world.incidents["laos"] not in {f["id"] for f in features}
    for feature in features:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert feature["properties"]["location"]["lat"] == lat and feature["properties"]["location"]["lon"] == lon
    assert collection["bbox"] == [-170.3, 27.95, 129.2067, 63.4]


def test_geojson_with_fields_and_filters(client: TestClient, world: World) -> None:
    collection = client.get("/incidents?format=geojson&limit=all&fields=summary&destination=CHN").json()
    assert {f["id"] for f in collection["features"]} == {world.incidents[n] for n in ("hyesan", "hyesan19", "musan")}
    assert all(set(f["properties"]) == {"id", "summary"} for f in collection["features"])
    assert collection["bbox"] == [128.1775, 41.4017, 129.2067, 42.2317]
    assert collection["excluded_without_coordinates"] == 0


def test_geojson_without_any_coordinates(client: TestClient, world: World) -> None:
    collection = client.get("/incidents?format=geojson&limit=all&transit=LAO").json()
    assert collection["features"] == []
    assert "bbox" not in collection
    assert collection["excluded_without_coordinates"] == 1


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "geojson"])
def test_exports_page_with_cursors_too(client: TestClient, world: World, fmt: str) -> None:
    url: str | None = f"/incidents?format={fmt}&limit=4"
    seen: list[int] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        if fmt == "csv":
            seen += [int(row["id"]) for row in read_csv(response.text)]
        elif fmt == "ndjson":
            seen += [json.loads(line)["id"] for line in response.text.splitlines()]
        else:
            body = response.json()
            seen += [f["id"] for f in body["features"]]
            assert body.get("next") == (response.links["next"]["url"] if "next" in response.links else None)
        url = response.links.get("next", {}).get("url")
    expected = [n for n in DEFAULT_ORDER if fmt != "geojson" or n != "laos"]
    assert world.names(seen) == expected


def test_streaming_resumes_from_a_cursor(client: TestClient, world: World, small_batches: None) -> None:
    first = client.get("/incidents?format=ndjson&limit=2")
    cursor_url = first.links["next"]["url"].replace("limit=2", "limit=all")
    rest = [json.loads(line)["id"] for line in client.get(cursor_url).text.splitlines()]
    assert world.names(rest) == DEFAULT_ORDER[2:]


def test_count_header_on_exports(client: TestClient, world: World) -> None:
    response = client.get("/incidents?format=csv&limit=all&count=true&destination=USA")
    assert response.headers["x-total-count"] == "2"
    assert len(read_csv(response.text)) == 2
