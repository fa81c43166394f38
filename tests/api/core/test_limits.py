"""Who a client is, for the rate limits: the socket's address, or what trusted proxies forwarded.

With ``TRUSTED_PROXY_HOPS=0`` (no proxy) a client's own ``X-Forwarded-For`` changes nothing;
behind N proxies, the address the Nth proxy from the right saw is the client, whatever a client
wrote further left. IPv6 clients count per /64. Bad settings stop the start.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from api import create_app
from api.core.config import ConfigError
from tests.conftest import TEST_SETTINGS

CODE = "7PH875FV+6R-2W"
PROXY = "10.0.0.1"


def code_status(client: FlaskClient, forwarded: str | None = None, remote: str = PROXY) -> int:
    """The status of a public (per-client limited) request from ``remote``."""
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    response = client.get(
        f"/v1/codes/{CODE}", headers=headers, environ_base={"REMOTE_ADDR": remote}
    )
    return response.status_code


@pytest.mark.app_config(RATELIMIT_PUBLIC="1/minute", TRUSTED_PROXY_HOPS=1)
def test_behind_a_proxy_each_forwarded_client_has_its_own_bucket(client: FlaskClient) -> None:
    assert code_status(client, "203.0.113.7") == 200
    assert code_status(client, "203.0.113.7") == 429
    assert code_status(client, "198.51.100.9") == 200  # another citizen, same proxy socket


@pytest.mark.app_config(RATELIMIT_PUBLIC="1/minute", TRUSTED_PROXY_HOPS=1)
def test_behind_a_proxy_a_forged_left_part_does_not_change_the_bucket(
    client: FlaskClient,
) -> None:
    # the proxy appends the address it saw; what the client wrote before it is not read
    assert code_status(client, "1.1.1.1, 203.0.113.7") == 200
    assert code_status(client, "2.2.2.2, 203.0.113.7") == 429
    assert code_status(client, "203.0.113.7") == 429


@pytest.mark.app_config(RATELIMIT_PUBLIC="1/minute")
def test_without_a_proxy_a_forged_forwarded_for_does_not_change_the_bucket(
    client: FlaskClient,
) -> None:
    assert code_status(client, "203.0.113.7", remote="192.0.2.10") == 200
    assert code_status(client, "198.51.100.9", remote="192.0.2.10") == 429
    assert code_status(client, None, remote="192.0.2.10") == 429
    assert code_status(client, "203.0.113.7", remote="192.0.2.11") == 200


@pytest.mark.app_config(RATELIMIT_PUBLIC="1/minute")
def test_ipv6_clients_count_per_64_network(client: FlaskClient) -> None:
    assert code_status(client, remote="2001:db8:0:1::1") == 200
    assert code_status(client, remote="2001:db8:0:1:ffff::2") == 429  # same /64
    assert code_status(client, remote="2001:db8:0:2::1") == 200
    assert code_status(client, remote="::ffff:192.0.2.5") == 200  # IPv4, as mapped
    assert code_status(client, remote="192.0.2.5") == 429


def _echo_app(app_settings: dict[str, Any], database_url: str, hops: int) -> Flask:
    """The app with a route that shows what it sees of the client."""
    app = create_app({**app_settings, "DATABASE_URL": database_url, "TRUSTED_PROXY_HOPS": hops})

    def seen() -> dict[str, Any]:
        return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}

    app.add_url_rule("/_seen", view_func=seen)
    return app


FORWARDED = {
    "X-Forwarded-For": "1.1.1.1, 203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.example",
}


@pytest.mark.parametrize(
    ("hops", "addr", "scheme"),
    [
        (0, PROXY, "http"),
        (1, "203.0.113.7", "https"),
        (2, "1.1.1.1", "http"),  # one X-Forwarded-Proto value is fewer than 2 hops: not taken
    ],
)
def test_trusted_hops_decide_the_client_and_scheme_never_the_host(
    app_settings: dict[str, Any], database_url: str, hops: int, addr: str, scheme: str
) -> None:
    client = _echo_app(app_settings, database_url, hops).test_client()
    seen = client.get("/_seen", headers=FORWARDED, environ_base={"REMOTE_ADDR": PROXY}).json
    assert seen == {"addr": addr, "scheme": scheme, "host": "localhost"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRUSTED_PROXY_HOPS", -1),
        ("RATELIMIT_USER", "lots"),
        ("RATELIMIT_BAD_KEY", "20/fortnight"),
        ("RATELIMIT_PRINT_RUN", ""),
    ],
)
def test_bad_limit_settings_stop_the_start(name: str, value: object) -> None:
    with pytest.raises(ConfigError, match=name):
        create_app({**TEST_SETTINGS, name: value})


def test_proxy_hops_must_be_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "one")
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_HOPS"):
        create_app(TEST_SETTINGS)
