"""GET /incidents: every filter, sort orders, keyset cursors, field selection and expansions, on both databases."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.core.db import write_session
from tests.api.conftest import ARTICLES, World
from tests.factories import make_incident


def ids(client: TestClient, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


ALL = {"hyesan", "hyesan19", "musan", "swim", "sokcho", "laos", "ningbo", "ganghwa", "tampa", "bering"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("", ALL),
        # date windows overlap the range; undated incidents never match a date filter
        ("date_from=2021-01-01&date_to=2021-12-31", {"hyesan", "musan", "swim"}),
        ("date_from=2021-11-15", {"swim", "sokcho", "bering"}),
        ("date_to=2016-12-31", {"ningbo", "tampa"}),
        ("date_from=2019-12-31&date_to=2019-12-31", {"hyesan19"}),
        ("date_from=2021-11-30&date_to=2021-11-30", {"swim"}),
        # countries, one or several, case-insensitive
        ("origin=prk", {"hyesan", "hyesan19", "musan", "swim", "sokcho", "laos", "ningbo"}),
        ("origin=KOR,cub", {"ganghwa", "tampa"}),
        ("destination=CHN", {"hyesan", "hyesan19", "musan"}),
        ("destination=usa", {"tampa", "bering"}),
        ("transit=LAO", {"laos"}),
        ("transit=chn", {"laos", "ningbo"}),
        ("transit=mys,tha", {"laos", "ningbo"}),
        ("transit=USA", set()),
        # vocabularies
        ("method=river", {"hyesan", "hyesan19", "musan"}),
        ("method=swim,SEA", {"swim", "sokcho", "ganghwa", "bering"}),
        ("actor=soldier", {"hyesan", "musan"}),
        ("actor=athlete,worker", {"tampa", "ningbo"}),
        ("crossing=yalu river", {"hyesan", "hyesan19"}),
        ("crossing=Yalu River,tumen river", {"hyesan", "hyesan19", "musan"}),
        ("crossing=Imjin River", set()),
        ("outcome=caught,repatriated", {"musan", "laos"}),
        ("date_precision=month", {"hyesan19", "swim", "sokcho"}),
        ("armed=true", {"hyesan", "musan"}),
        ("armed=false", {"swim"}),
        # sizes: group_size, else the vague bounds
        ("min_size=6", {"hyesan", "laos", "ningbo", "tampa"}),
        ("max_size=2", {"musan", "swim", "bering"}),
        ("min_size=5&max_size=9", {"hyesan", "sokcho", "laos", "tampa"}),
        ("min_sources=2", {"hyesan"}),
        ("min_sources=1", {"hyesan", "hyesan19", "musan", "swim", "sokcho", "laos"}),
        ("min_confidence=0.85", {"hyesan", "ningbo", "tampa"}),
        # geography
        ("bbox=124,37,131,43", {"hyesan", "hyesan19", "musan", "swim", "sokcho", "ganghwa"}),
        ("bbox=125,41,130,43", {"hyesan", "hyesan19", "musan"}),
        ("bbox=170,50,-165,70", {"bering"}),  # across the antimeridian
        ("bbox=-90,20,-80,30", {"tampa"}),
        ("near=41.40,128.18", {"hyesan", "hyesan19"}),
        ("near=41.40,128.18&radius_km=200", {"hyesan", "hyesan19", "musan"}),
        ("near=63.4,-170.3&radius_km=5", {"bering"}),
        ("near=63.4,179.9&radius_km=600", {"bering"}),  # the circle wraps the antimeridian
        # full text: summaries, evidence text, titles of the reporting articles (stemmed)
        ("q=yalu", {"hyesan", "hyesan19"}),
        ("q=rifle", {"hyesan"}),  # only in an evidence span
        ("q=weapons", {"hyesan"}),  # only in the title of the second source
        ("q=guards", {"hyesan", "hyesan19"}),  # title of the article both come from
        ("q=soldiers", {"hyesan", "musan"}),
        ("q=northern%20sokcho", {"sokcho"}),  # one word from the summary, one from a title
        ("q=SOKCHO,boat!", {"sokcho", "laos"}),
        ("q=zeppelin", set()),
        # sources
        ("source=border%20desk", {"hyesan", "hyesan19", "swim"}),
        ("source=RADIO%20TEST%20ASIA", {"hyesan"}),
        ("updated_since=2026-03-01T00:00:00Z", {"musan"}),
        ("updated_since=2026-06-01T08:00:00%2B09:00", {"musan"}),
        ("updated_since=2026-06-01T00:00:01", set()),
        # combined
        (
            "destination=CHN&armed=true&actor=soldier&date_from=2021-01-01&date_to=2021-12-31",
            {"hyesan", "musan"},
        ),
        ("origin=PRK&method=river&min_size=3&bbox=125,41,130,43", {"hyesan", "hyesan19"}),
    ],
)
def test_filters(client: TestClient, world: World, params: str, expected: set[str]) -> None:
    assert set(world.names(ids(client, f"/incidents?limit=1000&{params}"))) == expected


def test_article_filter(client: TestClient, world: World) -> None:
    found = ids(client, f"/incidents?article_id={world.articles['a_boat']}")
    assert set(world.names(found)) == {"sokcho", "laos"}
    assert ids(client, "/incidents?article_id=999999") == []


@pytest.mark.parametrize(
    "params",
    [
        "q=%27%20OR%201%3D1%20--",
        "crossing=%27%20OR%201%3D1%20--",
        "source=x%27%20OR%20%271%27%3D%271",
        "q=%22unbalanced",
        "q=NEAR(a%20b)%20OR%20*",
        "q=title:yalu",
        "source=%25",
        "crossing=%25",
    ],
)
def test_sql_looking_input_matches_nothing(client: TestClient, world: World, params: str) -> None:
    response = client.get(f"/incidents?{params}")
    assert response.status_code == 200
    assert response.json()["data"] == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["sokcho", "bering", "swim", "musan", "hyesan", "ganghwa", "hyesan19", "ningbo", "tampa", "laos"]),
        (
            "date_start",
            ["tampa", "ningbo", "hyesan19", "ganghwa", "hyesan", "musan", "swim", "bering", "sokcho", "laos"],
        ),
        (
            "-group_size",
            ["ningbo", "laos", "tampa", "hyesan", "hyesan19", "musan", "bering", "swim", "sokcho", "ganghwa"],
        ),
        (
            "group_size",
            ["swim", "musan", "bering", "hyesan19", "hyesan", "tampa", "laos", "ningbo", "sokcho", "ganghwa"],
        ),
        (
            "-confidence",
            ["ningbo", "hyesan", "tampa", "swim", "sokcho", "musan", "hyesan19", "laos", "bering", "ganghwa"],
        ),
        (
            "-source_count",
            ["hyesan", "hyesan19", "musan", "swim", "sokcho", "laos", "ningbo", "ganghwa", "tampa", "bering"],
        ),
        (
            "-updated_at",
            ["musan", "hyesan", "hyesan19", "swim", "sokcho", "laos", "ningbo", "ganghwa", "tampa", "bering"],
        ),
        (
            "-id",
            ["bering", "tampa", "ganghwa", "ningbo", "laos", "sokcho", "swim", "musan", "hyesan19", "hyesan"],
        ),
        (
            "date_end,-id",
            ["tampa", "ningbo", "hyesan19", "ganghwa", "hyesan", "musan", "swim", "bering", "sokcho", "laos"],
        ),
        (
            "-source_count,-confidence",
            ["hyesan", "swim", "sokcho", "musan", "hyesan19", "laos", "ningbo", "tampa", "bering", "ganghwa"],
        ),
    ],
)
@pytest.mark.parametrize("page", [1000, 3, 1])
def test_sort_orders_and_cursor_walks(
    client: TestClient, world: World, sort: str | None, expected: list[str], page: int
) -> None:
    """The same order whether read in one page or walked with cursors (nulls last, id tiebreak)."""
    url: str | None = f"/incidents?limit={page}" + (f"&sort={sort}" if sort else "")
    seen: list[int] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["data"]) <= page
        seen += [item["id"] for item in body["data"]]
        url = body["next"]
        if url:
            assert response.headers["link"] == f'<{url}>; rel="next"'
            assert parse_qs(urlsplit(url).query)["limit"] == [str(page)]
        else:
            assert "link" not in response.headers
        pages += 1
        assert pages <= 20
    assert world.names(seen) == expected


def test_next_keeps_the_filters(client: TestClient, world: World) -> None:
    body = client.get("/incidents?origin=PRK&method=river&limit=1&count=true&sort=date_start").json()
    query = parse_qs(urlsplit(body["next"]).query)
    assert query["origin"] == ["PRK"] and query["method"] == ["river"] and query["sort"] == ["date_start"]
    assert body["total"] == 3
    second = client.get(body["next"]).json()
    assert world.names([i["id"] for i in second["data"]]) == ["hyesan"]


def test_total_only_when_counted(client: TestClient, world: World) -> None:
    plain = client.get("/incidents?limit=2")
    assert "total" not in plain.json() and "x-total-count" not in plain.headers
    counted = client.get("/incidents?limit=2&count=true&destination=KOR")
    assert counted.json()["total"] == 4
    assert counted.headers["x-total-count"] == "4"


def test_rows_inserted_between_pages_cause_no_skips_or_repeats(
    client: TestClient, world: World, engine: Engine
) -> None:
    from datetime import date

    first = client.get("/incidents?limit=3").json()  # sokcho, bering, swim
    assert world.names([i["id"] for i in first["data"]]) == ["sokcho", "bering", "swim"]
    with write_session(engine) as session:
        before = make_incident(session, date_start=date(2024, 1, 1), summary="newer than the cursor")
        middle = make_incident(session, date_start=date(2021, 1, 1), summary="after the cursor")
        undated = make_incident(session, summary="undated, sorts last")
        tie = make_incident(session, date_start=date(2021, 11, 1), summary="ties with the cursor row")
    seen = [i["id"] for i in first["data"]]
    url = first["next"]
    while url:
        body = client.get(url).json()
        seen += [i["id"] for i in body["data"]]
        url = body["next"]
    assert len(seen) == len(set(seen)), "no row is returned twice"
    assert set(world.incidents.values()) <= set(seen), "no existing row is skipped"
    assert before.id not in seen  # it sorts before the position already read
    assert {middle.id, undated.id, tie.id} <= set(seen)
    assert seen[-2:] == [world.incidents["laos"], undated.id]  # nulls last, then by id


@pytest.mark.parametrize(
    ("fields", "include", "keys"),
    [
        ("id,summary", None, {"id", "summary"}),
        ("summary", None, {"id", "summary"}),
        ("location,group_size", None, {"id", "location", "group_size"}),
        ("id", "sources", {"id", "sources"}),
        ("sources", None, {"id", "sources"}),
        (None, "evidence", None),
    ],
)
def test_fields_selection(
    client: TestClient, world: World, fields: str | None, include: str | None, keys: set[str] | None
) -> None:
    params = "&".join(p for p in (f"fields={fields}" if fields else "", f"include={include}" if include else "") if p)
    item = client.get(f"/incidents?{params}").json()["data"][0]
    if keys is not None:
        assert set(item) == keys
    else:
        assert "evidence" in item and "summary" in item and "sources" not in item


SPEC_FIELDS = [
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
    "location",
    "geo_precision",
    "places",
    "summary",
    "confidence",
    "evidence",
    "sources",
]


def test_record_shape_follows_the_spec(client: TestClient, world: World) -> None:
    item = client.get(f"/incidents?include=sources,evidence&fields={','.join(SPEC_FIELDS)}&sort=-id&limit=100")
    records = {r["id"]: r for r in item.json()["data"]}
    record = records[world.incidents["hyesan"]]
    assert list(record) == SPEC_FIELDS
    assert record["location"] == {"name": "Hyesan", "kind": "city", "country": "PRK", "lat": 41.4017, "lon": 128.1775}
    assert record["date_start"] == "2021-03-02" and record["armed"] is True and record["transit_countries"] == []
    assert records[world.incidents["laos"]]["location"] is None
    default = client.get("/incidents?limit=1").json()["data"][0]
    assert {"source_count", "curated_fields", "created_at", "updated_at"} <= set(default)
    assert not {"sources", "evidence", "reports"} & set(default)
    assert default["updated_at"].endswith(("+00:00", "Z"))


def test_include_expansions(client: TestClient, world: World) -> None:
    body = client.get("/incidents?include=sources,evidence,reports&min_sources=2").json()
    (record,) = body["data"]
    assert [s["article_id"] for s in record["sources"]] == [world.articles["a_hyesan"], world.articles["a_rfa"]]
    assert record["sources"][0] == {
        "article_id": world.articles["a_hyesan"],
        "url": record["sources"][0]["url"],
        "title": ARTICLES["a_hyesan"]["title"],
        "source": "Border Desk",
        "published": "2021-03-25",
    }
    assert {(e["field"], e["text"], e["article_id"]) for e in record["evidence"]} == {
        ("group_size", "Six", world.articles["a_hyesan"]),
        ("crossing", "Yalu River", world.articles["a_hyesan"]),
        ("armed", "with their rifles", world.articles["a_hyesan"]),
        ("location", "near Hyesan", world.articles["a_rfa"]),
    }
    for evidence in record["evidence"]:
        assert set(evidence) == {"field", "text", "start", "end", "article_id"}
    assert len(record["reports"]) == 2
    assert {r["article_id"] for r in record["reports"]} == {world.articles["a_hyesan"], world.articles["a_rfa"]}
    assert record["reports"][0]["record"]["group_size"] == 6
    assert record["reports"][0]["evidence"][0]["rule"] == "test"


def test_expansions_take_a_constant_number_of_queries(client: TestClient, world: World, engine: Engine) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        small = client.get("/incidents?include=sources,evidence,reports&limit=2")
        n_small = len(statements)
        statements.clear()
        large = client.get("/incidents?include=sources,evidence,reports&limit=1000")
        n_large = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert small.status_code == large.status_code == 200
    assert len(large.json()["data"]) == 10
    assert n_small == n_large
    assert sum("FROM report" in s for s in statements) == 1


def test_detail(client: TestClient, world: World) -> None:
    response = client.get(f"/incidents/{world.incidents['hyesan']}")
    assert response.status_code == 200
    record = response.json()
    assert record["summary"].startswith("6 armed soldiers")
    assert len(record["sources"]) == 2 and len(record["reports"]) == 2 and len(record["evidence"]) == 4
    texts = {world.articles[name]: values["text"] for name, values in ARTICLES.items()}
    for span in record["evidence"]:
        assert texts[span["article_id"]][span["start"] : span["end"]] == span["text"]
    assert record["source_count"] == 2


def test_detail_of_an_incident_without_reports(client: TestClient, world: World) -> None:
    record = client.get(f"/incidents/{world.incidents['tampa']}").json()
    assert record["sources"] == [] and record["evidence"] == [] and record["reports"] == []


@pytest.mark.parametrize("path", ["/incidents/999999", "/incidents/0", "/incidents/-4"])
def test_detail_not_found(client: TestClient, world: World, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


@pytest.mark.parametrize(
    ("url", "status", "name"),
    [
        ("/incidents?limit=0", 422, "limit"),
        ("/incidents?limit=1001", 422, "limit"),
        ("/incidents?limit=ten", 422, "limit"),
        ("/incidents?limit=all", 422, "limit"),
        ("/incidents?date_from=2021-02-30", 422, "date_from"),
        ("/incidents?date_to=yesterday", 422, "date_to"),
        ("/incidents?date_from=2022-01-01&date_to=2021-01-01", 422, "date_to"),
        ("/incidents?origin=XXX", 422, "origin"),
        ("/incidents?origin=KOREA", 422, "origin"),
        ("/incidents?origin=%27%20OR%201%3D1%20--", 422, "origin"),
        ("/incidents?transit=CHN,ZZZ", 422, "transit"),
        ("/incidents?method=teleport", 422, "method"),
        ("/incidents?actor=alien", 422, "actor"),
        ("/incidents?outcome=vanished", 422, "outcome"),
        ("/incidents?date_precision=decade", 422, "date_precision"),
        ("/incidents?armed=maybe", 422, "armed"),
        ("/incidents?min_size=-1", 422, "min_size"),
        ("/incidents?min_size=5&max_size=2", 422, "max_size"),
        ("/incidents?min_confidence=1.5", 422, "min_confidence"),
        ("/incidents?bbox=1,2,3", 422, "bbox"),
        ("/incidents?bbox=a,b,c,d", 422, "bbox"),
        ("/incidents?bbox=0,95,1,96", 422, "bbox"),
        ("/incidents?bbox=0,10,1,5", 422, "bbox"),
        ("/incidents?bbox=200,10,201,11", 422, "bbox"),
        ("/incidents?bbox=nan,1,2,3", 422, "bbox"),
        ("/incidents?near=91,0", 422, "near"),
        ("/incidents?near=41.4", 422, "near"),
        ("/incidents?radius_km=10", 422, "radius_km"),
        ("/incidents?near=41,128&radius_km=0", 422, "radius_km"),
        ("/incidents?q=---", 422, "q"),
        ("/incidents?sort=name", 422, "sort"),
        ("/incidents?sort=date_start,-date_start", 422, "sort"),
        ("/incidents?sort=id;DROP%20TABLE%20incident", 422, "sort"),
        ("/incidents?fields=id,bogus", 422, "fields"),
        ("/incidents?include=everything", 422, "include"),
        ("/incidents?format=xml", 422, "format"),
        ("/incidents?orgin=PRK", 422, "orgin"),
        ("/incidents?updated_since=last%20week", 422, "updated_since"),
        ("/incidents?article_id=abc", 422, "article_id"),
        ("/incidents?cursor=garbage", 400, "cursor"),
        ("/incidents?cursor=eyJzIjoiaWQiLCJ2IjpbMV19.AAAAAAAAAAAAAAAAAAAAAA", 400, "cursor"),
        ("/incidents/abc", 422, "incident_id"),
    ],
)
def test_bad_parameters(client: TestClient, url: str, status: int, name: str) -> None:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["errors"][0]["name"] == name
    assert body["detail"].startswith(f"{name}:")


def test_cursor_is_tamper_evident_and_bound_to_its_sort(client: TestClient, world: World) -> None:
    cursor = parse_qs(urlsplit(client.get("/incidents?limit=2").json()["next"]).query)["cursor"][0]
    assert client.get(f"/incidents?limit=2&cursor={cursor}").status_code == 200
    body, signature = cursor.split(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature
    assert client.get(f"/incidents?cursor={forged}").status_code == 400
    other_sort = client.get(f"/incidents?sort=group_size&cursor={cursor}")
    assert other_sort.status_code == 400
    assert "sort" in other_sort.json()["detail"]
    assert client.get(f"/articles?cursor={cursor}").status_code == 400  # issued for another resource
