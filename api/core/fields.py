"""Marshmallow fields for the registry's value types (validation at the edge)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields

from geo import AddressCode, InvalidCode


class Code(fields.Field[AddressCode]):
    """A digital address code in any accepted input form; dumps the canonical form."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> AddressCode:
        if not isinstance(value, str):
            raise ValidationError("must be a string")
        try:
            return AddressCode.parse(value)
        except InvalidCode as error:
            raise ValidationError(str(error)) from error

    def _serialize(
        self, value: AddressCode | None, attr: str | None, obj: Any, **kwargs: Any
    ) -> Any:
        return None if value is None else value.canonical
