"""Bounded input: no header or query parameter longer than its cap reaches a view.

The server (granian, scripts/serve.sh) refuses only a request head larger than its read buffer
(``--http1-buffer-size``, 408 KiB by default) with a bare 431, and the test client nothing, so
every parser after this point (If-Match, the schemas, the limits) could not otherwise
assume short input. A ``before_request`` hook, run before any other, refuses:

- **431** a header whose value is longer than :data:`MAX_HEADER_VALUE` characters, a header
  name longer than :data:`MAX_HEADER_NAME`, or more than :data:`MAX_HEADERS` headers;
- **414** a query string longer than :data:`MAX_QUERY_STRING` bytes;
- **400** a query parameter whose name or value is longer than :data:`MAX_QUERY_VALUE`
  characters (the schemas' own limits, e.g. 200 characters for ``q``, are tighter: 422).
"""

from __future__ import annotations

from flask import Flask, Response, request

from api.core.problems import problem

__all__ = [
    "MAX_HEADERS",
    "MAX_HEADER_NAME",
    "MAX_HEADER_VALUE",
    "MAX_QUERY_STRING",
    "MAX_QUERY_VALUE",
    "check_bounds",
    "init_app",
]

#: Longest header value, in characters (gunicorn's field limit, name included, was 8,190 bytes).
MAX_HEADER_VALUE = 8 * 1024
#: Longest header name.
MAX_HEADER_NAME = 256
#: Most header fields of one request (as gunicorn's ``limit_request_fields``).
MAX_HEADERS = 100
#: Longest query string, in bytes as sent (percent-escapes count as sent).
MAX_QUERY_STRING = 8 * 1024
#: Longest query parameter name or value, in characters once decoded.
MAX_QUERY_VALUE = 2 * 1024
#: Longest name quoted back in a problem's detail.
_SHOWN = 40


def _shown(name: str, what: str) -> str:
    """``name`` quoted, if it is short and printable enough to echo back; else ``what``."""
    return f"{what} {name!r}" if len(name) <= _SHOWN and name.isprintable() else what


def _header_problem() -> Response | None:
    headers = request.headers
    if len(headers) > MAX_HEADERS:
        return problem(431, f"send at most {MAX_HEADERS} header fields")
    for name, value in headers.items():
        if len(name) > MAX_HEADER_NAME:
            return problem(431, f"header names are at most {MAX_HEADER_NAME} characters")
        if len(value) > MAX_HEADER_VALUE:
            return problem(
                431,
                f"the {_shown(name, 'header')} is longer than {MAX_HEADER_VALUE} characters",
            )
    return None


def _query_problem() -> Response | None:
    if len(request.query_string) > MAX_QUERY_STRING:
        return problem(414, f"the query string is longer than {MAX_QUERY_STRING} bytes")
    for name, value in request.args.items(multi=True):
        if len(name) > MAX_QUERY_VALUE or len(value) > MAX_QUERY_VALUE:
            parameter = _shown(name, "query parameter")
            return problem(400, f"the {parameter} is longer than {MAX_QUERY_VALUE} characters")
    return None


def check_bounds() -> Response | None:
    """Refuse a request whose headers or query parameters exceed their caps (431, 414, 400)."""
    return _header_problem() or _query_problem()


def init_app(app: Flask) -> None:
    """Check the bounds before every other ``before_request`` hook (call it before them)."""
    app.before_request(check_bounds)
