"""Bulk import of household lists (CSV, GeoJSON, .xlsx) with the registration API's rules.

One import is one transaction in the caller's session: every row is checked
(:mod:`registry.importing.rows`, :mod:`registry.importing.batch`; a large CSV file in two
processes, :mod:`registry.importing.halves`), codes are minted from the same per-cell
sequences as the API (:func:`registry.importing.load.mint`), and the rows are loaded with COPY,
with change numbers drawn in one block. The households' personal data is sealed in a thread
while the addresses' indexes are rebuilt. In ``all-or-nothing`` mode one bad row stops the
import before anything is written; in ``skip-bad-rows`` mode the good rows are imported and the
bad ones reported. A dry run checks everything, minting included, and writes nothing.

The audit trail gets **one** event per import (``household.import``), not one per household:
it names the file (and its SHA-256), the importer, the counts, the address id range and the
communes, so every imported record can be traced to it. Per-row events would double the
rows written for no information the file does not already hold.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from geo.cells import cell_numbers
from registry import audit
from registry.access import Actor
from registry.dwellings import FLAG_CONFIRMED_DISTINCT, Rules
from registry.errors import InvalidInput
from registry.importing import indexes as import_indexes
from registry.importing.batch import (
    check_boundaries,
    check_duplicates,
    check_household_ids,
    existing_near,
)
from registry.importing.halves import check_file
from registry.importing.load import (
    ADDRESS_COLUMNS,
    HOUSEHOLD_COLUMNS,
    CopySource,
    Minted,
    address_prefixes,
    copy_in,
    draw_change_numbers,
    household_prefixes,
    mint,
    new_household_ids,
    reserve_address_ids,
    sealed_households,
    write_copy_lines,
    write_counters,
)
from registry.importing.rows import RowChecker
from registry.importing.rules import Checked, Commune, RowError
from registry.importing.source import open_table
from registry.models import Address, AdminUnit

Mode = Literal["all-or-nothing", "skip-bad-rows"]
IndexStrategy = Literal["auto", "keep", "rebuild"]
MODES: tuple[Mode, ...] = ("all-or-nothing", "skip-bad-rows")
INDEX_STRATEGIES: tuple[IndexStrategy, ...] = ("auto", "keep", "rebuild")
#: ``auto`` rebuilds indexes when the import adds at least this many rows...
REBUILD_MIN_ROWS = 100_000
#: ...and at least this share of the rows already in the table.
REBUILD_MIN_SHARE = 0.5
REPORT_SUFFIX = ".errors.csv"

#: Called with (phase, rows just done, rows expected in all).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to import a file."""

    mode: Mode = "all-or-nothing"
    dry_run: bool = False
    #: The commune of rows without a commune code; rows naming another commune are refused.
    commune: str | None = None
    indexes: IndexStrategy = "auto"


@dataclass(slots=True)
class ImportResult:
    """What an import did (or, in a dry run or after errors, would do)."""

    import_id: uuid.UUID
    file: str
    rows: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    ignored_columns: tuple[str, ...] = ()
    index_strategy: str = "keep"
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rejected_rows(self) -> int:
        """How many rows have at least one error."""
        return len({error.row for error in self.errors})


def import_households(
    session: Session,
    actor: Actor,
    path: Path,
    rules: Rules,
    options: ImportOptions = ImportOptions(),  # a frozen dataclass: immutable
    progress: Progress | None = None,
) -> ImportResult:
    """Check and import the households listed in ``path``; the caller commits or rolls back.

    ``written`` in the result says whether rows were written (not in a dry run, not in
    all-or-nothing mode with errors). Row errors are in the result, never raised.

    :raises InvalidInput: the file cannot be read or lacks a required column.
    :raises ConcurrentRegistration: registrations raced the import in its cells.
    """
    report = progress or (lambda _phase, _done, _total: None)
    result = ImportResult(import_id=uuid.uuid4(), file=path.name)
    clock = _Clock(result.seconds)
    communes = _communes(session)
    with tempfile.TemporaryDirectory(prefix="registry-import-") as spool_dir:
        spool = Path(spool_dir)
        with clock("check"), open_table(path) as table:
            checker = RowChecker(table, actor, rules, communes, default_commune=options.commune)
            missing = checker.missing_columns()
            if missing:
                raise InvalidInput(
                    f"{path.name} lacks required columns: {', '.join(missing)}",
                    {"file": [f"add a column {name}" for name in missing]},
                )
            result.ignored_columns = table.ignored
            expected = table.expected_rows
            checked = check_file(
                checker, path, spool, lambda count: report("checking rows", count, expected)
            )
        result.rows = checked.seen
        ok = np.ones(len(checked), dtype=bool)
        with clock("batch-rules"):
            distinct = _batch_rules(session, checked, list(communes.values()), ok, rules)
        lock = not options.dry_run and (options.mode == "skip-bad-rows" or not checked.errors)
        with clock("mint"):
            minted = _mint(session, checked, ok, lock=lock)
        result.errors = sorted(checked.errors, key=lambda error: (error.row, error.field))
        if not lock or (result.errors and options.mode == "all-or-nothing"):
            result.imported = int(ok.sum())
            return result
        write_counters(session, minted)
        batch = _Batch(checked, ok, list(communes), spool, path, distinct)
        _write(session, actor, batch, minted, options, result, clock)
    return result


