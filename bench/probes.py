"""Latency of the heavier endpoints, one request at a time, every answer checked.

Batch validation, search, QR PNG, plate PDF and the province dashboard's figures are measured
sequentially (a client waiting for each answer): their figures are latencies, not throughput.
A search must also find the address each query was written from (``bench.searches``): how
often it does is the search's recall. An endpoint that does not exist (404 for the route
itself) is reported as missing rather than measured.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import numpy as np

from bench.load import WrongAnswer
from bench.searches import SearchQuery, in_top


@dataclass(frozen=True, slots=True)
class Latency:
    """Latencies of one endpoint, in milliseconds (None: the endpoint is missing)."""

    median_ms: float | None
    p95_ms: float | None
    count: int
    note: str = ""


class Client:
    """A tiny HTTP client: one connection per request, as a non-keep-alive client does."""

    def __init__(self, port: int, api_key: str | None, bearer: str | None = None) -> None:
        self.port = port
        self.api_key = api_key
        self.bearer = bearer

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes, float]:
        """Status, body and seconds of one request."""
        headers = {"X-API-Key": self.api_key} if self.api_key else {}
        if self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        return response.status, data, time.perf_counter() - started


def measure(
    client: Client,
    requests: Sequence[tuple[str, str, Any]],
    check: Callable[[int, bytes, int], None],
    *,
    warmup: int = 2,
) -> Latency:
    """Send ``requests`` in turn; ``check(status, body, index)`` raises on a wrong answer."""
    if not requests:
        return Latency(None, None, 0, "nothing to ask")
    for method, path, body in requests[:warmup]:
        status, data, _ = client.request(method, path, body)
        if status == 404 and not data.startswith(b"{"):
            return Latency(None, None, 0, "endpoint missing")
        if status == 404 and b'"not-found"' in data and b"no address" not in data:
            return Latency(None, None, 0, "endpoint missing")
    seconds = []
    for index, (method, path, body) in enumerate(requests):
        status, data, elapsed = client.request(method, path, body)
        check(status, data, index)
        seconds.append(elapsed)
    values = np.array(seconds) * 1000
    return Latency(float(np.median(values)), float(np.percentile(values, 95)), len(values))


def validate_batch(client: Client, codes: Sequence[str], rounds: int) -> Latency:
    """POST /v1/validate/batch with 1,000 codes; every result must be VALID and in order."""
    batches = [list(codes[i * 1000 : (i + 1) * 1000]) for i in range(rounds)]
    batches = [batch for batch in batches if len(batch) == 1000]

    def check(status: int, data: bytes, index: int) -> None:
        if status != 200:
            raise WrongAnswer(f"validate/batch answered {status}: {data[:300]!r}")
        results = json.loads(data)["results"]
        sent = batches[index]
        if len(results) != len(sent) or any(
            result.get("code") != code or result.get("verdict") != "VALID"
            for result, code in zip(results, sent, strict=True)
        ):
            raise WrongAnswer("validate/batch: a result does not match its code")

    requests = [
        ("POST", "/v1/validate/batch", {"items": [{"code": c} for c in b]}) for b in batches
    ]
    return measure(client, requests, check)


def search(client: Client, queries: Sequence[SearchQuery]) -> tuple[Latency, list[bool]]:
    """GET /v1/search for each query; its latency, and per query whether its address came back
    among the first five results (every answer must be a list of addresses)."""
    found = [False] * len(queries)

    def check(status: int, data: bytes, index: int) -> None:
        if status != 200:
            raise WrongAnswer(f"search answered {status}: {data[:300]!r}")
        items = json.loads(data).get("items")
        if not isinstance(items, list) or any("code" not in item for item in items):
            raise WrongAnswer("search: the answer has no list of addresses")
        found[index] = in_top([str(item["code"]) for item in items], queries[index].code)

    requests = [("GET", "/v1/search?" + urlencode(_search_parameters(q)), None) for q in queries]
    return measure(client, requests, check), found


def _search_parameters(query: SearchQuery) -> dict[str, str | int]:
    parameters: dict[str, str | int] = {"q": query.q, "limit": 10}
    if query.commune is not None:
        parameters["commune"] = query.commune
    return parameters


def binary(client: Client, codes: Sequence[str], suffix: str, magic: bytes) -> Latency:
    """GET /v1/addresses/CODE/<suffix>; each body must start with ``magic`` (PNG, PDF).

    A QR image must also decode (zxing-cpp) to a payload that names its code.
    """

    def check(status: int, data: bytes, index: int) -> None:
        if status != 200 or not data.startswith(magic):
            raise WrongAnswer(f"{suffix} of {codes[index]} answered {status}, {data[:40]!r}")
        if suffix == "qr.png" and codes[index] not in _decoded(data):
            raise WrongAnswer(f"the QR image of {codes[index]} decodes to something else")

    requests = [("GET", f"/v1/addresses/{quote(code)}/{suffix}", None) for code in codes]
    return measure(client, requests, check)


def dashboard(client: Client, province: str, households: int, count: int) -> Latency:
    """GET /v1/dashboard/provinces/PROVINCE ``count`` times, as province staff.

    Every answer must hold the province's communes and, in their totals, every imported
    household (the counters kept by triggers must agree with the import).
    """

    def check(status: int, data: bytes, index: int) -> None:
        if status != 200:
            raise WrongAnswer(f"dashboard answered {status}: {data[:300]!r}")
        body = json.loads(data)
        total = body["totals"]["households"]
        summed = sum(commune["counts"]["households"] for commune in body["communes"])
        if not body["communes"] or total != households or summed != households:
            raise WrongAnswer(
                f"dashboard: {total:,} households in the totals and {summed:,} in the communes,"
                f" {households:,} imported"
            )

    path = f"/v1/dashboard/provinces/{quote(province)}?days=30"
    return measure(client, [("GET", path, None)] * count, check)


def _decoded(png: bytes) -> str:
    """The text of the QR code in a PNG image."""
    import io

    import zxingcpp  # a test dependency: only the bench decodes QR images
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        found = zxingcpp.read_barcodes(image.convert("L"))
    return " ".join(barcode.text for barcode in found)
