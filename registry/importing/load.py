"""Minting codes for a batch and loading it with COPY, inside the caller's transaction.

Minting follows :func:`registry.dwellings._mint` for many rows at once: the batch's cells are
counted in Python, the counters of the cells that exist are locked (``FOR UPDATE``) and read,
each row gets the next free sequence symbols of its cell in file order, and one upsert writes
the new counters. A cell created by a concurrent registration between the read and the upsert
makes the upsert (or the unique index on codes) fail, and the whole import rolls back: a code
is never issued twice.

Rows reach the tables through ``COPY ... FROM STDIN`` in text format. The per-row prefix (ids,
code, point as hex EWKB, change number) is built with NumPy; the rest of each line was written
by the row checker into a spool file. Before COPY, a household's citizen ID and phone are
sealed and the citizen ID's blind index appended (:func:`sealed_households`), so the tables
never hold them in clear.

Change numbers (the delta feed's order, migration 0002) are drawn in one block
(:func:`draw_change_numbers`) after the import registers as a writer, and loaded with the
rows: the stamping trigger keeps numbers drawn that way (migration 0006) instead of running
once per row.
"""

from __future__ import annotations

import binascii
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo import SEQUENCE_SYMBOLS
from geo.cells import as_ascii, as_text, cell_symbols, code_symbols
from registry import pii
from registry.db import copy_cursor
from registry.errors import Conflict

#: Columns written by COPY; every other column has a server default.
ADDRESS_COLUMNS = (
    "id",
    "code",
    "point",
    "change_seq",
    "accuracy_m",
    "location_source",
    "house_number",
    "alley",
    "street",
    "hamlet",
    "commune_code",
    "province_code",
    "postcode",
)
HOUSEHOLD_COLUMNS = (
    "id",
    "address_id",
    "change_seq",
    "created_by",
    "updated_by",
    "commune_code",
    "head_name",
    "citizen_id",
    "phone",
    "members",
    "citizen_id_index",
)
CELL_CAPACITY = len(SEQUENCE_SYMBOLS)
_EWKB_POINT_4326 = bytes.fromhex("0101000020E6100000")
_CHUNK_LINES = 8192
#: A row of ``COPY (SELECT bigint) TO STDOUT (FORMAT binary)``: field count, size, value.
_BINARY_BIGINT_ROW = np.dtype([("fields", ">i2"), ("size", ">i4"), ("value", ">i8")])
#: The binary COPY header: signature, flags, header extension length (both zero).
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)

_LOCK_CELLS = text(
    """
    SELECT s.cell, s.issued FROM unnest(CAST(:cells AS text[])) AS batch(cell)
    JOIN cell_sequences AS s ON s.cell = batch.cell
    FOR UPDATE OF s
    """
)
_READ_CELLS = text(
    """
    SELECT s.cell, s.issued FROM unnest(CAST(:cells AS text[])) AS batch(cell)
    JOIN cell_sequences AS s ON s.cell = batch.cell
    """
)
_UPSERT_CELLS = text(
    """
    WITH written AS (
        INSERT INTO cell_sequences AS s (cell, issued)
        SELECT * FROM unnest(CAST(:cells AS text[]), CAST(:issued AS smallint[]))
        ON CONFLICT (cell) DO UPDATE SET issued = excluded.issued
            WHERE s.issued < excluded.issued
        RETURNING 1
    )
    SELECT count(*) FROM written
    """
)


class ConcurrentRegistration(Conflict):
    """Cells got new codes from the API while the import minted them; run it again."""

    kind = "concurrent-registration"
    title = "Concurrent registration"


@dataclass(frozen=True, slots=True)
class Minted:
    """Codes for the rows of a batch (rows whose cell is full get none)."""

    #: Per row: the 12 code symbols (indices into the alphabet).
    codes: NDArray[np.uint8]
    #: Per row: False when the cell had no free sequence symbol left.
    issued: NDArray[np.bool_]
    #: The cells whose counters change, and their new counts.
    cells: list[str]
    counts: list[int]


def _array_literal(values: list[str]) -> str:
    """A text[] literal of values that need no quoting (code symbols, digits)."""
    return "{" + ",".join(values) + "}"


