"""``Idempotency-Key`` for creates: the one decorator that stores and replays first responses.

``@idempotent()`` goes outermost on a write method of a :class:`~api.core.resources.ResourceView`,
which commits the request's unit of work. With a key (the header, or one derived from the body
such as a client-made household id) the decorator

1. claims the key (a record with no response yet) and commits the claim, so that a retry
   arriving while this request runs gets 409;
2. runs the view; if it fails (any error), rolls back and frees the key, so a corrected retry
   with the same key is evaluated afresh (a failed request changed nothing);
3. stores the response (status, JSON body, ``Location`` and ``ETag``) in the transaction of
   the change, which the view class then commits with it.

A retry with the same key and the same request gets the stored response again (with
``Idempotent-Replayed: true``); with another request body it gets 422. Keys are per user.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, request

from api.core.db import session
from registry.errors import InvalidInput
from registry.sync import Reply, idempotency

IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_KEY_LENGTH,
        "pattern": r"^[\x21-\x7e]+$",  # visible ASCII, as _KEY checks
    },
    "description": "Any unique string (a UUID). A retry with the same key and body returns the"
    " first response; the same key with another body is 422; while the first is running, 409.",
}
REPLAYED_HEADER = "Idempotent-Replayed"
OWNER = "registry.idempotency_owner"
KEPT_HEADERS = ("Location", "ETag")
_KEY = re.compile(rf"^[\x21-\x7e]{{1,{idempotency.MAX_KEY_LENGTH}}}$")

#: Derives a (key, hash) claim from the JSON body, e.g. from a client-made household id.
BodyKey = Callable[[Mapping[str, Any]], tuple[str, str] | None]
F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask, owner: Callable[[], str]) -> None:
    """Keys are per caller: ``owner`` names the caller of the current request."""
    app.extensions[OWNER] = owner


def idempotent(body_key: BodyKey | None = None) -> Callable[[F], F]:
    """Make a write view idempotent under ``Idempotency-Key`` (and ``body_key``)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            claims = _claims(body_key)
            db = session()
            if not claims:
                return cast(Response, view(*args, **kwargs))
            owner = current_app.extensions[OWNER]()
            for key, digest in claims:
                stored = idempotency.claim(db, owner, key, digest)
                if stored is not None:
                    db.rollback()
                    return replay(stored)
            db.commit()
            try:
                response = cast(Response, view(*args, **kwargs))
            except BaseException:
                _release(owner, claims)
                raise
            if response.status_code >= 400:
                _release(owner, claims)
                return response
            reply = Reply(response.status_code, response.get_json(), _kept(response))
            for key, _ in claims:
                idempotency.complete(db, owner, key, reply)
            return response  # committed with the change by ResourceView

        return cast(F, wrapper)

    return decorate


def replay(reply: Reply) -> Response:
    """The stored response, as first sent (the same JSON serialisation, byte for byte)."""
    # The provider answers with the app's response_class, a flask Response.
    response = cast(Response, current_app.json.response(reply.body))
    response.status_code = reply.status
    response.headers.extend(reply.headers)
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _claims(body_key: BodyKey | None) -> list[tuple[str, str]]:
    body = request.get_json(silent=True)
    claims = []
    header = request.headers.get("Idempotency-Key")
    if header is not None:
        if not _KEY.match(header):
            raise InvalidInput(
                "Idempotency-Key must be 1-200 visible ASCII characters",
                {"Idempotency-Key": ["1-200 visible ASCII characters, e.g. a UUID"]},
            )
        claims.append((header, idempotency.request_hash(request.method, request.path, body)))
    derived = body_key(body) if body_key is not None and isinstance(body, Mapping) else None
    if derived is not None:
        claims.append(derived)
    return claims


def _release(owner: str, claims: list[tuple[str, str]]) -> None:
    db = session()
    db.rollback()
    for key, _ in claims:
        idempotency.release(db, owner, key)
    db.commit()


def _kept(response: Response) -> dict[str, str]:
    return {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