@dataclass(frozen=True, slots=True)
class _Batch:
    """A checked file on its way into the tables."""

    checked: Checked
    #: Per checked row: still to be imported.
    ok: np.ndarray
    #: Commune codes, indexed by ``checked.commune``.
    commune_codes: list[str]
    spool: Path
    path: Path
    #: Rows registered ``confirm_distinct`` next to a possible duplicate (flagged for review).
    confirmed_distinct: np.ndarray


class _Clock:
    """Accumulates the seconds spent in each phase."""

    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - started


def _communes(session: Session) -> dict[str, Commune]:
    rows = session.execute(
        select(
            AdminUnit.code, AdminUnit.parent_code, AdminUnit.name, AdminUnit.boundary.is_not(None)
        ).where(AdminUnit.level == "commune")
    )
    return {
        code: Commune(code, parent or "", name, bool(bounded))
        for code, parent, name, bounded in rows
    }


def _batch_rules(
    session: Session, checked: Checked, communes: list[Commune], ok: np.ndarray, rules: Rules
) -> np.ndarray:
    """Apply the rules of the whole batch; returns the rows confirmed distinct from a neighbour."""
    if not len(checked):
        return np.zeros(0, dtype=np.intp)
    check_boundaries(session, checked, communes, ok)
    check_household_ids(session, checked, ok)
    if not ok.any():
        return np.zeros(0, dtype=np.intp)
    existing = existing_near(session, checked, rules.duplicate_radius_m)
    return check_duplicates(checked, existing, ok, rules.duplicate_radius_m)


def _mint(session: Session, checked: Checked, ok: np.ndarray, *, lock: bool) -> Minted:
    """Codes for the rows still ``ok``; rows of full cells become errors."""
    rows = np.flatnonzero(ok)
    cells = cell_numbers(np.frombuffer(checked.lat)[rows], np.frombuffer(checked.lon)[rows])
    minted = mint(session, cells, lock=lock)
    full = rows[~minted.issued]
    ok[full] = False
    checked.errors.extend(
        RowError(
            checked.rows[i],
            "location",
            "cell-full",
            "all 20 codes of this 14 m cell are issued: register further dwellings here as"
            " units of one building code (through the API)",
        )
        for i in full
    )
    return minted


def _write(
    session: Session,
    actor: Actor,
    batch: _Batch,
    minted: Minted,
    options: ImportOptions,
    result: ImportResult,
    clock: _Clock,
) -> None:
    """Load the ``ok`` rows with COPY and record the import in the audit trail."""
    ok, spool = batch.ok, batch.spool
    count = int(ok.sum())
    result.written = True
    result.imported = count
    if not count:
        return
    strategy = _strategy(session, options.indexes, count)
    result.index_strategy = strategy
    deferred = None
    if strategy == "rebuild":
        with clock("drop-indexes"):
            deferred = import_indexes.defer(session, ["addresses", "households"])
    with clock("prepare"):
        ids = reserve_address_ids(session, count, table_locked=deferred is not None)
        address_prefix, household_prefix = _prefixes(session, actor, batch, minted, ids)
        seal = sealed_households(session)
    sealed = spool / "households.copy"
    # Sealing is Python work and index builds are the server's: the two run side by side.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-seal") as sealer:
        sealing = sealer.submit(
            write_copy_lines, spool / "households", ok, *household_prefix, seal, sealed
        )
        with clock("copy-addresses"):
            _copy_addresses(session, batch, address_prefix)
        if deferred is not None:
            _rebuild(session, deferred.of("addresses"), result, clock)
        with clock("wait-for-sealing"):
            result.seconds["seal-households"] = sealing.result()
    with clock("copy-households"), sealed.open("rb") as lines:
        copy_in(session, "households", HOUSEHOLD_COLUMNS, lines)
    if deferred is not None:
        _rebuild(session, deferred.of("households"), result, clock)
    with clock("audit"):
        _audit(session, actor, batch, ids, result, options)


