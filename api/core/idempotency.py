"""``Idempotency-Key`` for creates: the one decorator that stores and replays first responses.

``@idempotent()`` goes outermost on a write method of a :class:`~api.core.resources.ResourceView`,
which commits the request's unit of work. With a key (the header, or one derived from the body
such as a client-made household id) the decorator

1. claims the key in the request's transaction (:func:`registry.sync.idempotency.claim`): a
   retry arriving while this request runs finds it held and gets 409; a stored reply is
   replayed instead of running the view;
2. runs the view; if it fails (an error, or a response of 400 or more), the transaction is
   rolled back and the claim with it, so a corrected retry with the same key is evaluated
   afresh (a failed request changed nothing);
3. stores the response (status, JSON body, ``Location`` and ``ETag``) in the same
   transaction, which the view class then commits: claim, change and reply together.

Nothing is committed before the change: a request cut off by a crash or a lost database leaves
its key free at once, and no amount of waiting lets a second request run while the first does.

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
ON_REPLAY = "registry.idempotency_on_replay"
KEPT_HEADERS = ("Location", "ETag")
_KEY = re.compile(rf"^[\x21-\x7e]{{1,{idempotency.MAX_KEY_LENGTH}}}$")

#: Derives a (key, hash) claim from the JSON body, e.g. from a client-made household id.
BodyKey = Callable[[Mapping[str, Any]], tuple[str, idempotency.Digest] | None]
F = TypeVar("F", bound=Callable[..., Any])


def init_app(
    app: Flask, owner: Callable[[], str], on_replay: Callable[[Reply], None] | None = None
) -> None:
    """Keys are per caller: ``owner`` names the caller of the current request.

    ``on_replay`` is told of every stored reply sent again (a replay shows its households'
    personal data once more, and that read is trailed like any other).
    """
    app.extensions[OWNER] = owner
    app.extensions[ON_REPLAY] = on_replay


def idempotent(body_key: BodyKey | None = None) -> Callable[[F], F]:
    """Make a write view idempotent under ``Idempotency-Key`` (and ``body_key``)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            claims = _claims(body_key)
            if not claims:
                return cast(Response, view(*args, **kwargs))
            owner = current_app.extensions[OWNER]()
            db = session()
            try:
                for key, digest in claims:
                    stored = idempotency.claim(db, owner, key, digest)
                    if stored is not None:
                        db.rollback()  # gives up the claims made so far
                        if (on_replay := current_app.extensions.get(ON_REPLAY)) is not None:
                            on_replay(stored)  # committed with the answer, as reads are
                        return replay(stored)
                response = cast(Response, view(*args, **kwargs))
            except BaseException:
                db.rollback()  # the claims end with the transaction: the keys are free again
                raise
            if response.status_code < 400:
                reply = Reply(response.status_code, response.get_json(), _kept(response))
                for key, _ in claims:
                    idempotency.complete(db, owner, key, reply)
            return response  # ResourceView commits it all, or rolls it all back (400 and up)

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


def _claims(body_key: BodyKey | None) -> list[tuple[str, idempotency.Digest]]:
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


def _kept(response: Response) -> dict[str, str]:
    return {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
