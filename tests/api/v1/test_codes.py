"""Public code information (no database) and the offline validator served to apps."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from api.v1.codes import OFFLINE_SCRIPT, STATIC_DIR
from geo.code import AddressCode
from geo.point import Point
from tests.geo.test_code import ACCEPTED, REJECTED, VECTORS
from tests.geo.test_code_js import assert_same, python_parse, random_inputs
from tests.support.business import body

#: Runs the script given as argv[1] over {"parse": [...]} on stdin.
NODE_RUNNER = """
const AddressCode = require(process.argv[1]);
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const texts = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  process.stdout.write(JSON.stringify(texts.map((t) => AddressCode.parse(t))));
});
"""


@pytest.mark.parametrize(("lat", "lon", "sequence", "canonical", "display"), VECTORS)
def test_design_vectors(
    client: FlaskClient, lat: float, lon: float, sequence: str, canonical: str, display: str
) -> None:
    response = client.get(f"/v1/codes/{quote(display)}")
    assert response.status_code == 200
    data = body(response)
    code = AddressCode.parse(canonical)
    bounds = code.bounds()
    assert data == {
        "code": canonical,
        "display_code": display,
        "unit": None,
        "plus_code": code.plus_code,
        "local_code": code.local_form(),
        "sequence": sequence,
        "check_symbol": canonical[-1],
        "check": "passed",
        "cell": {
            "south": bounds.south,
            "west": bounds.west,
            "north": bounds.north,
            "east": bounds.east,
        },
        "center": {"lat": bounds.center.lat, "lon": bounds.center.lon},
        "in_vietnam": True,
    }
    assert bounds.south <= lat <= bounds.north and bounds.west <= lon <= bounds.east


@pytest.mark.parametrize(("typed", "canonical"), ACCEPTED)
def test_loose_input(client: FlaskClient, typed: str, canonical: str) -> None:
    response = client.get(f"/v1/codes/{quote(typed.strip())}")
    assert response.status_code == 200
    assert body(response)["code"] == canonical


@pytest.mark.parametrize(("typed", "reason", "words"), REJECTED)
def test_rejected_input_is_422(
    client: FlaskClient, typed: str, reason: str, words: list[str]
) -> None:
    response = client.get(f"/v1/codes/{quote(typed, safe='')}")
    if not typed.strip(" /"):
        assert response.status_code in {404, 422}
        return
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert body(response)["type"].endswith(f"invalid-code-{reason}")


def test_code_outside_vietnam(client: FlaskClient) -> None:
    paris = AddressCode.encode(Point(lon=2.3522, lat=48.8566), "2")
    data = body(client.get(f"/v1/codes/{paris.canonical}"))
    assert (data["code"], data["in_vietnam"]) == (paris.canonical, False)


def served(client: FlaskClient, headers: dict[str, str] | None = None) -> tuple[int, bytes, Any]:
    with client.get("/v1/offline/addresscode.js", headers=headers or {}) as response:
        return response.status_code, response.get_data(), response.headers


def test_offline_validator_is_served_with_caching_headers(client: FlaskClient) -> None:
    status, script, headers = served(client)
    assert status == 200
    assert script == (STATIC_DIR / OFFLINE_SCRIPT).read_bytes()
    assert headers["Content-Type"].startswith("text/javascript")
    assert "public" in headers["Cache-Control"] and "max-age=86400" in headers["Cache-Control"]
    assert headers["Access-Control-Allow-Origin"] == "*"
    again, empty, _ = served(client, {"If-None-Match": headers["ETag"]})
    assert (again, empty) == (304, b"")


def test_served_validator_agrees_with_python(client: FlaskClient, tmp_path: Path) -> None:
    """The bytes the service serves, run by Node on fixed vectors and 2,000 random inputs."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the offline validator cannot be tested")
    script = tmp_path / OFFLINE_SCRIPT
    script.write_bytes(served(client)[1])
    rng = random.Random(20251126)  # noqa: S311 -- reproducible test data
    texts, _ = random_inputs(rng, 500)
    texts = [display for *_, display in VECTORS] + [t for t, _ in ACCEPTED] + texts
    completed = subprocess.run(  # noqa: S603 -- fixed argv: node, an inline script, a temp file
        [node, "-e", NODE_RUNNER, str(script)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)
    assert len(results) == len(texts) >= 2000
    for text, actual in zip(texts, results, strict=True):
        assert_same(text, python_parse(text), actual)


def test_openapi_documents_the_business_api(client: FlaskClient) -> None:
    spec = body(client.get("/openapi.json"))
    assert spec["components"]["securitySchemes"]["apiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "Business API key (`flask api-keys create`)",
    }
    for path, method in (
        ("/v1/validate", "post"),
        ("/v1/validate/batch", "post"),
        ("/v1/reverse", "get"),
        ("/v1/search", "get"),
    ):
        operation = spec["paths"][path][method]
        assert operation["security"] == [{"apiKeyAuth": []}], path
        assert {"200", "401", "403", "422", "429"} <= operation["responses"].keys(), path
    assert "security" not in spec["paths"]["/v1/codes/{code}"]["get"]
    assert "/v1/offline/addresscode.js" in spec["paths"]
