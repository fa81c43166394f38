"""Marshmallow fields for the registry's value types, and validators from its field rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields
from marshmallow.validate import Length, OneOf, Range, Regexp, Validator

from geo import AddressCode, InvalidCode
from registry import fields as rules


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


# --- validators from the table of field rules (registry.fields) ------------------------------


def _literal(message: str) -> str:
    """A message marshmallow will not interpolate (it formats errors with str.format)."""
    return message.replace("{", "{{").replace("}", "}}")


def length(rule: rules.TextRule | rules.SizeRule) -> Length:
    """The length bounds of ``rule`` (a text's characters or a list's items)."""
    size = rule.size if isinstance(rule, rules.TextRule) else rule
    return Length(size.min, size.max, error=_literal(size.message))


def pattern(rule: rules.TextRule) -> Regexp:
    """The pattern of ``rule``, with its message."""
    if rule.regex is None:
        raise ValueError(f"{rule!r} has no pattern")
    return Regexp(rule.regex, error=_literal(rule.message))


def text(rule: rules.TextRule) -> list[Validator]:
    """Every check of a text rule: its length, then its pattern."""
    checks: list[Validator] = [] if rule.min is None and rule.max is None else [length(rule)]
    return checks + ([pattern(rule)] if rule.regex is not None else [])


def number_range(rule: rules.NumberRule) -> Range:
    """The bounds of ``rule``."""
    return Range(
        rule.min,
        rule.max,
        min_inclusive=rule.min_inclusive,
        max_inclusive=rule.max_inclusive,
        error=_literal(rule.message),
    )


def one_of(rule: rules.ChoiceRule) -> OneOf:
    """The allowed values of ``rule``."""
    return OneOf(rule.choices, error=_literal(rule.message))
