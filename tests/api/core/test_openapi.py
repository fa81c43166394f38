"""The OpenAPI document describes the sync, history and life-event endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from marshmallow import Schema

from api.v1.schemas import (
    REGISTRATION_EXAMPLE,
    BatchIn,
    HouseholdIn,
    SyncBatchIn,
    ValidateIn,
)
from tests.conftest import Tester
from tests.support.field import json_of

EXPECTED = {
    ("/v1/households", "get"): {"200", "401", "403", "422"},
    ("/v1/households", "post"): {"201", "409", "422"},
    ("/v1/households/{household_id}", "patch"): {"200", "409", "412", "422", "428"},
    ("/v1/households/{household_id}", "delete"): {"200", "409", "412"},
    ("/v1/households/{household_id}/move", "post"): {"200", "201", "409", "412"},
    ("/v1/households/{household_id}/history", "get"): {"200", "404"},  # 404 out of scope too
    ("/v1/addresses/{code}", "patch"): {"200", "409", "412", "428"},
    ("/v1/addresses/{code}/retire", "post"): {"200", "409", "422"},
    ("/v1/addresses/{code}/history", "get"): {"200", "403", "404"},
    ("/v1/audit", "get"): {"200", "403"},
    ("/v1/sync", "post"): {"200", "409", "422"},
}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_operations_and_statuses_are_documented(client: FlaskClient) -> None:
    spec = json_of(client.get("/openapi.json"))
    for (path, method), statuses in EXPECTED.items():
        operation = spec["paths"][path][method]
        assert statuses <= set(operation["responses"]), (path, method)


def test_headers_and_operation_formats_are_documented(client: FlaskClient) -> None:
    spec = json_of(client.get("/openapi.json"))
    paths = spec["paths"]
    patch = paths["/v1/households/{household_id}"]["patch"]
    assert "If-Match" in [parameter["name"] for parameter in patch["parameters"]]
    create = paths["/v1/households"]["post"]
    assert "Idempotency-Key" in [parameter["name"] for parameter in create["parameters"]]
    operation = spec["components"]["schemas"]["SyncOperationIn"]
    formats = operation["properties"]["data"]["oneOf"]
    assert [variant["title"] for variant in formats] == [
        "create",
        "update",
        "move",
        "dissolve",
        "correct_address",
    ]


def test_every_reference_resolves(client: FlaskClient) -> None:
    spec = json_of(client.get("/openapi.json"))
    for ref in _refs(spec):
        _, section, kind, name = ref.split("/")
        assert section == "components", ref
        assert name in spec["components"][kind], ref


EXAMPLES = [
    ("/v1/households", "post", HouseholdIn),
    ("/v1/sync", "post", SyncBatchIn),
    ("/v1/validate", "post", ValidateIn),
    ("/v1/validate/batch", "post", BatchIn),
]


@pytest.mark.parametrize(("path", "method", "schema"), EXAMPLES)
def test_request_examples_are_documented_and_valid(
    client: FlaskClient, path: str, method: str, schema: type[Schema]
) -> None:
    spec = json_of(client.get("/openapi.json"))
    body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
    assert schema().validate(body["example"]) == {}


def test_the_registration_example_registers(tester: Tester) -> None:
    token = tester.user()
    response = tester.client.post(
        "/v1/households", json=REGISTRATION_EXAMPLE, headers=tester.auth(token)
    )
    assert response.status_code == 201, response.json
