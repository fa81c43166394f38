"""Validating a code (and optionally a typed address and a location) against the registry.

The answer is a :class:`Verdict` on the code, an :class:`Action` for the caller, the public
address, suggestions for a code that fails its check or is unknown, a component-by-component
match of the typed address and the distance to a given point.

A batch is answered with a constant number of database round trips whatever its size: one
statement, prepared once per connection (:func:`batch_statement`: ``code = ANY($1)`` on the
unique (code, unit) index), looks up every code and every suggestion candidate of every item;
it runs a second time, only when some well-formed code is unknown, for the other codes of those
cells; the names of provinces and communes come from the cached gazetteer (at most one more
query). The lookups run on the connection of :func:`registry.lookups.connections.read`, as the
hot paths of :mod:`registry.lookups.prepared` do.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from sqlalchemy import Connection, Engine, String, Text, any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from geo import AddressCode, InvalidCode, Point, distance_m
from geo.typos import (
    EXTRA,
    JUMP_SWAP,
    MISSING,
    SEQUENCE,
    SUBSTITUTION,
    SWAP,
    TWIN,
    UNIT,
    cell_siblings,
    describe_edit,
    typed_symbols,
)
from registry.address_text import (
    LEGACY,
    AddressMatch,
    Gazetteer,
    ReadAddress,
    Status,
    compare,
    gazetteer,
    read_address,
)
from registry.addresses import AddressView, public_view_query, view_from_row
from registry.lookups.connections import read
from registry.lookups.prepared import Statement, _Row, statement
from registry.lookups.suggestions import candidate_codes
from registry.models import Address

#: Largest batch accepted by :func:`validate_batch`.
MAX_BATCH = 1000

_EDIT_ORDER = {
    edit: rank
    for rank, edit in enumerate(
        (SWAP, SUBSTITUTION, TWIN, JUMP_SWAP, MISSING, EXTRA, SEQUENCE, UNIT)
    )
}

_Key = tuple[str, str]  # (code symbols, unit or "")


class Verdict(StrEnum):
    """What the registry says about a code."""

    VALID = "VALID"
    INVALID_FORMAT = "INVALID_FORMAT"
    INVALID_CHECK = "INVALID_CHECK"
    NOT_FOUND = "NOT_FOUND"
    RETIRED = "RETIRED"


class Action(StrEnum):
    """What the caller should do next."""

    ACCEPT = "ACCEPT"
    CONFIRM = "CONFIRM"
    FIX = "FIX"


class Granularity(StrEnum):
    """How precisely the answer locates the dwelling."""

    UNIT = "UNIT"  # a unit of a building
    PREMISE = "PREMISE"  # a registered dwelling
    CELL = "CELL"  # a well-formed code: its 14 m cell, but no registered dwelling
    NONE = "NONE"


@dataclass(frozen=True, slots=True)
class Policy:
    """Thresholds of the action."""

    #: Up to this distance from the given location the code is accepted.
    near_m: float = 100.0
    #: Beyond this distance the code is to be fixed; in between, confirmed.
    far_m: float = 1000.0
    max_suggestions: int = 5


@dataclass(frozen=True, slots=True)
class ValidationRequest:
    """A code as typed, with an optional typed address and location."""

    code: str
    address_text: str | None = None
    location: Point | None = None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A registered active code the caller probably meant."""

    address: AddressView
    edit: str
    position: int | None
    match: AddressMatch | None = None
    distance_m: float | None = None


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The answer to one :class:`ValidationRequest`."""

    verdict: Verdict
    action: Action
    granularity: Granularity
    input: str
    message: str
    code: AddressCode | None = None
    address: AddressView | None = None
    successor: AddressCode | None = None
    suggestions: tuple[Suggestion, ...] = ()
    match: AddressMatch | None = None
    distance_m: float | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A valid code the caller may have meant, and the error that separates them."""

    code: AddressCode
    edit: str
    #: 1-based position of the error in the suggested code's 12 symbols.
    position: int


@dataclass(frozen=True, slots=True)
class _Invalid:
    """A code that could not be parsed, its symbols as typed, and the valid codes one typing
    error away (what that error is, is worked out only for the registered ones)."""

    error: InvalidCode
    typed: str
    candidates: tuple[AddressCode, ...]