def mint(session: Session, cells: NDArray[np.int64], *, lock: bool) -> Minted:
    """Give each row (cells in file order) the next free sequence symbol of its cell.

    With ``lock`` the counters of the batch's cells are locked until the transaction ends;
    :func:`write_counters` then records what was issued. A dry run reads without locking.
    """
    unique, inverse, counts = np.unique(cells, return_inverse=True, return_counts=True)
    texts = as_text(cell_symbols(unique))
    before = np.zeros(len(unique), dtype=np.int64)
    if len(unique):
        position = {cell: index for index, cell in enumerate(texts)}
        query = _LOCK_CELLS if lock else _READ_CELLS
        for cell, issued in session.execute(query, {"cells": _array_literal(texts)}):
            before[position[cell]] = issued
    # Rank of each row within its cell, in file order.
    order = np.argsort(inverse, kind="stable")
    starts = np.cumsum(counts) - counts
    rank = np.empty(len(cells), dtype=np.int64)
    rank[order] = np.arange(len(cells)) - np.repeat(starts, counts)
    sequence = before[inverse] + rank
    issued = sequence < CELL_CAPACITY
    symbols = np.minimum(sequence, CELL_CAPACITY - 1).astype(np.uint8)
    after = np.minimum(before + counts, CELL_CAPACITY)
    changed = np.flatnonzero(after > before)
    return Minted(
        codes=code_symbols(cell_symbols(cells), symbols),
        issued=issued,
        cells=[texts[i] for i in changed],
        counts=after[changed].tolist(),
    )


def write_counters(session: Session, minted: Minted) -> None:
    """Record the issued sequence symbols in ``cell_sequences`` (one upsert).

    :raises ConcurrentRegistration: when a counter changed under the import.
    """
    if not minted.cells:
        return
    written = session.execute(
        _UPSERT_CELLS,
        {
            "cells": _array_literal(minted.cells),
            "issued": _array_literal([str(count) for count in minted.counts]),
        },
    ).scalar_one()
    if written != len(minted.cells):
        raise ConcurrentRegistration(
            f"{len(minted.cells) - written} cell(s) got codes from a registration while the"
            " import ran; nothing was imported: run the import again"
        )


def reserve_address_ids(session: Session, count: int, *, table_locked: bool) -> NDArray[np.int64]:
    """``count`` new address ids from the table's sequence.

    With the table locked against other writers (an index rebuild holds an exclusive lock) no
    one else can draw from its sequence, so one contiguous block is taken with ``setval``;
    otherwise every id is drawn with ``nextval``.
    """
    if table_locked:
        first = session.execute(
            text(
                "SELECT setval(seq, nextval(seq) + :count - 1) - :count + 1"
                " FROM pg_get_serial_sequence('addresses', 'id') AS seq"
            ),
            {"count": count},
        ).scalar_one()
        return np.arange(first, first + count, dtype=np.int64)
    buffer = io.BytesIO()
    # The count is an int, never input text.
    statement = f"COPY (SELECT nextval(pg_get_serial_sequence('addresses', 'id')) FROM generate_series(1, {int(count)})) TO STDOUT"  # noqa: E501, S608
    copy_cursor(session).copy_expert(statement, buffer)
    return np.array(buffer.getvalue().split(), dtype=np.int64)


def draw_change_numbers(session: Session, count: int) -> NDArray[np.int64]:
    """``count`` change numbers for rows this transaction loads, increasing.

    The transaction registers as a writer first, as every stamped write does
    (``registry_next_change()``, migration 0002), so the feed holds back every number drawn
    after it until the import ends; the rest come from the same sequence in one statement,
    interleaved with concurrent writers' numbers but never shared with them.
    """
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    first = int(session.execute(text("SELECT registry_next_change()")).scalar_one())
    buffer = io.BytesIO()
    # The count is an int, never input text.
    statement = f"COPY (SELECT nextval('registry_change_seq') FROM generate_series(2, {int(count)})) TO STDOUT (FORMAT binary)"  # noqa: E501, S608
    copy_cursor(session).copy_expert(statement, buffer)
    raw = buffer.getbuffer()
    if bytes(raw[: len(_BINARY_HEADER)]) != _BINARY_HEADER:
        raise RuntimeError("unexpected binary COPY header")
    rows = np.frombuffer(raw, dtype=_BINARY_BIGINT_ROW, count=count - 1, offset=len(_BINARY_HEADER))
    if not ((rows["fields"] == 1) & (rows["size"] == 8)).all():
        raise RuntimeError("unexpected binary COPY row")
    return np.sort(np.concatenate([[first], rows["value"]]).astype(np.int64))


