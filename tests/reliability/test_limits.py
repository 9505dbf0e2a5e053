"""Each configured limit, at and past it: page size, filter values, query time budget, article size, body size."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from app.models import Incident, utcnow
from tests.conftest import ClientFactory


@pytest.fixture
def many_incidents(engine: Engine) -> Iterator[int]:
    now = utcnow()
    rows = [
        {"date_start": date(1990 + i % 35, 1 + i % 12, 1), "date_end": date(1990 + i % 35, 1 + i % 12, 28),
         "origin_country": "PRK", "destination_country": ("CHN", "KOR", "RUS")[i % 3], "method": "river",
         "transit_countries": [], "places": [], "curated_fields": [], "summary": f"incident {i}",
         "outcome": "crossed", "confidence": 0.5, "source_count": 1, "group_size": 1 + i % 9,
         "created_at": now, "updated_at": now}
        for i in range(40_000)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Incident.__table__), rows)  # type: ignore[attr-defined]
    yield len(rows)


@pytest.mark.parametrize(("limit", "status"), [(5, 200), (6, 422)])
def test_page_size_limit(make_client: ClientFactory, limit: int, status: int) -> None:
    with make_client(api_key="k", max_page_size=5) as client:
        response = client.get("/incidents", params={"limit": limit})
    assert response.status_code == status
    if status == 422:
        assert response.json()["errors"][0]["name"] == "limit"


@pytest.mark.parametrize(("values", "status"), [(3, 200), (4, 422)])
def test_filter_values_limit(make_client: ClientFactory, values: int, status: int) -> None:
    with make_client(api_key="k", max_filter_values=3) as client:
        response = client.get("/incidents", params={"origin": ",".join(["PRK", "CUB", "ERI", "RUS"][:values])})
    assert response.status_code == status


def test_query_time_budget(make_client: ClientFactory, many_incidents: int) -> None:
    with make_client(api_key="k", query_timeout_ms=1) as client:
        slow = client.get("/stats", params={"group_by": "year,destination"})
    assert slow.status_code == 503, slow.text
    assert slow.headers["content-type"] == "application/problem+json"
    assert "QUERY_TIMEOUT_MS" in slow.json()["detail"] and slow.headers["Retry-After"]
    with make_client(api_key="k") as client:
        fine = client.get("/stats", params={"group_by": "year,destination"})
    assert fine.status_code == 200
    assert sum(row["incidents"] for row in fine.json()["data"]) == many_incidents


@pytest.mark.parametrize(("chars", "status"), [(2000, 201), (2001, 422)])
def test_article_size_limit(make_client: ClientFactory, chars: int, status: int) -> None:
    sentence = "A North Korean soldier crossed the Yalu River into China on Monday. "
    text = (sentence * (chars // len(sentence) + 1))[:chars]
    with make_client(api_key="k", max_article_chars=2000) as client:
        response = client.post("/articles", json={"text": text, "published": "2021-03-25"}, headers={"X-API-Key": "k"})
    assert response.status_code == status, response.text


@pytest.mark.parametrize(("size", "status"), [(1500, 201), (1501, 413)])
def test_body_size_limit(make_client: ClientFactory, size: int, status: int) -> None:
    skeleton = b'{"published": "2021-03-25", "text": ""}'
    filler = b"A soldier defected across the DMZ. " * 60
    text = filler[: size - len(skeleton)]
    body = skeleton.replace(b'"text": ""', b'"text": "' + text + b'"')
    assert len(body) == size
    with make_client(api_key="k", max_body_bytes=1500) as client:
        response = client.post(
            "/articles", content=body, headers={"X-API-Key": "k", "content-type": "application/json"}
        )
    assert response.status_code == status, response.text
