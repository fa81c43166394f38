"""What the deployment tests run: nginx with the site of deploy/nginx/ and an HTTPS client.

The site is a template; :func:`render_site` fills its placeholders as an administrator would.
nginx runs from its Debian binary with a prefix, a main configuration and logs of the test's
own (never the system's service), in the foreground, and is stopped by its process id.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "registry.conf"
HOST = "127.0.0.1"
#: Ports the tests' nginx may listen on (the first free ones are taken).
PORTS = range(55250, 55300)
PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
PROBLEM = "application/problem+json"

#: The main configuration around the site, as Debian's /etc/nginx/nginx.conf includes sites.
MAIN = """\
{user}worker_processes 1;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {site};
}}
"""


def placeholders(template: str) -> set[str]:
    """The names of the ``@NAME@`` placeholders in ``template``."""
    return set(PLACEHOLDER.findall(template))


def render_site(values: Mapping[str, str], template: str | None = None) -> str:
    """The site with every placeholder filled in.

    :raises ValueError: a placeholder has no value, or a value no placeholder.
    """
    text = SITE.read_text(encoding="utf-8") if template is None else template
    names = placeholders(text)
    if names != set(values):
        raise ValueError(f"placeholders {sorted(names)}, values for {sorted(values)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def free_ports(count: int) -> list[int]:
    """``count`` ports of :data:`PORTS` that nothing on 127.0.0.1 listens on right now."""
    found = []
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"fewer than {count} free ports in {PORTS}")


@dataclass(frozen=True)
class Tls:
    """A test certificate authority and a server certificate it signed for 127.0.0.1."""

    ca: Path
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        """A client context that trusts only the test authority (and checks the host)."""
        return ssl.create_default_context(cafile=str(self.ca))


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_tls(directory: Path) -> Tls:
    """A certificate authority and a server certificate for ``localhost`` and 127.0.0.1."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("registry test authority"))
        .issuer_name(_name("registry test authority"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(IPv4Address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    tls = Tls(ca=directory / "ca.pem", cert=directory / "cert.pem", key=directory / "key.pem")
    tls.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    tls.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tls.key.touch(mode=0o600)
    tls.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tls


def tool(name: str) -> str:
    """The path of an installed tool (also in /usr/sbin, which a user's PATH may lack).

    :raises RuntimeError: it is not installed (scripts/apt-packages.txt lists them all).
    """
    found = shutil.which(name, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if found is None:
        raise RuntimeError(f"{name} not found: run scripts/setup-system.sh")
    return found


class Nginx:
    """nginx serving the rendered site from ``prefix`` (its configuration, logs and cache)."""

    def __init__(self, prefix: Path, values: Mapping[str, str]) -> None:
        self.prefix = prefix
        for name in ("logs", "cache", "tmp"):
            (prefix / name).mkdir(parents=True, exist_ok=True)
        self.site = prefix / "registry.conf"
        self.site.write_text(render_site(values), encoding="utf-8")
        self.conf = prefix / "nginx.conf"
        # As root, nginx's workers would run as nobody, who cannot enter the test's directories.
        user = "user root root;\n" if os.getuid() == 0 else ""
        self.conf.write_text(MAIN.format(user=user, tmp=prefix / "tmp", site=self.site))
        self.main_log = prefix / "logs" / "main-error.log"
        self.output = prefix / "logs" / "nginx.out"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def access_log(self) -> Path:
        """The site's access log (``@LOG_DIR@/registry-access.log``)."""
        return self.prefix / "logs" / "registry-access.log"

    @property
    def error_log(self) -> Path:
        """The site's error log (``@LOG_DIR@/registry-error.log``)."""
        return self.prefix / "logs" / "registry-error.log"

    def command(self, *extra: str) -> list[str]:
        """The nginx command line on this prefix and configuration."""
        pid = self.prefix / "nginx.pid"
        return [
            tool("nginx"),
            "-p",
            str(self.prefix),
            "-c",
            str(self.conf),
            "-e",
            str(self.main_log),
            "-g",
            f"daemon off; pid {pid}; error_log {self.main_log};",
            *extra,
        ]

    def check(self) -> subprocess.CompletedProcess[str]:
        """``nginx -t`` on the configuration."""
        return subprocess.run(  # noqa: S603  # our own binary and arguments
            self.command("-t"), capture_output=True, text=True, timeout=30, check=False
        )

    def start(self, port: int, timeout: float = 15.0) -> None:
        """Start nginx in the foreground; return once ``port`` accepts connections."""
        with self.output.open("wb") as output:
            self.process = subprocess.Popen(  # noqa: S603  # our own binary and arguments
                self.command(), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.output.read_text()}")
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx not listening on {port} after {timeout:.0f} s")

    def stop(self) -> None:
        """Stop nginx gracefully (SIGQUIT), or kill it after ten seconds."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass(frozen=True)
class Reply:
    """One HTTP answer."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of header ``name``, if it was sent."""
        return self.headers.get(name)

    @property
    def content_type(self) -> str:
        """The media type, without parameters."""
        return (self.header("Content-Type") or "").split(";")[0].strip()

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    def __str__(self) -> str:
        return f"{self.status} {dict(self.headers)} {self.body[:300]!r}"


class Client:
    """Requests from one loopback address (its own rate-limit identity) to nginx."""

    def __init__(self, source: str, port: int, context: ssl.SSLContext | None) -> None:
        self.source = source
        self.port = port
        self.context = context

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """One request on a new connection, HTTPS when the client has a TLS context."""
        connection: http.client.HTTPConnection
        if self.context is None:
            connection = http.client.HTTPConnection(
                HOST, self.port, timeout=120, source_address=(self.source, 0)
            )
        else:
            connection = http.client.HTTPSConnection(
                HOST, self.port, timeout=120, source_address=(self.source, 0), context=self.context
            )
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            connection.close()

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        """GET ``path``."""
        return self.request("GET", path, headers=headers)

    def post_json(
        self, path: str, document: Any, headers: Mapping[str, str] | None = None
    ) -> Reply:
        """POST ``document`` as JSON."""
        sent = {"Content-Type": "application/json", **(headers or {})}
        return self.request("POST", path, json.dumps(document).encode(), sent)
