"""Scan error pages: a problem rendered as a page saying what went wrong and what to do.

For a mistyped or unknown code the page lists registered codes the person probably meant.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, request
from sqlalchemy.exc import SQLAlchemyError

from api.core import session
from api.scan.pages import address_url, language, page
from api.scan.text import TEXT
from geo import ALPHABET, CODE_LENGTH, LOCAL_LENGTH, AddressCode, InvalidCode
from registry.lookups import ValidationRequest, validate

log = logging.getLogger(__name__)

MAX_ECHO = 60  # characters of the typed input shown back on an error page
_IGNORED = frozenset(" \t\r\n\f\v\u00a0-+")


def _typed() -> str:
    """The code as the person gave it (path or form), shortened for echoing."""
    view_args = request.view_args or {}
    typed = str(view_args.get("code") or request.args.get("code", ""))
    return typed.strip()[:MAX_ECHO]


def error_page(problem_response: Response) -> Response:
    """The page for a problem (status and headers kept): what went wrong and what to do."""
    problem: Mapping[str, Any] = json.loads(problem_response.get_data())
    kind = str(problem.get("type", "")).rsplit("/", 1)[-1]
    lang = language()
    text = TEXT[lang]
    typed = _typed()
    error = _explain(kind, typed, text, str(problem.get("detail", "")), lang)
    status = problem_response.status_code
    response = page(
        "scan/error.html", status=status, error=error, form_value=typed, status_code=status
    )
    for key, value in problem_response.headers.items():
        if key not in {"Content-Type", "Content-Length"}:
            response.headers.add(key, value)
    return response


@dataclass(frozen=True, slots=True)
class Error:
    """What an error page says."""

    title: str
    message: str
    typed: str = ""
    details: tuple[str, ...] = ()
    suggestions: tuple[dict[str, Any], ...] = ()
    suggestions_heading: str = ""
    searched: bool = False  # whether "no suggestion" is worth saying
    show_form: bool = True


def _explain(kind: str, typed: str, text: Mapping[str, str], detail: str, lang: str) -> Error:
    """Title, message, details and suggestions for a kind of problem."""
    if kind == "not-found":
        return Error(
            text["not_found_title"],
            text["not_found"],
            typed=_display(typed),
            suggestions=_suggestions(typed),
            suggestions_heading=text["siblings"],
        )
    if kind == "invalid-code-check":
        return Error(
            text["check_title"],
            text["check"],
            typed=typed,
            suggestions=_suggestions(typed),
            suggestions_heading=text["suggestions"],
            searched=True,
        )
    if kind == "invalid-code-format":
        details = _format_details(typed, text)
        message = detail if lang == "en" and detail else text["format"]
        return Error(
            text["format_title"],
            message,
            typed=typed,
            details=details,
            suggestions=_suggestions(typed),
            suggestions_heading=text["suggestions"],
        )
    if kind == "rate-limited":
        return Error(text["limited_title"], text["limited"], show_form=False)
    if kind == "unavailable":
        return Error(text["unavailable_title"], text["unavailable"], show_form=False)
    return Error(text["error_title"], text["error"], show_form=False)


def _display(typed: str) -> str:
    try:
        return AddressCode.parse(typed).display
    except InvalidCode:
        return typed


def _format_details(typed: str, text: Mapping[str, str]) -> tuple[str, ...]:
    """Specific reasons a typed code is malformed: foreign characters, length, unit label."""
    code_text, slash, _ = typed.partition("/")
    symbols = [char for char in code_text if char not in _IGNORED]
    bad = dict.fromkeys(char for char in symbols if char.upper() not in ALPHABET)
    details = []
    if bad:
        details.append(text["bad_chars"].format(chars=" ".join(bad)))
    if len(symbols) == LOCAL_LENGTH:
        details.append(text["local_code"])
    elif len(symbols) != CODE_LENGTH:
        details.append(text["length"].format(count=len(symbols)))
    elif slash and not bad and _parses(code_text):
        details.append(text["unit"])
    return tuple(details)


def _parses(text: str) -> bool:
    try:
        AddressCode.parse(text)
    except InvalidCode:
        return False
    return True


def _suggestions(typed: str) -> tuple[dict[str, Any], ...]:
    """Registered active codes the person probably meant; none when the registry is down.

    These are the business API's suggestions (``registry.lookups.validation``): codes one typing
    error away for a code that fails its check, the other codes of its cell for an unknown one.
    """
    if not typed:
        return ()
    try:
        result = validate(session(), ValidationRequest(code=typed))
        views = [suggestion.address for suggestion in result.suggestions]
    except SQLAlchemyError:
        log.warning("no suggestions for a mistyped code: the registry is unavailable")
        session().rollback()
        return ()
    return tuple(
        {
            "display": view.code.display,
            "parts": _marked(view.code, typed),
            "line": view.formatted,
            "url": address_url(view.code),
        }
        for view in views
    )


def _marked(code: AddressCode, typed: str) -> list[tuple[str, bool]]:
    """The display form of ``code`` in parts, each marked True where it differs from ``typed``.

    Symbols are compared position by position when ``typed`` has the code's 12 symbols (a
    wrong or swapped symbol); otherwise nothing is marked.
    """
    typed_symbols = [
        char.upper() if char.isascii() else char
        for char in typed.partition("/")[0]
        if char not in _IGNORED
    ]
    same_length = len(typed_symbols) == CODE_LENGTH
    parts: list[tuple[str, bool]] = []
    for index, symbol in enumerate(code.symbols):
        if index in (8, 10):
            parts.append(("+" if index == 8 else "-", False))
        parts.append((symbol, same_length and typed_symbols[index] != symbol))
    if code.unit:
        parts.append((f"/{code.unit}", False))
    return parts
