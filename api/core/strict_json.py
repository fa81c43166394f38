"""Strict input: the one place where request bodies become JSON, and URLs are held to text rules.

Every JSON request body is parsed here before any view runs (a ``before_request`` hook), and
``request.get_json`` (the idempotency hash, any view) uses the same parser (the app's JSON
provider). webargs, which parses bodies itself with the standard library, therefore only ever
sees bodies this module has accepted.

- **400** ``the request body is not valid JSON: ...``: not UTF-8, not JSON, a UTF-8 BOM;
  ``NaN``/``Infinity``/``-Infinity``; the same key twice in one object; arrays and objects
  nested deeper than :data:`MAX_DEPTH`; a number literal of more than :data:`MAX_DIGITS`
  digits, or one too large for a float.
- **422** with ``errors`` naming the field (nested as marshmallow nests them; a bad key is
  shown escaped): a NUL (U+0000) or an unpaired surrogate (U+D800-DFFF) in a string or an
  object key of the body, or in a query parameter's name or value.
- **400**: the same characters in the URL path or in a header.

400 means "this is not JSON the API reads"; 422 means "well-formed, but a field's text cannot
be stored" (PostgreSQL text holds neither NUL nor unpaired surrogates). Nothing is stored
either way: the request is refused before the view starts.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from itertools import accumulate
from typing import Any

from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider

from api.core.problems import problem

__all__ = [
    "MAX_DEPTH",
    "MAX_DIGITS",
    "InvalidJSON",
    "StrictJSONProvider",
    "UnstorableText",
    "init_app",
    "loads",
]

#: Deepest nesting of arrays and objects (the deepest real body, a sync batch, is 5).
MAX_DEPTH = 32
#: Most digits in one number literal (mantissa and exponent together).
MAX_DIGITS = 30

#: Characters PostgreSQL text cannot hold.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "must not contain NUL (U+0000) or unpaired surrogate (U+D800-DFFF) characters"
KEY_MESSAGE = "field names " + UNSTORABLE_MESSAGE

#: What a document holding unstorable text contains: the escapes (or, in a str, the characters).
_MAYBE_UNSTORABLE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])|[\x00\ud800-\udfff]")
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class InvalidJSON(ValueError):
    """The body is not JSON this API reads (400)."""


class UnstorableText(ValueError):
    """Well-formed JSON whose strings hold NUL or unpaired surrogates (422).

    ``errors`` holds a message per field, nested as marshmallow nests them.
    """

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("text with NUL or unpaired surrogate characters")
        self.errors = errors


def visible(text: str) -> str:
    """``text`` with its unstorable characters written as ``\\uXXXX`` (safe to echo back)."""
    return UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def loads(document: str | bytes | bytearray) -> Any:
    """Parse ``document`` strictly (see the module's table).

    :raises InvalidJSON: for a body that is not JSON this API reads.
    :raises UnstorableText: for strings (or keys) holding NUL or unpaired surrogates.
    """
    if isinstance(document, (bytes, bytearray)):
        try:
            text = bytes(document).decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidJSON(f"it is not UTF-8 ({error.reason} at byte {error.start})") from error
    else:
        text = document
    depth = _depth(text)
    if depth > MAX_DEPTH:
        raise InvalidJSON(f"arrays and objects nest deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object,
            parse_constant=_constant,
            parse_int=_integer,
            parse_float=_float,
        )
    except json.JSONDecodeError as error:
        raise InvalidJSON(f"{error.msg} at line {error.lineno} column {error.colno}") from error
    except RecursionError as error:  # not reached after the depth check; never a 500
        raise InvalidJSON("arrays and objects nest too deeply") from error
    errors = _unstorable(value) if _MAYBE_UNSTORABLE.search(text) else None
    if errors:
        raise UnstorableText(errors if isinstance(errors, dict) else {"_schema": errors})
    return value


def _depth(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InvalidJSON(f"the key {visible(key)!r} appears twice in one object")
            seen.add(key)
    return result


def _constant(name: str) -> Any:
    raise InvalidJSON(f"{name} is not a JSON number")


def _digits(literal: str) -> None:
    if sum(character.isdigit() for character in literal) > MAX_DIGITS:
        raise InvalidJSON(f"a number has more than {MAX_DIGITS} digits")


def _integer(literal: str) -> int:
    _digits(literal)
    return int(literal)


def _float(literal: str) -> float:
    _digits(literal)
    value = float(literal)
    if math.isinf(value):
        raise InvalidJSON(f"the number {literal} is too large")
    return value


def _unstorable(value: Any) -> Any:
    """Messages for every string of ``value`` that cannot be stored (nested like the value)."""
    if isinstance(value, str):
        return [UNSTORABLE_MESSAGE] if UNSTORABLE.search(value) else None
    if isinstance(value, Mapping):
        found: dict[str, Any] = {}
        for key, item in value.items():
            if UNSTORABLE.search(key):
                found[visible(key)] = [KEY_MESSAGE]
            elif (inner := _unstorable(item)) is not None:
                found[key] = inner
        return found or None
    if isinstance(value, list):
        found = {}
        for index, item in enumerate(value):
            if isinstance(item, (str, list, Mapping)) and (inner := _unstorable(item)) is not None:
                found[str(index)] = inner
        return found or None
    return None


class StrictJSONProvider(DefaultJSONProvider):
    """The app's JSON provider, reading with :func:`loads` (``request.get_json``)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse strictly; Flask turns the ``ValueError`` into a 400 (or ``None`` if silent)."""
        return loads(s)


def init_app(app: Flask) -> None:
    """Read JSON strictly and check every request before its view (register after the others)."""
    provider = StrictJSONProvider(app)
    for setting in ("ensure_ascii", "sort_keys", "compact", "mimetype"):
        setattr(provider, setting, getattr(app.json, setting))
    app.json = provider
    app.before_request(check_request)


def check_request() -> Response | None:
    """Refuse a request whose URL, headers or JSON body break the rules (see the module)."""
    if UNSTORABLE.search(request.path):
        return problem(400, "the URL path " + UNSTORABLE_MESSAGE, instance=visible(request.path))
    for name, value in request.headers.items():
        if UNSTORABLE.search(value):
            return problem(400, f"the header {visible(name)} " + UNSTORABLE_MESSAGE)
    query = {
        visible(name): [UNSTORABLE_MESSAGE]
        for name, values in request.args.lists()
        if UNSTORABLE.search(name) or any(UNSTORABLE.search(value) for value in values)
    }
    if query:
        return problem(
            422, "query parameters hold characters that cannot be stored; see errors", errors=query
        )
    if not request.is_json:
        return None
    body = request.get_data(cache=True)
    if not body:
        return None
    try:
        loads(body)
    except InvalidJSON as error:
        return problem(400, f"the request body is not valid JSON: {error}")
    except UnstorableText as error:
        return problem(
            422,
            "the request body has text with characters that cannot be stored; see errors",
            errors=error.errors,
        )
    return None
