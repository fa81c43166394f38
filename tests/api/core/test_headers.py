"""No cache keeps personal data or tokens, and a public HTTPS service insists on HTTPS."""

from __future__ import annotations

import base64
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.core.config import ConfigError, from_environment, validate
from registry.access import create_user
from tests.conftest import Tester
from tests.support.field import Field

HSTS = "max-age=31536000; includeSubDomains"
ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "correct horse battery"


@pytest.fixture
def household(official: Field) -> dict[str, Any]:
    return official.register(house_number="9")


# (method, url, body, status): answers with personal data or credentials, and their problems.
PERSONAL: list[tuple[str, str, Any, int]] = [
    ("GET", "/v1/households/{id}", None, 200),
    ("GET", "/v1/households", None, 200),
    ("GET", "/v1/households/{id}/history", None, 200),
    ("GET", "/v1/audit", None, 200),
    ("GET", "/v1/addresses/{code}/history", None, 200),
    ("PATCH", "/v1/households/{id}", {"members": 3}, 412),  # `current` holds the record
    (
        "POST",
        "/v1/sync",
        {"operations": [{"op": "dissolve", "id": "{id}", "base_version": 1}]},
        200,
    ),
    ("GET", f"/v1/households/{uuid.uuid4()}", None, 404),
    ("GET", "/v1/households?since=x", None, 422),
]


def _fill(value: Any, household: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(id=household["id"], code=household["code"])
    if isinstance(value, dict):
        return {key: _fill(item, household) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, household) for item in value]
    return value


@pytest.mark.parametrize(("method", "url", "body", "status"), PERSONAL)
def test_answers_with_personal_data_are_never_stored(
    official: Field, household: dict[str, Any], method: str, url: str, body: Any, status: int
) -> None:
    response = official.client.open(
        _fill(url, household),
        method=method,
        json=_fill(body, household),
        headers=official.headers(If_Match='"7"'),
    )
    assert response.status_code == status, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"


def test_token_answers_are_never_stored(tester: Tester, client: FlaskClient) -> None:
    username = f"headers-{uuid.uuid4().hex[:8]}"
    create_user(tester.db, username, PASSWORD, "official", ("07210",))
    tester.db.flush()
    good = client.post("/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert good.status_code == 200
    assert good.headers["Cache-Control"] == "no-store"
    wrong = client.post("/v1/auth/token", json={"username": username, "password": "wrong one"})
    assert wrong.status_code == 401
    assert wrong.headers["Cache-Control"] == "no-store"
    token = good.get_json()["access_token"]
    revoked = client.post("/v1/auth/revoke", headers=tester.auth(token))
    assert revoked.status_code == 204
    assert revoked.headers["Cache-Control"] == "no-store"


def test_public_answers_keep_their_own_caching(
    client: FlaskClient, household: dict[str, Any]
) -> None:
    response = client.get(f"/v1/codes/{household['code']}")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    qr = client.get(f"/v1/addresses/{household['code']}/qr.svg")
    assert qr.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    "url", ["/v1/admin-units/07210", "/healthz", "/v1/nothing-here", "/openapi.json"]
)
def test_an_https_service_sends_hsts_on_every_answer(client: FlaskClient, url: str) -> None:
    assert client.get(url).headers["Strict-Transport-Security"] == HSTS


@pytest.mark.app_config(PUBLIC_BASE_URL="http://127.0.0.1:8000")
def test_a_plain_http_service_sends_no_hsts(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


SECRET = "s" * 40
PII_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize(
    ("environ", "refused"),
    [
        ({}, True),  # the default PUBLIC_BASE_URL is http://127.0.0.1:8000
        ({"PUBLIC_BASE_URL": "http://diachi.example.vn"}, True),
        ({"PUBLIC_BASE_URL": "http://127.0.0.1:8000", "ALLOW_HTTP_BASE_URL": "1"}, False),
        ({"PUBLIC_BASE_URL": "https://diachi.example.vn"}, False),
        ({"REGISTRY_ENV": "development"}, False),
    ],
)
def test_production_refuses_a_plain_http_base_url(environ: dict[str, str], refused: bool) -> None:
    config = from_environment({"SECRET_KEY": SECRET, "PII_KEY": PII_KEY, **environ})
    if refused:
        with pytest.raises(ConfigError, match="ALLOW_HTTP_BASE_URL=1"):
            validate(config)
    else:
        validate(config)


def test_the_http_switch_takes_only_0_or_1() -> None:
    with pytest.raises(ConfigError, match="ALLOW_HTTP_BASE_URL must be 0 or 1"):
        from_environment({"SECRET_KEY": SECRET, "ALLOW_HTTP_BASE_URL": "yes"})


def test_the_local_run_allows_its_plain_http(tmp_path: Path) -> None:
    settings = tmp_path / "registry.env"
    subprocess.run(  # noqa: S603 (the project's own script, with a fixed argument list)
        ["/bin/bash", str(ROOT / "scripts/settings.sh"), str(settings)],
        check=True,
        env={"PATH": "/usr/bin:/bin", "RATELIMIT_STORAGE_URI": "memory://", "WORKERS": "1"},
    )
    lines = settings.read_text().splitlines()
    assert "ALLOW_HTTP_BASE_URL=1" in lines
    environ = {"PII_KEY": PII_KEY, **dict(line.split("=", 1) for line in lines)}
    validate(from_environment(environ))  # what `make run` starts with: accepted