def validate(
    session: Session, request: ValidationRequest, policy: Policy | None = None
) -> ValidationResult:
    """Validate one code; see :func:`validate_batch`."""
    return validate_batch(session, [request], policy)[0]


def validate_batch(
    session: Session, requests: Sequence[ValidationRequest], policy: Policy | None = None
) -> list[ValidationResult]:
    """Validate codes, in request order, with at most three database round trips in all."""
    policy = policy or Policy()
    bind = session.get_bind()
    parsed = [_parse(request.code) for request in requests]
    codes = [p for p in parsed if isinstance(p, AddressCode)]
    wanted = {_key(code) for code in codes}
    wanted |= {_key(code) for p in parsed if isinstance(p, _Invalid) for code in p.candidates}
    found = _lookup(bind, wanted)
    unknown = [code for code in codes if _key(code) not in found]
    siblings = {code: _sibling_candidates(code) for code in unknown}
    if siblings:
        found |= _lookup(bind, {_key(c.code) for cs in siblings.values() for c in cs})
    places = gazetteer(session) if any(r.address_text for r in requests) else None
    return [
        _result(request, item, found, siblings, places, policy)
        for request, item in zip(requests, parsed, strict=True)
    ]


def _parse(text: str) -> AddressCode | _Invalid:
    try:
        return AddressCode.parse(text)
    except InvalidCode as error:
        return _Invalid(error, typed_symbols(text), tuple(candidate_codes(text)))


def _key(code: AddressCode) -> _Key:
    return code.symbols, code.unit or ""


def _sibling_candidates(code: AddressCode) -> list[Candidate]:
    """For an unknown well-formed code: the other codes of its cell and, for a unit, its
    building. (No code one typing error away passes the check, so none can be registered.)"""
    candidates = [Candidate(sibling, SEQUENCE, 11) for sibling in cell_siblings(code)]
    if code.unit is not None:
        candidates.append(Candidate(code.with_unit(None), UNIT, 13))
    return candidates


def _typo_candidates(invalid: _Invalid, found: dict[_Key, AddressView]) -> Iterator[Candidate]:
    """The registered codes among ``invalid``'s candidates, with the typing error of each."""
    for code in invalid.candidates:
        if _key(code) in found:
            yield Candidate(code, *describe_edit(invalid.typed, code.symbols))


@cache
def batch_statement() -> Statement:
    """The public views of the addresses whose code is one of ``$1`` and unit one of ``$2``.

    Compiled from :func:`registry.addresses.public_view_query`, like the statements of
    :mod:`registry.lookups.prepared`, with the digest of its SQL in its name.

    :raises RuntimeError: when public_view_query takes a parameter of its own.
    """
    codes = bindparam("codes", type_=postgresql.ARRAY(String(12)))
    units = bindparam("units", type_=postgresql.ARRAY(Text))
    query = public_view_query().where(Address.code == any_(codes), Address.unit == any_(units))
    compiled = query.compile(dialect=postgresql.psycopg2.dialect())  # type: ignore[no-untyped-call]  # SQLAlchemy leaves the dialect constructor untyped
    if set(compiled.params) != {"codes", "units"}:
        raise RuntimeError(f"public_view_query has unexpected parameters {compiled.params}")
    sql = re.sub(r"%\((codes|units)\)s", lambda m: "$1" if m[1] == "codes" else "$2", str(compiled))
    # The digest in the name: a connection that outlives a change of the query prepares the
    # new one instead of running the old.
    name = f"registry_addresses_by_codes_{hashlib.sha256(sql.encode()).hexdigest()[:10]}"
    columns = tuple(str(column.key) for column in query.selected_columns)
    return statement(name, "text[], text[]", sql, columns)


def _lookup(bind: Engine | Connection, keys: set[_Key]) -> dict[_Key, AddressView]:
    """The addresses with these (code, unit) keys, in one run of :func:`batch_statement`."""
    if not keys:
        return {}
    statement = batch_statement()
    values = (sorted({code for code, _ in keys}), sorted({unit for _, unit in keys}))
    rows = read(bind, lambda lookup: lookup._execute(statement, values))
    code, unit = statement.columns.index("code"), statement.columns.index("unit")
    return {
        (row[code], row[unit]): view_from_row(_Row(statement.columns, row))  # type: ignore[arg-type]  # _Row quacks like the Row view_from_row reads
        for row in rows
        if (row[code], row[unit]) in keys
    }


