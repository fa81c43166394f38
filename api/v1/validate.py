"""Business API: validate codes (and typed addresses) one at a time or in batches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from api.auth import KEYED, SECURITY, KeyedBlueprint, spend_per_item
from api.core import ResourceView, session
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
    validate,
    validate_batch,
)

blp = KeyedBlueprint(
    "validate",
    __name__,
    url_prefix="/v1/validate",
    description="Validate codes and typed addresses: verdicts, suggestions, actions (API key)",
)


@blp.route("")
class Validate(ResourceView):
    """Validate one code."""

    decorators: ClassVar[list[Callable[..., Any]]] = KEYED

    @blp.doc(security=SECURITY)
    @blp.arguments(ValidateIn, example=VALIDATE_EXAMPLE)
    @blp.response(200, ValidationOut)
    @blp.problems(401, 403, 422, (429, "Rate limit of the key exceeded (see Retry-After)"))
    def post(self, request: ValidationRequest) -> ValidationResult:
        """The verdict on a code, its public address, suggestions and the typed address's match.

        `verdict`: VALID, INVALID_FORMAT, INVALID_CHECK, NOT_FOUND or RETIRED; `action`:
        ACCEPT, CONFIRM or FIX. A verdict is an answer, not an error: always 200.
        """
        return validate(session(), request)


@blp.route("/batch")
class ValidateBatch(ResourceView):
    """Validate up to 1,000 codes."""

    decorators: ClassVar[list[Callable[..., Any]]] = KEYED

    @blp.doc(security=SECURITY)
    @blp.arguments(BatchIn, example=BATCH_EXAMPLE)
    @blp.response(200, BatchOut)
    @blp.problems(
        401,
        403,
        422,
        (429, "Rate limit of the key exceeded, or fewer left than items (see Retry-After)"),
    )
    def post(self, batch: dict[str, list[ValidationRequest]]) -> dict[str, Any]:
        """One result per item, in request order (a constant number of database queries).

        Each item counts as one request of the key's rate limit; a batch larger than what is
        left is refused (429) and nothing is validated.
        """
        spend_per_item(len(batch["items"]))
        return {"results": validate_batch(session(), batch["items"])}
