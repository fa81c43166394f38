"""The OpenAPI document tells the truth: schemathesis runs every check against a real server.

The server answers on a free port from a database of its own (``*_contract_test``, created
fresh), with an official's bearer token, a business's API key and a few households, and rate
limits so generous that no generated request meets one. schemathesis (its CLI, in a
subprocess) reads ``/openapi.json`` and sends a bounded number of generated requests to every
operation, with both credentials and a fixed seed, then every check (status codes, content
types, headers and bodies against the document, negative data rejected, positive data
accepted, 405s with ``Allow``, auth not ignored, ...). Any failure fails the test.

``/v1/auth/revoke`` is left out of that run (revoking the shared token would turn every later
request into a 401) and tested on its own below.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler, make_server

from api import create_app
from registry import migrate
from registry.access import create_client, create_user, issue_token
from registry.admin_units import load_catalogue
from tests.conftest import TEST_SETTINGS, Tester, _test_database_url, recreate_database

#: Where the document's known gaps are written down, each with its reason.
CONFIG = Path(__file__).with_name("schemathesis.toml")
COMMUNE = "07210"
PASSWORD = "correct horse battery"
#: Generous limits: schemathesis must never meet a 429 it did not ask for.
LIMITS = {
    "RATELIMIT_PUBLIC": "1000000/minute",
    "RATELIMIT_LOGIN": "1000000/minute",
    "RATELIMIT_BAD_KEY": "1000000/minute",
    "RATELIMIT_USER": "1000000/minute",
    "RATELIMIT_PRINT_RUN": "1000000/minute",
}
#: Fixed seed and a bound on the examples of each operation (about two minutes on 2 cores).
SEED = 20250701
MAX_EXAMPLES = 15
#: Points of the seeded households in Phường Bắc Giang, far enough apart not to be duplicates.
SEED_POINTS = [(21.2849 + 0.0004 * i, 106.215 + 0.0003 * i) for i in range(4)]


@dataclass(frozen=True, slots=True)
class ContractServer:
    """The app on a real port, and the credentials schemathesis sends."""

    base_url: str
    token: str
    api_key: str
    username: str


class QuietHandler(WSGIRequestHandler):
    """No access log: thousands of generated requests would bury the summary."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing."""


def _contract_database_url() -> str:
    """The suite's test database URL with its name turned into ``<name>_contract_test``."""
    url = make_url(_test_database_url())
    name = (url.database or "registry_test").removesuffix("_test")
    return url.set(database=f"{name}_contract_test").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def contract_server() -> Iterator[ContractServer]:
    """A fresh database with an official, a business and households, served on a free port."""
    url = _contract_database_url()
    recreate_database(url)
    migrate.upgrade(url)
    engine = create_engine(url)
    username = "contract-official"
    with Session(engine) as db:
        load_catalogue(db)
        create_user(db, username, PASSWORD, "official", [COMMUNE])
        token, _ = issue_token(db, username, PASSWORD, timedelta(hours=1))
        _, api_key = create_client(db, "Contract shop", "1000000/minute")
        db.commit()
    app = create_app({**TEST_SETTINGS, "DATABASE_URL": url, **LIMITS})
    with Session(engine) as db:
        tester = Tester(db, app.test_client())
        for index, (lat, lon) in enumerate(SEED_POINTS):
            tester.add_household(token, lat=lat, lon=lon, house_number=str(10 + index))
    engine.dispose()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, name="contract-server", daemon=True)
    thread.start()
    try:
        yield ContractServer(base_url, token, api_key, username)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@dataclass(frozen=True, slots=True)
class Reply:
    """A response of the live server."""

    status: int
    content_type: str
    body: bytes


def call(method: str, url: str, headers: dict[str, str], body: bytes | None = None) -> Reply:
    """Send a request with the standard library (4xx and 5xx are replies, not errors)."""
    request = urllib.request.Request(url, body, headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http only)
            return Reply(response.status, response.headers["Content-Type"] or "", response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers["Content-Type"] or "", error.read())


def _schemathesis() -> str:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("schemathesis is required (requirements-dev.txt)")
    return found


def test_the_document_tells_the_truth(
    contract_server: ContractServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = [
        _schemathesis(),
        "--no-color",
        "--config-file",
        str(CONFIG),
        "run",
        f"{contract_server.base_url}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {contract_server.token}",
        "--header",
        f"X-API-Key: {contract_server.api_key}",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--exclude-path",
        "/v1/auth/revoke",
        "--generation-database",
        "none",
        # one worker: CPython 3.11's parser is not thread-safe for hypothesis' lambda names
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 (our own tool and arguments)
        command, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
    )
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    generated = re.search(r"Test cases:\s*(\d+) generated", output)
    with capsys.disabled():
        print(f"\nschemathesis ({elapsed:.0f} s):\n{output}")
        if generated:
            print(f"schemathesis generated {generated.group(1)} test cases")
    assert generated is not None, output
    assert result.returncode == 0, output


def test_revoking_a_token_stops_it_at_once(contract_server: ContractServer) -> None:
    base = contract_server.base_url
    credentials = {"username": contract_server.username, "password": PASSWORD}
    login = call(
        "POST",
        f"{base}/v1/auth/token",
        {"Content-Type": "application/json"},
        json.dumps(credentials).encode(),
    )
    assert login.status == 200, login.body
    headers = {"Authorization": f"Bearer {json.loads(login.body)['access_token']}"}
    assert call("GET", f"{base}/v1/audit", headers).status == 200
    revoked = call("POST", f"{base}/v1/auth/revoke", headers)
    assert revoked.status == 204, revoked.body
    after = call("GET", f"{base}/v1/audit", headers)
    assert (after.status, after.content_type) == (401, "application/problem+json")
    assert call("POST", f"{base}/v1/auth/revoke", headers).status == 401
    # one revocation stops one token: the one schemathesis used still works
    other = {"Authorization": f"Bearer {contract_server.token}"}
    assert call("GET", f"{base}/v1/audit", other).status == 200
