"""The nginx site of deploy/nginx/ in front of the production server, over real TLS.

One stack for the module: a cluster, a Redis, scripts/serve.sh with ``TRUSTED_PROXY_HOPS=1``
and an https ``PUBLIC_BASE_URL``, and nginx with the site filled in as an administrator would
(a certificate of a test authority, ports of the test's own). Each test sends from a loopback
address of its own, so each has its own per-IP budget of the small public rate limit.
"""

from __future__ import annotations

import gzip
import itertools
import re
import socket
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from api.core.headers import HSTS
from tests.deploy.support import PROBLEM, Client, Nginx, Tls, free_ports, make_tls, tool
from tests.faults.support import COMMUNE, Stack, household_body, running_stack, until

#: The per-IP limit of public endpoints here: small enough to spend within a test.
PUBLIC_LIMIT = 5
#: The app's MAX_BODY_BYTES (its default) and nginx's client_max_body_size.
MAX_BODY = 1024 * 1024
HOUSEHOLDS = 4
TYPED = "Nguyễn Thị Lan 0912345678"
TYPE_BASE = "https://diachiso.example.vn/problems/"


@dataclass
class Site:
    """The running stack behind nginx, the test authority, and a household's codes."""

    stack: Stack
    nginx: Nginx
    tls: Tls
    https_port: int
    http_port: int
    base_url: str
    codes: list[str] = field(default_factory=list)
    _sources: Iterator[int] = field(default_factory=lambda: itertools.count(2))

    def client(self) -> Client:
        """An HTTPS client from a loopback address no other client of the module uses."""
        return Client(f"127.0.0.{next(self._sources)}", self.https_port, self.tls.context())

    def plain_client(self) -> Client:
        """A plain-HTTP client (port 80 of the site)."""
        return Client(f"127.0.0.{next(self._sources)}", self.http_port, None)

    def bearer(self) -> dict[str, str]:
        """The official's Authorization header."""
        return {"Authorization": f"Bearer {self.stack.token}"}

    def server_log(self) -> str:
        """What the production server logged so far."""
        return self.stack.server.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("deploy")
    http_port, https_port = free_ports(2)
    base_url = f"https://127.0.0.1:{https_port}"
    settings = {
        "TRUSTED_PROXY_HOPS": "1",
        "PUBLIC_BASE_URL": base_url,
        "RATELIMIT_PUBLIC": f"{PUBLIC_LIMIT}/minute",
    }
    with running_stack(tmp, settings) as stack:
        tls = make_tls(tmp / "tls")
        nginx = Nginx(
            tmp / "nginx",
            {
                "SERVER_NAME": "localhost",
                "PUBLIC_BASE_URL": base_url,
                "HTTPS_LISTEN": f"127.0.0.1:{https_port}",
                "HTTP_LISTEN": f"127.0.0.1:{http_port}",
                "UPSTREAM": f"127.0.0.1:{stack.port}",
                "CERT": str(tls.cert),
                "CERT_KEY": str(tls.key),
                "CACHE_DIR": str(tmp / "nginx" / "cache"),
                "LOG_DIR": str(tmp / "nginx" / "logs"),
            },
        )
        try:
            nginx.start(https_port)
            site = Site(stack, nginx, tls, https_port, http_port, base_url)
            _register(site)
            yield site
        finally:
            nginx.stop()


def _register(site: Site) -> None:
    """Register :data:`HOUSEHOLDS` households in the commune, through nginx."""
    client = site.client()
    for n in range(1, HOUSEHOLDS + 1):
        headers = {**site.bearer(), "Idempotency-Key": str(uuid.uuid4())}
        answer = client.post_json("/v1/households", household_body(n), headers)
        assert answer.status == 201, answer
        site.codes.append(str(answer.json()["code"]))


def test_nginx_accepts_the_filled_in_site(site: Site) -> None:
    result = site.nginx.check()
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert "[warn]" not in result.stderr
    assert "[emerg]" not in result.stderr


def test_a_lookup_works_over_https_and_the_app_sends_hsts(site: Site) -> None:
    answer = site.client().get(f"/v1/addresses/{site.codes[0]}")
    assert answer.status == 200, answer
    assert answer.json()["code"] == site.codes[0]
    assert "head" not in answer.json()
    # HSTS comes from the app (PUBLIC_BASE_URL is https), once: nginx adds none of its own.
    assert answer.headers.get_all("Strict-Transport-Security") == [HSTS]
    assert answer.header("Server") == "nginx"  # no version


