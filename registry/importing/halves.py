"""Checking the rows of a file; those of a large CSV file in two processes, one per half.

While rows are checked the database has nothing to do, and the check is Python: on a machine
with a second core, a child process checks the second half of a large CSV file while this one
checks the first. The child is forked, so it has the same checker (rules, communes, the
importer) and the same string hashes (the duplicate rule compares hashed house numbers). The
halves meet at a line where the quotes so far are balanced (:func:`second_half`); this
process's reader must find a record ending on the line before, else it reads on to the end
itself and drops the child's work. The child spools its good rows to files of its own, which
are appended to this process's, and sends back its checked rows.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

from registry.errors import InvalidInput
from registry.importing.rows import RowChecker
from registry.importing.rules import Checked
from registry.importing.source import rows_from, second_half

#: Below this size a file is checked in one process: forking costs more than it saves.
SPLIT_MIN_BYTES = 16 << 20
#: The spool files the checked rows' COPY text goes to, in a spool directory.
SPOOLS = ("addresses", "households")
_CHILD = ".second-half"


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """The child met a row it cannot read: the error to raise here."""

    detail: str
    errors: dict[str, list[str]]


def check_file(
    checker: RowChecker,
    path: Path,
    spool: Path,
    progress: Callable[[int], None],
    *,
    split_min_bytes: int | None = None,
) -> Checked:
    """Check every row of ``checker``'s table (read from ``path``); spool the good ones.

    The COPY text of the good rows goes to ``spool/addresses`` and ``spool/households``. A
    CSV file of at least ``split_min_bytes`` (default :data:`SPLIT_MIN_BYTES`) is checked in
    two processes.

    :raises InvalidInput: a row cannot be read.
    """
    least = SPLIT_MIN_BYTES if split_min_bytes is None else split_min_bytes
    split = None
    if (os.cpu_count() or 1) > 1 and path.stat().st_size >= least:
        split = second_half(path, checker.table)
    if split is None:
        return _check(checker, spool, "", progress, None)
    offset, before = split
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_check_second_half, args=(checker, path, offset, before, spool, send), daemon=True
    )
    child.start()
    send.close()
    later: Checked | None = None
    try:
        first = _FirstHalf(checker.table.rows, before)
        checked = _check(checker, spool, "", progress, first)
        if first.whole:
            return checked
        later = _received(receive)
    finally:
        if later is None:  # not needed, or it failed (an unreadable row is raised here)
            child.terminate()
        child.join()
        receive.close()
    if later.seen < 0:  # the child could not finish: check the second half here
        later = _check(checker, spool, _CHILD, progress, rows_from(path, checker.table, *split))
    else:
        progress(later.seen)
    checked.extend(later)
    for name in SPOOLS:
        with (spool / name).open("ab") as out, (spool / (name + _CHILD)).open("rb") as part:
            shutil.copyfileobj(part, out, 1 << 20)
    return checked


class _FirstHalf:
    """The rows before line ``before`` + 1, or all rows if no record ends on that line."""

    def __init__(self, rows: Iterator[tuple[int, Sequence[Any]]], before: int) -> None:
        self.rows = rows
        self.before = before
        #: Whether the halves did not meet on a record's end: then these are all the rows.
        self.whole = False

    def __iter__(self) -> Iterator[tuple[int, Sequence[Any]]]:
        last = 0
        for number, values in self.rows:
            if number > self.before and not self.whole:
                if last == self.before:
                    return
                self.whole = True
            last = number
            yield number, values


def _check(
    checker: RowChecker,
    spool: Path,
    suffix: str,
    progress: Callable[[int], None],
    rows: Iterable[tuple[int, Sequence[Any]]] | None,
) -> Checked:
    with ExitStack() as stack:
        addresses, households = (_spool(stack, spool / (name + suffix)) for name in SPOOLS)
        return checker.check(addresses, households, progress, rows)


def _spool(stack: ExitStack, path: Path) -> IO[str]:
    return stack.enter_context(path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20))


def _check_second_half(
    checker: RowChecker, path: Path, offset: int, before: int, spool: Path, send: Connection
) -> None:
    """In the child: check the rows from ``offset``, send what came of it."""
    try:
        rows = rows_from(path, checker.table, offset, before)
        send.send(_check(checker, spool, _CHILD, lambda _: None, rows))
    except InvalidInput as error:
        send.send(_Unreadable(error.detail, error.errors))
    except Exception:  # noqa: S110 (the parent checks these rows itself, and reports)
        pass
    finally:
        send.close()


def _received(receive: Connection) -> Checked:
    """The child's checked rows; an empty batch with ``seen`` -1 when it sent none.

    :raises InvalidInput: the child met a row it cannot read.
    """
    try:
        message = receive.recv()
    except EOFError:
        return Checked(seen=-1)
    if isinstance(message, _Unreadable):
        raise InvalidInput(message.detail, message.errors)
    checked: Checked = message
    return checked
