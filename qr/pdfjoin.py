"""Join PDFs written by reportlab into one PDF, streaming.

reportlab keeps every page of a document in memory until ``save()`` and then formats the whole
file in memory, so one canvas for 10,000 plates grows without bound. Instead a print run is
rendered a few dozen pages at a time into small PDFs, and ``PdfJoiner`` copies each one's
objects into the output as they come, renumbered, with every page hung under one page tree.
It keeps only the byte offset of each object written and the object number of each page.

This reads reportlab's own output, whose shape is known (one classic cross-reference table,
objects in order, streams with flat dictionaries); anything else is refused, never guessed.
"""

from __future__ import annotations

import re
import secrets
from array import array
from datetime import UTC, datetime
from itertools import pairwise
from typing import BinaryIO

from qr.errors import PdfJoinError

_VERSION = b"1.4"
_HEADER = b"%PDF-" + _VERSION + b"\n%\x93\x8c\x8b\x9e\n"
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF = re.compile(rb"xref\s+0 (\d+)\s+")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])\s*")
_TRAILER_REF = re.compile(rb"/(Root|Info) (\d+) 0 R")
_REF = re.compile(rb"\b(\d+) 0 R\b")
_OBJECT = re.compile(rb"(\d+) 0 obj\s(.*?)\s*endobj\s*$", re.DOTALL)
_FLAT_STREAM = re.compile(rb"(<<[^<>]*>>)(\s*stream\r?\n)", re.DOTALL)

_PAGES, _CATALOG, _INFO = 1, 2, 3


class PdfJoiner:
    """Writes one PDF to ``out`` from the pages of reportlab PDFs added one after another."""

    def __init__(self, out: BinaryIO, *, title: str = "") -> None:
        self._out = out
        self._title = title
        self._position = 0
        self._offsets = array("Q", [0, 0, 0, 0])  # by object number; 0 is the free head
        self._kids = array("L")

    def add(self, pdf: bytes) -> int:
        """Copy the pages of one reportlab PDF to the output; returns how many were added.

        :raises PdfJoinError: the PDF is not shaped like reportlab's output.
        """
        if not pdf.startswith(b"%PDF-" + _VERSION):
            raise PdfJoinError(f"expected a PDF {_VERSION.decode()} document")
        objects = _objects(pdf)
        root, info = _trailer_refs(pdf)
        pages = _ref_after(b"/Pages", objects.get(root, b""))
        kids = [
            int(number) for number in _REF.findall(_array_after(b"/Kids", objects.get(pages, b"")))
        ]
        for kid in kids:
            if not re.search(rb"/Type /Page\b", objects.get(kid, b"")):
                raise PdfJoinError(f"object {kid} in /Kids is not a page")
        skipped = {root, info, pages}
        numbers = {
            old: self._next_number() + index
            for index, old in enumerate(old for old in sorted(objects) if old not in skipped)
        }
        numbers[pages] = _PAGES
        if self._position == 0:
            self._write(_HEADER)
        for old, new in numbers.items():
            if old != pages:
                self._write_object(new, _renumber(objects[old], numbers))
        self._kids.extend(numbers[kid] for kid in kids)
        return len(kids)

    def close(self) -> None:
        """Write the page tree, catalog, document information, cross-reference table and trailer.

        :raises PdfJoinError: no page was added.
        """
        if not self._kids:
            raise PdfJoinError("a PDF needs at least one page")
        kids = b" ".join(b"%d 0 R" % kid for kid in self._kids)
        self._write_object(
            _PAGES, b"<< /Type /Pages /Count %d /Kids [ %s ] >>" % (len(self._kids), kids)
        )
        self._write_object(_CATALOG, b"<< /Type /Catalog /Pages %d 0 R >>" % _PAGES)
        now = datetime.now(UTC).strftime("D:%Y%m%d%H%M%SZ").encode()
        info = b"<< /Producer (household-registry qr, ReportLab) /CreationDate (%s) /Title %s >>"
        self._write_object(_INFO, info % (now, _text_string(self._title)))
        xref_at = self._position
        lines = [b"xref\n0 %d\n" % len(self._offsets), b"0000000000 65535 f \n"]
        lines += [b"%010d 00000 n \n" % offset for offset in self._offsets[1:]]
        document_id = secrets.token_hex(16).encode()
        lines.append(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [ <%s> <%s> ] >>\n"
            % (len(self._offsets), _CATALOG, _INFO, document_id, document_id)
        )
        lines.append(b"startxref\n%d\n%%%%EOF\n" % xref_at)
        self._write(b"".join(lines))

    def _next_number(self) -> int:
        return len(self._offsets)

    def _write_object(self, number: int, body: bytes) -> None:
        while len(self._offsets) <= number:
            self._offsets.append(0)
        self._offsets[number] = self._position
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._position += len(data)


