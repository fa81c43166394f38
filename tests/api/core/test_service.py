"""Service-wide behaviour: problem details, health probes, OpenAPI and offline docs."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from api import create_app
from api.core.config import ConfigError


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [("GET", "/v1/nothing-here", 404), ("DELETE", "/v1/auth/token", 405)],
)
def test_routing_errors_are_problems(
    client: FlaskClient, method: str, url: str, status: int
) -> None:
    response = client.open(url, method=method)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body is not None
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    # No read replica configured: the primary alone (api/core/health.py).
    assert client.get("/readyz").json == {
        "status": "ready",
        "primary": {"state": "up"},
        "replica": None,
    }


def test_database_down_is_503(app_settings: dict[str, Any]) -> None:
    app = create_app(
        {**app_settings, "DATABASE_URL": "postgresql+psycopg2://postgres@127.0.0.1:1/none"}
    )
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["Retry-After"] == "5"
    assert ready.json is not None and ready.json["primary"] == {"state": "down"}
    response = client.get("/v1/addresses/7PH875FV+6R-2W")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    text = response.get_data(as_text=True)
    assert "psycopg2" not in text and "SELECT" not in text and "127.0.0.1" not in text


def test_request_id_is_echoed(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert response.headers["X-Request-Id"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-Id": "bad id <script>"})
    assert len(generated.headers["X-Request-Id"]) == 32


def test_openapi_validates_and_documents_errors(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    assert spec is not None
    validate(spec)
    post = spec["paths"]["/v1/households"]["post"]
    assert {"201", "401", "403", "409", "422"} <= post["responses"].keys()
    assert post["security"] == [{"bearerAuth": []}]


def test_docs_use_local_assets(client: FlaskClient) -> None:
    page = client.get("/docs").get_data(as_text=True)
    assert "cdn" not in page.lower()
    assert "/docs/assets/swagger-ui-bundle.js" in page
    with client.get("/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200
        assert len(asset.get_data()) > 100_000


@pytest.mark.parametrize("secret", ["", "changeme", "short"])
def test_production_refuses_a_placeholder_secret(secret: str) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"REGISTRY_ENV": "production", "SECRET_KEY": secret})


def test_limiter_store_down_does_not_fail_requests(
    app_settings: dict[str, Any], database_url: str
) -> None:
    app = create_app(
        {
            **app_settings,
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
        }
    )
    response = app.test_client().get("/v1/admin-units/07210")
    assert response.status_code == 200
