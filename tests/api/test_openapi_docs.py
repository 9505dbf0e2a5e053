"""The query API documents itself: every parameter, response and error has a description and an example."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

QUERY_PATHS = ["/incidents", "/incidents/{incident_id}", "/stats", "/places", "/articles", "/articles/{article_id}"]


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", QUERY_PATHS)
def test_every_parameter_has_a_description_and_an_example(spec: dict[str, Any], path: str) -> None:
    operation = spec["paths"][path]["get"]
    assert operation["summary"] and operation["description"]
    assert operation["parameters"]
    for parameter in operation["parameters"]:
        assert parameter.get("description"), f"{path} {parameter['name']} has no description"
        examples = parameter.get("example") or parameter.get("examples") or parameter["schema"].get("examples")
        assert examples, f"{path} {parameter['name']} has no example"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", QUERY_PATHS)
def test_every_response_is_described_with_an_example(spec: dict[str, Any], path: str) -> None:
    responses = spec["paths"][path]["get"]["responses"]
    assert "422" in responses
    for status, response in responses.items():
        assert response.get("description"), f"{path} {status}"
        if status == "200":
            assert response["content"]["application/json"].get("example"), f"{path} has no example answer"
        else:
            assert "application/problem+json" in response["content"], f"{path} {status} is not problem+json"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_exports_are_documented(spec: dict[str, Any]) -> None:
    content = spec["paths"]["/incidents"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv", "application/x-ndjson", "application/geo+json"} <= set(content)
    assert "text/csv" in spec["paths"]["/stats"]["get"]["responses"]["200"]["content"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "schema", ["IncidentPublic", "IncidentDetail", "IncidentList", "ArticlePublic", "ArticleDetail", "PlacePublic"]
)
def test_schema_fields_are_described(spec: dict[str, Any], schema: str) -> None:
    properties = spec["components"]["schemas"][schema]["properties"]
    for name, prop in properties.items():
        assert prop.get("description"), f"{schema}.{name} has no description"