def _objects(pdf: bytes) -> dict[int, bytes]:
    """The body of every in-use object of a PDF, by object number, read via its xref table."""
    end = _STARTXREF.search(pdf, len(pdf) - 64)
    if end is None:
        raise PdfJoinError("no startxref at the end of the PDF")
    xref_at = int(end.group(1))
    head = _XREF.match(pdf, xref_at)
    if head is None:
        raise PdfJoinError("no classic cross-reference table")
    offsets: dict[int, int] = {}
    position = head.end()
    for number in range(int(head.group(1))):
        entry = _XREF_ENTRY.match(pdf, position)
        if entry is None:
            raise PdfJoinError(f"bad cross-reference entry for object {number}")
        if entry.group(3) == b"n":
            offsets[number] = int(entry.group(1))
        position = entry.end()
    bounds = sorted([*offsets.values(), xref_at])
    following = dict(pairwise(bounds))
    objects: dict[int, bytes] = {}
    for number, offset in offsets.items():
        match = _OBJECT.match(pdf[offset : following[offset]])
        if match is None or int(match.group(1)) != number:
            raise PdfJoinError(f"object {number} is not where the xref table says")
        objects[number] = match.group(2)
    return objects


def _trailer_refs(pdf: bytes) -> tuple[int, int]:
    """The /Root and /Info object numbers from the trailer."""
    trailer = pdf[pdf.rindex(b"trailer") :]
    refs = {name.decode(): int(number) for name, number in _TRAILER_REF.findall(trailer)}
    if set(refs) != {"Root", "Info"}:
        raise PdfJoinError("the trailer must name /Root and /Info")
    return refs["Root"], refs["Info"]


def _ref_after(key: bytes, body: bytes) -> int:
    match = re.search(re.escape(key) + rb"\s+(\d+) 0 R", body)
    if match is None:
        raise PdfJoinError(f"no {key.decode()} reference")
    return int(match.group(1))


def _array_after(key: bytes, body: bytes) -> bytes:
    match = re.search(re.escape(key) + rb"\s*\[([^\]]*)\]", body)
    if match is None:
        raise PdfJoinError(f"no {key.decode()} array")
    return match.group(1)


def _renumber(body: bytes, numbers: dict[int, int]) -> bytes:
    """``body`` with every indirect reference renumbered; stream data is copied untouched."""
    stream = _FLAT_STREAM.match(body)
    if stream is not None:
        head, rest = body[: stream.end(1)], body[stream.end(1) :]
    elif b"stream" in body:
        raise PdfJoinError("a stream whose dictionary is not flat")
    else:
        head, rest = body, b""

    def replace(match: re.Match[bytes]) -> bytes:
        old = int(match.group(1))
        if old not in numbers:
            raise PdfJoinError(f"reference to object {old}, which is not copied")
        return b"%d 0 R" % numbers[old]

    return _REF.sub(replace, head) + rest


def _text_string(text: str) -> bytes:
    """A PDF text string: UTF-16BE with a byte-order mark, hex-encoded."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"
