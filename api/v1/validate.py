"""Business API: validate codes (and typed addresses) one at a time or in batches.

A batch of 1,000 items is read, checked and answered without marshmallow: the body is checked
by :meth:`BatchIn.load_items` and the answer built by :meth:`BatchOut.dump_results` (both held
to the schemas by the tests), and encoded once. ``BatchIn`` and ``BatchOut`` still describe the
operation in the OpenAPI document.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from flask import Response, current_app, request
from marshmallow import Schema, ValidationError
from webargs.flaskparser import abort

from api.auth import KEYED, SECURITY, KeyedBlueprint, spend_per_item
from api.core import ResourceView, fresh
from api.hot import JSON, encode
from api.v1.schemas import (
    BATCH_EXAMPLE,
    VALIDATE_EXAMPLE,
    BatchIn,
    BatchOut,
    ValidateIn,
    ValidationOut,
)
from registry.lookups import (
    ValidationRequest,
    ValidationResult,
    Verdict,
    validate,
    validate_batch,
)

F = TypeVar("F", bound=Callable[..., Any])

blp = KeyedBlueprint(
    "validate",
    __name__,
    url_prefix="/v1/validate",
    description="Validate codes and typed addresses: verdicts, suggestions, actions (API key)",
)


def documented_body(schema: type[Schema], **options: Any) -> Callable[[F], F]:
    """Document the JSON body as ``@blp.arguments(schema, **options)`` does, for a view that
    reads the body itself."""

    def document(view: F) -> F:
        view.__dict__["_apidoc"] = blp.arguments(schema, **options)(view)._apidoc
        return view

    return document


def json_body() -> Any:
    """The request's JSON document as ``@blp.arguments`` reads it: ``{}`` when there is none.

    ``api.core.strict_json`` has read the body before the view (a body it refuses never gets
    here), so the standard library's parser reads the same document, as webargs does.
    """
    if not request.is_json:
        return {}
    data = request.get_data(cache=True)
    return json.loads(data) if data else {}


def batch_items() -> list[ValidationRequest]:
    """The items of the batch, checked as ``BatchIn`` checks them.

    :raises UnprocessableEntity: 422 with the fields' messages, as ``@blp.arguments`` would.
    """
    try:
        return BatchIn.load_items(json_body())
    except ValidationError as error:
        abort(422, exc=error, messages={"json": error.messages})


def _unregistered(result: ValidationResult) -> bool:
    """A well-formed code no address has: on a replica, perhaps one minted a moment ago."""
    return result.verdict == Verdict.NOT_FOUND


def _any_unregistered(results: list[ValidationResult]) -> bool:
    return any(_unregistered(result) for result in results)


@blp.route("")
class Validate(ResourceView):
    """Validate one code."""

    decorators: ClassVar[list[Callable[..., Any]]] = KEYED
    replica_reads = frozenset({"POST"})

    @blp.doc(security=SECURITY)
    @blp.arguments(ValidateIn, example=VALIDATE_EXAMPLE)
    @blp.response(200, ValidationOut)
    @blp.problems(401, 403, 422, (429, "Rate limit of the key exceeded (see Retry-After)"))
    def post(self, validation: ValidationRequest) -> ValidationResult:
        """The verdict on a code, its public address, suggestions and the typed address's match.

        `verdict`: VALID, INVALID_FORMAT, INVALID_CHECK, NOT_FOUND or RETIRED; `action`:
        ACCEPT, CONFIRM or FIX. A verdict is an answer, not an error: always 200.
        """
        return fresh(lambda db: validate(db, validation), missing=_unregistered)


@blp.route("/batch")
class ValidateBatch(ResourceView):
    """Validate up to 1,000 codes."""

    decorators: ClassVar[list[Callable[..., Any]]] = KEYED
    replica_reads = frozenset({"POST"})

    @blp.doc(security=SECURITY)
    @documented_body(BatchIn, example=BATCH_EXAMPLE)
    @blp.response(200, BatchOut)
    @blp.problems(
        401,
        403,
        422,
        (429, "Rate limit of the key exceeded, or fewer left than items (see Retry-After)"),
    )
    def post(self) -> Response:
        """One result per item, in request order (a constant number of database queries).

        Each item counts as one request of the key's rate limit; a batch larger than what is
        left is refused (429) and nothing is validated.
        """
        items = batch_items()
        spend_per_item(len(items))
        results = fresh(lambda db: validate_batch(db, items), missing=_any_unregistered)
        body = BatchOut.dump_results(
            results, current_app.config["PUBLIC_BASE_URL"], request.script_root
        )
        # Flask's JSON responses end with a newline; so does this one.
        return current_app.response_class(encode(body) + b"\n", mimetype=JSON)
