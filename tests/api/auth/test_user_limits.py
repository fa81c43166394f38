"""Per-user limits of officials and admins: every bearer request, and print runs.

Every request that authenticates with a token counts against its user's ``RATELIMIT_USER``,
whatever the endpoint and whatever address it comes from; a print run also against the
user's ``RATELIMIT_PRINT_RUN``. Past either, 429 problem+json with Retry-After.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import Tester
from tests.support.business import body
from tests.support.field import Field

EMPTY_COMMUNE = "07672"  # no address: its print run is a quick 404
PRINT_RUN = f"/v1/admin-units/{EMPTY_COMMUNE}/plates.pdf"


def assert_429(response: TestResponse) -> dict[str, Any]:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    seconds = int(response.headers["Retry-After"])
    problem: dict[str, Any] = body(response)
    assert problem["status"] == 429
    assert 0 < seconds <= 3600
    return problem


@pytest.mark.app_config(RATELIMIT_USER="3/minute")
def test_every_bearer_request_counts_against_its_user(official: Field, colleague: Field) -> None:
    assert official.get("/v1/households?commune=07210").status_code == 200
    assert official.get("/v1/audit?commune=07210").status_code == 200
    assert official.get(f"/v1/households/{uuid.uuid4()}").status_code == 404  # counted too
    problem = assert_429(official.get("/v1/households?commune=07210"))
    assert "3/minute" in problem["detail"]
    assert_429(official.get("/v1/audit?commune=07210"))
    assert colleague.get("/v1/households?commune=07210").status_code == 200


@pytest.mark.app_config(RATELIMIT_USER="2/minute")
def test_the_user_limit_follows_the_user_not_the_address(
    official: Field, client: FlaskClient
) -> None:
    for address in ("192.0.2.1", "192.0.2.2"):
        response = client.get(
            "/v1/households?commune=07210",
            headers=official.headers(),
            environ_base={"REMOTE_ADDR": address},
        )
        assert response.status_code == 200
    third = client.get(
        "/v1/households?commune=07210",
        headers=official.headers(),
        environ_base={"REMOTE_ADDR": "192.0.2.3"},
    )
    assert_429(third)


@pytest.mark.app_config(RATELIMIT_USER="2/minute")
def test_requests_without_a_good_token_are_not_counted_against_a_user(
    official: Field, client: FlaskClient
) -> None:
    for _ in range(4):
        response = client.get(
            "/v1/households?commune=07210", headers={"Authorization": "Bearer not-a-token"}
        )
        assert response.status_code == 401
    assert [official.get("/v1/audit?commune=07210").status_code for _ in range(2)] == [200, 200]


@pytest.mark.app_config(RATELIMIT_PRINT_RUN="2/hour")
def test_print_runs_have_a_per_user_limit_of_their_own(tester: Tester, client: FlaskClient) -> None:
    token = tester.user(communes=(EMPTY_COMMUNE,))
    other = tester.user(communes=(EMPTY_COMMUNE,))
    runs = [client.get(PRINT_RUN, headers=tester.auth(token)) for _ in range(2)]
    assert [run.status_code for run in runs] == [404, 404]  # counted, whatever the answer
    problem = assert_429(client.get(PRINT_RUN, headers=tester.auth(token)))
    assert "print-run" in problem["detail"]
    # the user's other requests are not print runs; another user still prints
    audit = client.get(f"/v1/audit?commune={EMPTY_COMMUNE}", headers=tester.auth(token))
    assert audit.status_code == 200
    assert client.get(PRINT_RUN, headers=tester.auth(other)).status_code == 404


@pytest.mark.app_config(RATELIMIT_PRINT_RUN="1/hour")
def test_a_print_run_needs_a_token_before_it_is_counted(
    tester: Tester, client: FlaskClient
) -> None:
    assert client.get(PRINT_RUN).status_code == 401
    token = tester.user(communes=(EMPTY_COMMUNE,))
    assert client.get(PRINT_RUN, headers=tester.auth(token)).status_code == 404