def _copy_addresses(session: Session, batch: _Batch, prefix: tuple[bytes, int]) -> None:
    """COPY the addresses; those confirmed distinct from a neighbour carry their review flag.

    The flagged rows (rare) go in a COPY of their own, with the ``flag`` column: every row
    keeps the id and change number drawn for it, and none is written twice.
    """
    ok, spool = batch.ok, batch.spool
    flagged = np.zeros(len(ok), dtype=bool)
    flagged[batch.confirmed_distinct] = True
    flagged &= ok
    if not flagged.any():
        with (spool / "addresses").open("rb") as lines:
            copy_in(session, "addresses", ADDRESS_COLUMNS, CopySource(lines, ok, *prefix))
        return
    prefixes, width = prefix
    table = np.frombuffer(prefixes, dtype=np.uint8).reshape(-1, width)
    marked = flagged[np.flatnonzero(ok)]
    flag = b"\t" + FLAG_CONFIRMED_DISTINCT.encode() + b"\n"
    for keep, rows, columns, line_filter in (
        (ok & ~flagged, ~marked, ADDRESS_COLUMNS, None),
        (flagged, marked, (*ADDRESS_COLUMNS, "flag"), lambda line: line.rstrip(b"\n") + flag),
    ):
        with (spool / "addresses").open("rb") as lines:
            source = CopySource(lines, keep, table[rows].tobytes(), width, line_filter)
            copy_in(session, "addresses", columns, source)


def _prefixes(
    session: Session, actor: Actor, batch: _Batch, minted: Minted, ids: np.ndarray
) -> tuple[tuple[bytes, int], tuple[bytes, int]]:
    """The COPY line prefixes of the addresses and of the households (ids, codes, numbers)."""
    rows = np.flatnonzero(batch.ok)
    count = len(rows)
    changes = draw_change_numbers(session, 2 * count)  # the addresses', then the households'
    lon, lat = np.frombuffer(batch.checked.lon)[rows], np.frombuffer(batch.checked.lat)[rows]
    codes = minted.codes[minted.issued]
    addresses = address_prefixes(ids, codes, lon, lat, changes[:count])
    given = np.frombuffer(bytes(batch.checked.ids), dtype="V16")[rows]
    households = new_household_ids(given, np.random.default_rng(), time.time_ns() // 10**6)
    return addresses, household_prefixes(households, ids, changes[count:], actor.user_id)


def _rebuild(
    session: Session, deferred: import_indexes.Deferred, result: ImportResult, clock: _Clock
) -> None:
    """Build the dropped indexes and keys of one table; their seconds go in the profile."""
    with clock("rebuild-indexes"):
        built = import_indexes.restore(session, deferred)
    result.seconds.update(built)


def _strategy(session: Session, requested: IndexStrategy, count: int) -> str:
    if requested != "auto":
        return requested
    if count < REBUILD_MIN_ROWS:
        return "keep"
    # pg_class's estimate is enough to compare sizes, and free.
    estimate = session.scalar(
        text(
            "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'addresses'::regclass"
        )
    )
    present = estimate or session.scalar(select(func.count()).select_from(Address)) or 0
    return "rebuild" if count >= REBUILD_MIN_SHARE * present else "keep"


def _audit(
    session: Session,
    actor: Actor,
    batch: _Batch,
    ids: np.ndarray,
    result: ImportResult,
    options: ImportOptions,
) -> None:
    """The import's one audit event: file, counts, address ids and communes."""
    commune_of = np.frombuffer(batch.checked.commune, dtype=np.uint16)[batch.ok]
    counts = np.bincount(commune_of, minlength=len(batch.commune_codes))
    summary = {batch.commune_codes[i]: int(counts[i]) for i in np.flatnonzero(counts)}
    path = batch.path
    audit.record(
        session,
        actor,
        action="household.import",
        entity_type="import",
        entity_id=str(result.import_id),
        commune_code=next(iter(summary)) if len(summary) == 1 else None,
        after={
            "file": path.name,
            "sha256": _sha256(path),
            "mode": options.mode,
            "rows": result.rows,
            "imported": result.imported,
            "rejected_rows": result.rejected_rows,
            "address_ids": {"min": int(ids.min()), "max": int(ids.max())},
            "communes": summary,
        },
    )
    session.flush()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as raw:
        while block := raw.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def report_path(path: Path) -> Path:
    """Where the error report of ``path`` goes: next to it, ``<name>.errors.csv``."""
    return path.with_name(path.name + REPORT_SUFFIX)


def write_report(path: Path, errors: list[RowError]) -> Path | None:
    """Write the per-row error report next to ``path`` (remove a stale one when clean)."""
    target = report_path(path)
    if not errors:
        target.unlink(missing_ok=True)
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "field", "kind", "reason"])
    writer.writerows((error.row, error.field, error.kind, error.reason) for error in errors)
    target.write_text(buffer.getvalue(), encoding="utf-8-sig")
    return target
