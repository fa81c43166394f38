"""Print runs of address plates: which addresses of a commune get a plate, streamed in order.

A commune can hold tens of thousands of addresses, so a print run never loads them at once:
the rows come through a server-side cursor (``yield_per``) a batch at a time, in the order an
official walks the commune: hamlet, street, alley, then house number as a number. A run that
completes is recorded (:func:`record_print_run`: commune, plates, who, when, how); one that
fails or is interrupted is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Numeric, cast, func, select
from sqlalchemy.orm import Session

from registry.access import Actor
from registry.addresses import AddressView, public_view_query, view_from_row
from registry.admin_units import AdminUnitView, get_unit
from registry.errors import InvalidInput, NotFound
from registry.models import Address
from registry.models import PrintRun as PrintRunRecord

#: Rows fetched from the server-side cursor at a time.
BATCH_SIZE = 500
#: Only active addresses get plates: a retired code's plate comes down.
PRINTED_STATUS = "active"
#: How a print run was made: ``flask plates``, or ``GET /v1/admin-units/{code}/plates.pdf``.
PRINT_RUN_WAYS = ("cli", "http")


@dataclass(frozen=True, slots=True)
class PrintRun:
    """The commune of a print run and how many plates it has."""

    commune: AdminUnitView
    count: int


def plan_print_run(session: Session, commune_code: str) -> PrintRun:
    """The commune ``commune_code`` and the number of plates of its active addresses.

    :raises NotFound: no such commune, or it has no active address to print.
    :raises InvalidInput: the code is a province's: plates are printed per commune.
    """
    commune = get_unit(session, commune_code)
    if commune.level != "commune":
        raise InvalidInput(
            f"{commune.name} is a province: plates are printed per commune",
            {"code": ["must be a 5-digit commune code"]},
        )
    count = session.scalar(
        select(func.count())
        .select_from(Address)
        .where(Address.commune_code == commune.code, Address.status == PRINTED_STATUS)
    )
    if not count:
        raise NotFound(f"{commune.name} ({commune.code}) has no active address to print")
    return PrintRun(commune, count)


def iter_plate_addresses(
    session: Session, commune_code: str, *, batch_size: int | None = None
) -> Iterator[AddressView]:
    """The active addresses of a commune in walking order, ``batch_size`` rows in memory at a time.

    The rows come from a server-side cursor, which stays open (with its transaction) until the
    iterator is exhausted or closed. ``batch_size`` defaults to ``BATCH_SIZE``.
    """
    house_number = cast(func.substring(Address.house_number, "^[0-9]+"), Numeric)
    query = (
        public_view_query()
        .where(Address.commune_code == commune_code, Address.status == PRINTED_STATUS)
        .order_by(
            Address.hamlet.nulls_first(),
            Address.street.nulls_first(),
            Address.alley,
            house_number.nulls_first(),
            Address.house_number.nulls_first(),
            Address.code,
            Address.unit,
        )
    )
    result = session.execute(query, execution_options={"yield_per": batch_size or BATCH_SIZE})
    try:
        for row in result:
            yield view_from_row(row)
    finally:
        result.close()


def record_print_run(
    session: Session, actor: Actor, commune_code: str, plates: int, via: str
) -> None:
    """Record a completed print run of ``plates`` plates of a commune (the caller commits).

    :raises InvalidInput: ``via`` is not one of :data:`PRINT_RUN_WAYS`, or no plate.
    """
    if via not in PRINT_RUN_WAYS or plates < 1:
        raise InvalidInput(
            "a print run is made by cli or http and has plates",
            {"via": [f"one of {', '.join(PRINT_RUN_WAYS)}"], "plates": ["at least 1"]},
        )
    session.add(
        PrintRunRecord(
            commune_code=commune_code,
            plates=plates,
            actor_id=actor.user_id or None,  # 0: the operator at the command line
            actor=actor.username,
            via=via,
        )
    )
    session.flush()
