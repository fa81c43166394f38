"""Marshmallow fields for the registry's value types, validators from its field rules, and the
URL converter of codes (``<code:code>``) with the schema that documents it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields
from marshmallow.validate import Length, OneOf, Range, Regexp, Validator
from werkzeug.routing import BaseConverter

from geo import ALPHABET, AddressCode, InvalidCode
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


class FullMatch(Regexp):
    """A pattern the whole value must match: ``$`` does not let a trailing newline through.

    The OpenAPI document shows the pattern as it is (``\\Z`` is not a JSON Schema pattern).
    """

    def __call__(self, value: Any) -> Any:
        """The value, when all of it matches."""
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def pattern(rule: rules.TextRule) -> Regexp:
    """The pattern of ``rule``, with its message."""
    if rule.regex is None:
        raise ValueError(f"{rule!r} has no pattern")
    return FullMatch(rule.regex, error=_literal(rule.message))


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


# --- codes in URLs ---------------------------------------------------------------------------

#: What may follow an address's code in a URL (``/v1/addresses/{code}/qr.png``): never a unit.
SUB_RESOURCES = ("qr.png", "qr.svg", "plate.pdf", "certificate.pdf", "retire", "history")


class CodeConverter(BaseConverter):
    """``<code:code>``: a code, or a code and its unit (``CODE/UNIT``), never a sub-resource.

    ``/v1/addresses/CODE/qr.png`` is the QR code of CODE, not the address CODE with unit
    ``qr.png``, so an undeclared method there is 405, not a request to the address. The view
    parses the code (a malformed one is 422 with the reason).
    """

    part_isolating = False
    regex = r"[^/]+(?:/(?!(?:{})(?:/|$))[^/]*)*".format("|".join(map(re.escape, SUB_RESOURCES)))


def _code_pattern() -> str:
    """A pattern of every text :meth:`AddressCode.parse` reads (the check symbol aside).

    12 symbols (either case), spaces and ``-`` anywhere, one ``+`` after the 8th symbol, then
    optionally ``/`` and a unit label (letters and digits, split once by ``-`` or ``.``) that
    is not a sub-resource.
    """
    symbol = "[{}]".format("".join(dict.fromkeys(ALPHABET + ALPHABET.lower())))
    spaces = r"[\t\n\x0b\x0c\r \u00a0]*"
    ignored = r"[\t\n\x0b\x0c\r \u00a0-]*"
    longest = rules.UNIT_LABEL.max or 10
    word = "[A-Za-z0-9]"
    units = [f"{word}{{1,{longest}}}"] + [
        f"{word}{{{first}}}[-.]{word}{{1,{longest - 1 - first}}}" for first in range(1, longest - 1)
    ]
    not_sub = "|".join(map(re.escape, SUB_RESOURCES))
    unit = f"(?:/(?!(?:{not_sub})$){spaces}(?:{'|'.join(units)}){spaces})?"
    return f"^{ignored}(?:{symbol}{ignored}){{8}}(?:\\+{ignored})?(?:{symbol}{ignored}){{4}}{unit}$"


#: The documented schema of a code in a URL.
CODE_PARAMETER: dict[str, Any] = {
    "type": "string",
    "pattern": _code_pattern(),
    "example": "7PH876P84424",
    "description": "A code in any accepted form: `7PH876P84424`, `7ph8-76p8 4424`,"
    " `7PH876P8+44-24`, with `/UNIT` for an apartment (`7PH876P84424/1205`)",
}


def code_parameter(converter: CodeConverter) -> dict[str, Any]:
    """The OpenAPI schema of a ``<code:...>`` path parameter (for flask-smorest)."""
    return dict(CODE_PARAMETER)


def register_code_converter(app: Any, api: Any) -> None:
    """Route ``<code:...>`` with :class:`CodeConverter` and document it with its pattern."""
    app.url_map.converters["code"] = CodeConverter
    api.register_converter(CodeConverter, code_parameter)