def _result(
    request: ValidationRequest,
    parsed: AddressCode | _Invalid,
    found: dict[_Key, AddressView],
    siblings: dict[AddressCode, list[Candidate]],
    places: Gazetteer | None,
    policy: Policy,
) -> ValidationResult:
    reading = (
        read_address(request.address_text, places) if places and request.address_text else None
    )
    if isinstance(parsed, _Invalid):
        candidates = _typo_candidates(parsed, found)
        suggestions = _suggestions(candidates, found, request, reading, policy)
        check = parsed.error.reason == "check"
        return ValidationResult(
            verdict=Verdict.INVALID_CHECK if check else Verdict.INVALID_FORMAT,
            action=Action.CONFIRM if len(suggestions) == 1 else Action.FIX,
            granularity=Granularity.NONE,
            input=request.code,
            message=str(parsed.error),
            suggestions=suggestions,
        )
    view = found.get(_key(parsed))
    if view is None:
        suggestions = _suggestions(siblings.get(parsed, []), found, request, reading, policy)
        return ValidationResult(
            verdict=Verdict.NOT_FOUND,
            action=Action.CONFIRM if len(suggestions) == 1 else Action.FIX,
            granularity=Granularity.CELL,
            input=request.code,
            message=f"no address is registered with the code {parsed.display}",
            code=parsed,
            suggestions=suggestions,
        )
    return _registered(request, parsed, view, reading, policy)


def _registered(
    request: ValidationRequest,
    code: AddressCode,
    view: AddressView,
    reading: ReadAddress | None,
    policy: Policy,
) -> ValidationResult:
    """The verdict on a registered code: VALID or RETIRED, with the match and distance."""
    match = compare(reading, view) if reading is not None else None
    distance = _distance(request.location, view)
    if view.status == "retired":
        successor = view.successor
        verdict, action = Verdict.RETIRED, Action.CONFIRM if successor else Action.FIX
        message = f"the code {code.display} was retired" + (
            f"; its successor is {successor.display}" if successor else ""
        )
    else:
        verdict, successor = Verdict.VALID, None
        action, message = _action(match, distance, policy)
    return ValidationResult(
        verdict=verdict,
        action=action,
        granularity=Granularity.UNIT if code.unit else Granularity.PREMISE,
        input=request.code,
        message=message,
        code=code,
        address=view,
        successor=successor,
        match=match,
        distance_m=distance,
    )


def _action(
    match: AddressMatch | None, distance: float | None, policy: Policy
) -> tuple[Action, str]:
    """ACCEPT, CONFIRM or FIX for a registered active code, and why."""
    if match is not None and match.has(Status.MISMATCH):
        return Action.FIX, "the typed address does not match the registered address"
    if distance is not None and distance > policy.far_m:
        return Action.FIX, f"the location is {distance:.0f} m from the registered address"
    corrected = match is not None and any(
        c.status is Status.CORRECTED and c.note != LEGACY for c in match.components.values()
    )
    if corrected:
        return Action.CONFIRM, "the typed address matches after correcting its spelling"
    if distance is not None and distance > policy.near_m:
        return Action.CONFIRM, f"the location is {distance:.0f} m from the registered address"
    return Action.ACCEPT, "the code is registered and active"


def _distance(location: Point | None, view: AddressView) -> float | None:
    if location is None:
        return None
    return round(distance_m(location, Point(view.lon, view.lat)), 1)


def _suggestions(
    candidates: Iterable[Candidate],
    found: dict[_Key, AddressView],
    request: ValidationRequest,
    reading: ReadAddress | None,
    policy: Policy,
) -> tuple[Suggestion, ...]:
    """Registered active codes among ``candidates``, best first (typed address, distance)."""
    suggestions = []
    for candidate in candidates:
        view = found.get(_key(candidate.code))
        if view is None or view.status != "active":
            continue
        suggestions.append(
            Suggestion(
                view,
                candidate.edit,
                candidate.position,
                compare(reading, view) if reading is not None else None,
                _distance(request.location, view),
            )
        )
    suggestions.sort(
        key=lambda s: (
            -(s.match.score if s.match else 0.0),
            s.distance_m if s.distance_m is not None else 0.0,
            _EDIT_ORDER.get(s.edit, 9),
            s.address.code.canonical,
        )
    )
    return tuple(suggestions[: policy.max_suggestions])