def test_tls_is_1_2_or_1_3_with_http2_offered(site: Site) -> None:
    context = site.tls.context()
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection(("127.0.0.1", site.https_port)) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.version() == "TLSv1.3"
        assert tls.selected_alpn_protocol() == "h2"
    old = site.tls.context()
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    with (
        socket.create_connection(("127.0.0.1", site.https_port)) as raw,
        old.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.version() == "TLSv1.2"
        cipher = tls.cipher()
        assert cipher is not None
        assert cipher[0].startswith("ECDHE-") and ("GCM" in cipher[0] or "CHACHA" in cipher[0])


@pytest.mark.parametrize(
    ("version", "ciphers", "alert"),
    [
        pytest.param(
            ssl.TLSVersion.TLSv1_1,
            "DEFAULT:@SECLEVEL=0",
            "alert protocol version",
            id="tls-1.1",
            # Python warns about asking for it, which is what this test does.
            marks=pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1:DeprecationWarning"),
        ),
        pytest.param(
            ssl.TLSVersion.TLSv1_2, "AES128-SHA:@SECLEVEL=0", "alert handshake failure", id="cbc"
        ),
    ],
)
def test_old_protocols_and_weak_ciphers_are_refused(
    site: Site, version: ssl.TLSVersion, ciphers: str, alert: str
) -> None:
    # The server's alert: the client itself would have offered them.
    context = site.tls.context()
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.maximum_version = version
    context.set_ciphers(ciphers)
    with (
        socket.create_connection(("127.0.0.1", site.https_port)) as raw,
        pytest.raises(ssl.SSLError, match=alert),
    ):
        context.wrap_socket(raw, server_hostname="127.0.0.1")


def test_plain_http_redirects_to_the_public_https_url(site: Site) -> None:
    path = f"/a/{site.codes[0]}?lang=en"
    answer = site.plain_client().get(path, {"Host": "attacker.example"})
    assert answer.status == 301, answer
    assert answer.header("Location") == site.base_url + path


def test_a_forged_x_forwarded_for_does_not_choose_the_rate_limit_identity(site: Site) -> None:
    client = site.client()
    path = f"/v1/codes/{site.codes[0]}"
    remaining = []
    for i in range(PUBLIC_LIMIT):
        forged = {"X-Forwarded-For": f"203.0.113.{i + 1}"} if i % 2 else {"X-Forwarded-For": ""}
        answer = client.get(path, forged)
        assert answer.status == 200, answer
        remaining.append(answer.header("X-RateLimit-Remaining"))
    # Every forged address and none spent the one budget of the client's own address.
    assert remaining == [str(PUBLIC_LIMIT - 1 - i) for i in range(PUBLIC_LIMIT)]
    refused = client.get(path, {"X-Forwarded-For": "198.51.100.7"})
    assert refused.status == 429, refused
    assert refused.content_type == PROBLEM
    assert refused.header("Retry-After")
    # Another client naming the spent address is itself, with a full budget.
    other = site.client().get(path, {"X-Forwarded-For": client.source})
    assert other.status == 200, other
    assert other.header("X-RateLimit-Remaining") == str(PUBLIC_LIMIT - 1)


def test_a_second_qr_request_is_served_from_nginx_cache(site: Site) -> None:
    client = site.client()
    code = site.codes[1]
    for kind, media_type in (("png", "image/png"), ("svg", "image/svg+xml")):
        path = f"/v1/addresses/{code}/qr.{kind}"
        first = client.get(path)
        second = client.get(path)
        assert first.status == second.status == 200, (first, second)
        assert first.content_type == second.content_type == media_type
        assert (first.header("X-Cache-Status"), second.header("X-Cache-Status")) == (
            "MISS",
            "HIT",
        )
        assert second.body == first.body
        assert second.header("ETag") == first.header("ETag")
        assert "immutable" in (second.header("Cache-Control") or "")
        # No per-request header of the first answer is replayed to another client.
        assert second.header("X-Request-Id") is None
        assert second.header("X-RateLimit-Remaining") is None
        etag = first.header("ETag") or ""
        revalidated = client.get(path, {"If-None-Match": etag})
        assert revalidated.status == 304, revalidated
        assert revalidated.header("X-Cache-Status") == "HIT"
        # The service rendered it once.
        assert site.server_log().count(f"GET {path} ") == 1


def _batch_body(size: int, code: str) -> bytes:
    """A validation batch of one code, padded with JSON whitespace to ``size`` bytes."""
    body = b'{"items": [{"code": "' + code.encode() + b'"}]}'
    return body[:-1] + b" " * (size - len(body)) + b"}"


def test_the_largest_body_passes_and_a_larger_one_is_a_problem_from_nginx(site: Site) -> None:
    client = site.client()
    _, key = site.stack.new_api_key("1000/minute")
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    largest = _batch_body(MAX_BODY, site.codes[0])
    assert len(largest) == MAX_BODY
    answer = client.request("POST", "/v1/validate/batch", largest, headers)
    assert answer.status == 200, answer
    assert answer.json()["results"][0]["verdict"] == "VALID"
    too_large = _batch_body(MAX_BODY + 1, site.codes[0])
    refused = client.request("POST", "/v1/validate/batch?trace=oversize-body", too_large, headers)
    assert refused.status == 413, refused
    assert refused.content_type == PROBLEM
    assert refused.json() == {
        "type": TYPE_BASE + "payload-too-large",
        "title": "Request Entity Too Large",
        "status": 413,
        "detail": f"the request body is larger than {MAX_BODY} bytes",
    }
    assert refused.header("X-Request-Id") is None  # nginx answered; the app never saw it
    assert site.server_log().count("POST /v1/validate/batch ") == 1
    # nginx's error log quotes a refused request's request line: it is kept to critical errors.
    assert "oversize-body" not in site.nginx.error_log.read_text()
    assert "oversize-body" not in site.nginx.main_log.read_text()


def test_header_bounds_are_the_apps_until_nginx_buffers_are_full(site: Site) -> None:
    client = site.client()
    path = f"/v1/codes/{site.codes[0]}"
    app = client.get(path, {"X-Long": "a" * (8 * 1024 + 1)})
    assert app.status == 431, app
    assert app.content_type == PROBLEM
    assert app.header("X-Request-Id")  # the app's own answer (api/core/bounds.py)
    proxy = client.get(path, {"X-Long": "a" * (16 * 1024 + 1)})
    assert proxy.status == 431, proxy
    assert proxy.content_type == PROBLEM
    assert proxy.json()["type"] == TYPE_BASE + "header-fields-too-large"
    assert proxy.header("X-Request-Id") is None
    long_uri = client.get(path + "?pad=" + "a" * (16 * 1024))
    assert long_uri.status == 414, long_uri
    assert long_uri.json()["type"] == TYPE_BASE + "uri-too-long"


def test_a_print_run_streams_through_whole(site: Site, tmp_path: Path) -> None:
    answer = site.client().get(f"/v1/admin-units/{COMMUNE}/plates.pdf?per_page=1", site.bearer())
    assert answer.status == 200, answer
    assert answer.content_type == "application/pdf"
    assert answer.header("X-Plate-Count") == str(HOUSEHOLDS)
    assert answer.header("Content-Length") is None  # streamed as it is rendered
    assert answer.header("Transfer-Encoding") == "chunked"
    assert answer.header("X-Accel-Buffering") is None  # meant for nginx, not passed on
    assert answer.body.startswith(b"%PDF-")
    assert answer.body.rstrip().endswith(b"%%EOF")
    pdf = tmp_path / "plates.pdf"
    pdf.write_bytes(answer.body)
    info = subprocess.run(  # noqa: S603  # poppler's pdfinfo on our own file
        [tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    pages = re.search(r"^Pages:\s+(\d+)$", info, re.M)
    assert pages is not None, info
    assert int(pages.group(1)) == HOUSEHOLDS


def test_json_is_compressed_for_clients_that_ask(site: Site) -> None:
    answer = site.client().get("/openapi.json", {"Accept-Encoding": "gzip"})
    assert answer.status == 200, answer
    assert answer.header("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in (answer.header("Vary") or "")
    assert gzip.decompress(answer.body).startswith(b"{")


def test_the_access_log_has_paths_but_never_what_was_typed(site: Site) -> None:
    client = site.client()
    _, key = site.stack.new_api_key("1000/minute")
    search = client.get(f"/v1/search?q={quote(TYPED)}&commune={COMMUNE}", {"X-API-Key": key})
    assert search.status == 200, search
    for probe in ("/healthz", "/readyz"):
        assert client.get(probe).status == 200
    marker = client.get(f"/v1/codes/{site.codes[2]}")
    assert marker.status == 200, marker
    log = site.nginx.access_log

    assert until(lambda: f"GET /v1/codes/{site.codes[2]} " in log.read_text(), 5) is not None
    text = log.read_text()
    assert f"{client.source} [" in text
    assert '"GET /v1/search HTTP/1.1" 200' in text
    for secret in (quote(TYPED), TYPED, "0912345678", "Lan", "commune=", key):
        assert secret not in text
    assert "/healthz" not in text
    assert "/readyz" not in text


def test_when_the_service_is_down_nginx_answers_a_problem_and_cached_qr_codes(
    site: Site,
) -> None:
    # Last in this module: it stops the server.
    client = site.client()
    cached = f"/v1/addresses/{site.codes[3]}/qr.png"
    assert client.get(cached).header("X-Cache-Status") == "MISS"
    site.stack.server.stop()
    down = client.get(f"/v1/search?q={quote(TYPED)}")
    assert down.status == 503, down
    assert down.content_type == PROBLEM
    assert down.json()["type"] == TYPE_BASE + "unavailable"
    assert down.header("Retry-After") == "5"
    still = client.get(cached)
    assert still.status == 200, still
    assert still.header("X-Cache-Status") == "HIT"
    assert quote(TYPED) not in site.nginx.error_log.read_text()