def _digits(values: NDArray[np.int64], width: int) -> NDArray[np.uint8]:
    """Zero-padded decimal digits (ASCII) of non-negative integers, ``width`` per row."""
    out = np.empty((len(values), width), dtype=np.uint8)
    rest = values.copy()
    for position in range(width - 1, -1, -1):
        out[:, position] = rest % 10 + 48
        rest //= 10
    return out


def _hex(rows: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Rows of bytes as rows of upper-case hex digits (ASCII)."""
    width = rows.shape[1] * 2
    flat = binascii.hexlify(np.ascontiguousarray(rows).tobytes()).upper()
    return np.frombuffer(flat, dtype=np.uint8).reshape(-1, width)


def _tab() -> NDArray[np.uint8]:
    return np.array([[9]], dtype=np.uint8)


def _numbers(values: NDArray[np.int64]) -> NDArray[np.uint8]:
    """Non-negative integers as zero-padded decimal text (ASCII), one fixed-width row each."""
    return _digits(values, len(str(int(values.max()))) if len(values) else 1)


def address_prefixes(
    ids: NDArray[np.int64],
    codes: NDArray[np.uint8],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    changes: NDArray[np.int64],
) -> tuple[bytes, int]:
    """``id<TAB>code<TAB>point<TAB>change_seq<TAB>`` of each address row; and that width."""
    count = len(ids)
    if not count:
        return b"", 0
    ewkb = np.empty((count, 25), dtype=np.uint8)
    ewkb[:, :9] = np.frombuffer(_EWKB_POINT_4326, dtype=np.uint8)
    ewkb[:, 9:17] = np.ascontiguousarray(lon, dtype="<f8").view(np.uint8).reshape(-1, 8)
    ewkb[:, 17:] = np.ascontiguousarray(lat, dtype="<f8").view(np.uint8).reshape(-1, 8)
    tab = np.repeat(_tab(), count, axis=0)
    parts = [_numbers(ids), tab, as_ascii(codes), tab, _hex(ewkb), tab, _numbers(changes), tab]
    table = np.hstack(parts)
    return table.tobytes(), table.shape[1]


def household_prefixes(
    ids: NDArray[np.void],
    address_ids: NDArray[np.int64],
    changes: NDArray[np.int64],
    user_id: int,
) -> tuple[bytes, int]:
    """``uuid<TAB>address_id<TAB>change_seq<TAB>created_by<TAB>updated_by<TAB>`` of each row.

    Returns the rows' text, fixed width, and that width.
    """
    count = len(ids)
    if not count:
        return b"", 0
    raw = np.frombuffer(ids.tobytes(), dtype=np.uint8).reshape(-1, 16)
    hexed = _hex(raw)
    dash = np.repeat(np.array([[45]], dtype=np.uint8), count, axis=0)
    uuid_text = np.hstack(
        [
            hexed[:, :8],
            dash,
            hexed[:, 8:12],
            dash,
            hexed[:, 12:16],
            dash,
            hexed[:, 16:20],
            dash,
            hexed[:, 20:],
        ]
    )
    user = np.frombuffer(f"\t{user_id}\t{user_id}\t".encode(), dtype=np.uint8)
    tab = np.repeat(_tab(), count, axis=0)
    parts = [
        uuid_text,
        tab,
        _numbers(address_ids),
        tab,
        _numbers(changes),
        np.repeat(user[None, :], count, axis=0),
    ]
    table = np.hstack(parts)
    return table.tobytes(), table.shape[1]


def new_household_ids(
    given: NDArray[np.void], rng: np.random.Generator, now_ms: int
) -> NDArray[np.void]:
    """The ids given in the file, and time-ordered UUIDs (version 7) where none was given.

    Version 7 ids made here increase with the row (timestamp, then the row number in the
    random part), so the primary key index is appended to rather than written at random.
    """
    raw = np.frombuffer(given.tobytes(), dtype=np.uint8).reshape(-1, 16).copy()
    missing = np.flatnonzero(~raw.any(axis=1))
    fresh = rng.integers(0, 256, size=(len(missing), 16), dtype=np.uint8)
    fresh[:, :6] = np.frombuffer(now_ms.to_bytes(8, "big")[2:], dtype=np.uint8)
    fresh[:, 6:8] = (0x70, 0)  # version 7; the 12 "rand_a" bits stay 0, so rows keep order
    counter = np.arange(len(missing), dtype=">u8").view(np.uint8).reshape(-1, 8)
    fresh[:, 8:13] = counter[:, 3:]  # 40 bits of row number, then 24 random bits
    fresh[:, 8] = 0x80 | (fresh[:, 8] & 0x3F)
    raw[missing] = fresh
    return raw.view("V16").ravel()


#: Turns a spooled line into the line COPY loads (see :func:`sealed_households`).
LineFilter = Callable[[bytes], bytes]


class Readable(Protocol):
    """What COPY reads from: a binary file, or :class:`CopySource`."""

    def read(self, size: int = -1, /) -> bytes:
        """The next bytes (empty at the end)."""
        ...


def sealed_households(session: Session) -> LineFilter:
    """Seal the citizen ID and phone of spooled household lines; append the blind index.

    A spooled line is ``commune, head, citizen_id, phone, members`` (:data:`HOUSEHOLD_COLUMNS`
    without the index). The row rules leave no COPY escape in a citizen ID or phone, and a
    sealed value needs none: the two fields are taken and put back as they are. The data key
    is read here, on the session; the filter itself touches no session (it may run in
    another thread).
    """
    seal_id, seal_phone = pii.sealer(session, "citizen_id"), pii.sealer(session, "phone")
    index = pii.indexer("citizen_id")
    null = b"\\N"

    def seal_line(line: bytes) -> bytes:
        commune, head, citizen_id, phone, members = line.rstrip(b"\n").split(b"\t")
        indexed = null
        if citizen_id != null:
            clear = citizen_id.decode("ascii")
            citizen_id, indexed = seal_id(clear).encode(), index(clear).encode()
        if phone != null:
            phone = seal_phone(phone.decode("ascii")).encode()
        return b"\t".join((commune, head, citizen_id, phone, members, indexed)) + b"\n"

    return seal_line


def write_copy_lines(
    spool: Path,
    keep: NDArray[np.bool_],
    prefixes: bytes,
    width: int,
    line_filter: LineFilter,
    target: Path,
) -> float:
    """Write the COPY lines of the kept rows (prefix + filtered spooled line) to ``target``.

    Returns the seconds it took. It uses no session: the import runs it in a thread while its
    connection is busy building indexes.
    """
    started = time.perf_counter()
    with spool.open("rb") as lines, target.open("wb") as out:
        for chunk in _lines(lines, keep, prefixes, width, line_filter):
            out.write(chunk)
    return time.perf_counter() - started


class CopySource(io.RawIOBase):
    """A readable file over COPY lines: prefix + spooled line, for the kept rows only."""

    def __init__(
        self,
        spool: IO[bytes],
        keep: NDArray[np.bool_],
        prefixes: bytes,
        width: int,
        line_filter: LineFilter | None = None,
    ) -> None:
        super().__init__()
        self._chunks = _lines(spool, keep, prefixes, width, line_filter)

    def readable(self) -> bool:
        """It is."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """The next chunk of COPY text (whole lines; may exceed ``size``)."""
        return next(self._chunks, b"")


def _lines(
    spool: IO[bytes],
    keep: NDArray[np.bool_],
    prefixes: bytes,
    width: int,
    line_filter: LineFilter | None,
) -> Iterator[bytes]:
    out: list[bytes] = []
    start = 0
    for line, wanted in zip(spool, keep.tolist(), strict=False):
        if wanted:
            out.append(prefixes[start : start + width])
            out.append(line if line_filter is None else line_filter(line))
            start += width
            if len(out) >= _CHUNK_LINES:
                yield b"".join(out)
                out = []
    if out:
        yield b"".join(out)


def copy_in(session: Session, table: str, columns: tuple[str, ...], source: Readable) -> None:
    """``COPY table (columns) FROM STDIN`` from ``source`` on the session's connection."""
    copy_cursor(session).copy_expert(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN", source, size=1 << 20
    )
