"""GET /articles and /articles/{id}."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ARTICLES, World

BY_PUBLISHED = ["a_boat", "a_stats", "a_swim", "a_rfa", "a_hyesan", "a_musan"]  # newest first, undated last


def names(client: TestClient, world: World, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return world.article_names([a["id"] for a in response.json()["data"]])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("", BY_PUBLISHED),
        ("source=border%20desk", ["a_swim", "a_hyesan"]),
        ("source=COAST%20WIRE", ["a_boat", "a_stats"]),
        ("published_from=2023-01-01", ["a_boat", "a_stats"]),
        ("published_to=2021-03-26", ["a_hyesan"]),
        ("published_from=2021-03-25&published_to=2021-11-05", ["a_swim", "a_rfa", "a_hyesan"]),
        ("q=yalu", ["a_hyesan"]),
        ("q=deserting", ["a_rfa"]),  # stemmed: title "desert", text "deserted"
        ("q=arrivals", ["a_stats"]),
        ("q=tumen%20musan", ["a_musan"]),
        ("q=%27%20OR%201%3D1%20--", []),
        ("has_incidents=false", ["a_stats"]),
        ("has_incidents=true", ["a_boat", "a_swim", "a_rfa", "a_hyesan", "a_musan"]),
        ("has_incidents=true&source=coast%20wire", ["a_boat"]),
        ("sort=published", ["a_hyesan", "a_rfa", "a_swim", "a_stats", "a_boat", "a_musan"]),
        ("sort=-id", ["a_stats", "a_musan", "a_boat", "a_swim", "a_rfa", "a_hyesan"]),
    ],
)
def test_article_filters(client: TestClient, world: World, params: str, expected: list[str]) -> None:
    assert names(client, world, f"/articles?{params}") == expected


@pytest.mark.parametrize("sort", ["-published", "published", "ingested_at", "-id"])
def test_article_cursor_walk(client: TestClient, world: World, sort: str) -> None:
    everything = names(client, world, f"/articles?sort={sort}")
    url: str | None = f"/articles?sort={sort}&limit=2"
    walked: list[str] = []
    while url:
        response = client.get(url)
        body = response.json()
        walked += world.article_names([a["id"] for a in body["data"]])
        url = body["next"]
    assert walked == everything and len(walked) == 6


def test_article_list_items(client: TestClient, world: World) -> None:
    body = client.get("/articles?count=true").json()
    assert body["total"] == 6
    items = {world.article_names([a["id"]])[0]: a for a in body["data"]}
    assert items["a_hyesan"]["incident_count"] == 2
    assert items["a_stats"]["incident_count"] == 0
    assert items["a_musan"]["published"] is None
    assert "text" not in items["a_hyesan"]
    assert set(items["a_hyesan"]) == {
        "id",
        "external_id",
        "url",
        "title",
        "source",
        "published",
        "ingested_at",
        "updated_at",
        "incident_count",
    }


def test_article_detail(client: TestClient, world: World) -> None:
    response = client.get(f"/articles/{world.articles['a_hyesan']}")
    assert response.status_code == 200
    article = response.json()
    assert article["text"] == ARTICLES["a_hyesan"]["text"]
    assert article["title"] == ARTICLES["a_hyesan"]["title"]
    assert article["incident_count"] == 2
    incidents = {world.names([i["id"]])[0]: i for i in article["incidents"]}
    assert set(incidents) == {"hyesan", "hyesan19"}
    assert "sources" not in incidents["hyesan"] and incidents["hyesan"]["source_count"] == 2
    for incident in incidents.values():
        assert incident["evidence"], "each incident carries the spans pointing into this article"
        for span in incident["evidence"]:
            assert span["article_id"] == article["id"]
            assert article["text"][span["start"] : span["end"]] == span["text"]
        assert [r["article_id"] for r in incident["reports"]] == [article["id"]]
    # the second source's span of hyesan is not part of this article
    assert {s["text"] for s in incidents["hyesan"]["evidence"]} == {"Six", "Yalu River", "with their rifles"}
    assert incidents["hyesan19"]["evidence"][1]["start"] == article["text"].rindex("Yalu River")


def test_article_without_incidents(client: TestClient, world: World) -> None:
    article = client.get(f"/articles/{world.articles['a_stats']}").json()
    assert article["incidents"] == [] and article["incident_count"] == 0


@pytest.mark.parametrize(
    ("url", "status", "name"),
    [
        ("/articles?published_from=2021-02-30", 422, "published_from"),
        ("/articles?published_from=2022-01-01&published_to=2021-01-01", 422, "published_to"),
        ("/articles?has_incidents=perhaps", 422, "has_incidents"),
        ("/articles?sort=title", 422, "sort"),
        ("/articles?limit=0", 422, "limit"),
        ("/articles?limit=1001", 422, "limit"),
        ("/articles?q=%21%21", 422, "q"),
        ("/articles?cursor=not-a-cursor", 400, "cursor"),
        ("/articles?destination=CHN", 422, "destination"),
        ("/articles/abc", 422, "article_id"),
    ],
)
def test_article_errors(client: TestClient, url: str, status: int, name: str) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["name"] == name


def test_article_not_found(client: TestClient, world: World) -> None:
    response = client.get("/articles/999999")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
