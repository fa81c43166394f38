"""Household lists as rows of values, from CSV, GeoJSON or Excel (.xlsx) files.

Commune offices keep their lists in spreadsheets with Vietnamese headers; a column is
recognised by its folded header ("Số nhà", "so nha" and "house_number" are the same column).
Row numbers are the ones the person sees: the spreadsheet row (the header is row 1) or the
GeoJSON feature number.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from geo import fold
from registry.errors import InvalidInput

#: The fields an import understands, in the order the validator reads them.
FIELDS = (
    "id",
    "lat",
    "lon",
    "x",
    "y",
    "crs",
    "accuracy_m",
    "source",
    "commune_code",
    "house_number",
    "alley",
    "street",
    "hamlet",
    "postcode",
    "head_name",
    "citizen_id",
    "phone",
    "members",
    "confirm_distinct",
    "confirm_low_accuracy",
)

#: Other spellings of a header (folded: lower case, no diacritics, "đ" as "d").
_ALIASES = {
    "household_id": "id",
    "ma ho": "id",
    "latitude": "lat",
    "vi do": "lat",
    "lng": "lon",
    "long": "lon",
    "longitude": "lon",
    "kinh do": "lon",
    "accuracy": "accuracy_m",
    "do chinh xac": "accuracy_m",
    "do chinh xac (m)": "accuracy_m",
    "location_source": "source",
    "nguon": "source",
    "commune": "commune_code",
    "ward_code": "commune_code",
    "ma xa": "commune_code",
    "ma phuong": "commune_code",
    "ma xa/phuong": "commune_code",
    "so nha": "house_number",
    "ngo": "alley",
    "ngo/ngach": "alley",
    "ngo/ngach/hem": "alley",
    "hem": "alley",
    "duong": "street",
    "pho": "street",
    "duong/pho": "street",
    "thon": "hamlet",
    "thon/xom": "hamlet",
    "to dan pho": "hamlet",
    "thon/xom/to dan pho": "hamlet",
    "ap": "hamlet",
    "ma buu chinh": "postcode",
    "full_name": "head_name",
    "head": "head_name",
    "chu ho": "head_name",
    "ho ten chu ho": "head_name",
    "cccd": "citizen_id",
    "so cccd": "citizen_id",
    "so dinh danh": "citizen_id",
    "dien thoai": "phone",
    "so dien thoai": "phone",
    "sdt": "phone",
    "nhan khau": "members",
    "so nhan khau": "members",
    "so thanh vien": "members",
}

SUFFIXES = (".csv", ".geojson", ".json", ".geojson.gz", ".xlsx")


@dataclass(frozen=True, slots=True)
class Table:
    """The rows of an input file and what each of its columns holds."""

    headers: tuple[str, ...]
    #: The field of each column (``None``: a column the import does not use).
    fields: tuple[str | None, ...]
    rows: Iterator[tuple[int, Sequence[Any]]]
    #: Rows to expect, for the progress bar (an estimate for CSV).
    expected_rows: int
    #: The CSV dialect the rows are read with (None for other formats).
    dialect: Any = None

    @property
    def ignored(self) -> tuple[str, ...]:
        """Headers of the columns that are not used."""
        return tuple(h for h, f in zip(self.headers, self.fields, strict=True) if f is None)

    def header_of(self, field: str) -> str:
        """The header of ``field``'s column as written in the file (else the field name)."""
        for header, name in zip(self.headers, self.fields, strict=True):
            if name == field:
                return header
        return field


def field_of(header: str) -> str | None:
    """The field a column header stands for, or None."""
    key = fold(header).strip().replace("_", " ")
    for candidate in (key, key.replace(" ", "_")):
        if candidate in FIELDS:
            return candidate
    return _ALIASES.get(key) or _ALIASES.get(key.replace(" ", "_"))


def _fields_of(headers: Sequence[str], name: str) -> tuple[str | None, ...]:
    """Map headers to fields, refusing a field given by two columns."""
    fields = tuple(field_of(header) for header in headers)
    seen: set[str] = set()
    for field in fields:
        if field is not None and field in seen:
            raise _bad_file(name, f"has two columns for {field}")
        if field is not None:
            seen.add(field)
    return fields


@contextmanager
def open_table(path: Path) -> Iterator[Table]:
    """Open an import file by its suffix.

    :raises InvalidInput: for an unknown suffix or a file that cannot be read as such.
    """
    name = path.name.lower()
    if name.endswith(".csv"):
        with path.open(encoding="utf-8-sig", newline="") as text:
            yield _csv_table(text, path)
    elif name.endswith((".geojson", ".json", ".geojson.gz")):
        yield _geojson_table(path)
    elif name.endswith(".xlsx"):
        with _xlsx_table(path) as table:
            yield table
    else:
        raise InvalidInput(
            f"{path.name}: unknown file type",
            {"file": [f"use one of {', '.join(SUFFIXES)}"]},
        )


def _bad_file(name: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{name} {reason}", {"file": [reason]})


def _count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as raw:
        while block := raw.read(1 << 20):
            lines += block.count(b"\n")
    return lines


def _csv_table(text: IO[str], path: Path) -> Table:
    try:
        sample = text.read(65536)
    except UnicodeDecodeError as error:
        raise _bad_file(path.name, f"cannot be read: {error}") from error
    text.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text, dialect)
    try:
        headers = tuple(next(reader))
    except (StopIteration, csv.Error, UnicodeDecodeError) as error:
        raise _bad_file(path.name, "has no header row") from error
    return Table(
        headers=headers,
        fields=_fields_of(headers, path.name),
        rows=_numbered(reader, path.name),
        expected_rows=max(_count_lines(path) - 1, 0),
        dialect=dialect,
    )


def _numbered(reader: Any, name: str, before: int = 0) -> Iterator[tuple[int, Sequence[Any]]]:
    """CSV rows with their spreadsheet row number (``before`` lines precede the reader's first).

    Blank lines are skipped.
    """
    try:
        for values in reader:
            if values:
                yield before + reader.line_num, values
    except (csv.Error, UnicodeDecodeError) as error:
        row = before + reader.line_num
        raise _bad_file(name, f"cannot be read after row {row}: {error}") from error


def _line_ends(block: bytes) -> int:
    """Line ends in ``block`` as the CSV reader counts them: LF, CR LF and a lone CR."""
    return block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")


def second_half(path: Path, table: Table) -> tuple[int, int] | None:
    """Where a CSV file's second half of records may start: (byte offset, lines before it).

    The offset is the start of the first line past the middle of the file before which the
    quote characters are balanced: no quoted field is open there unless quotes also stand
    inside fields, so the reader of the first half must confirm that a record ends on the
    line before. None when the file is not CSV or has no such line.
    """
    if table.dialect is None:
        return None
    quote = (table.dialect.quotechar or "").encode()
    with path.open("rb") as raw:
        head = raw.read(path.stat().st_size // 2)
        while head.endswith(b"\r"):  # a CR LF stays in one piece
            more = raw.read(1)
            if not more:
                return None
            head += more
        quotes = head.count(quote) if quote else 0
        lines = _line_ends(head)
        while line := raw.readline():
            if not line.endswith(b"\n"):
                return None
            quotes += line.count(quote) if quote else 0
            lines += _line_ends(line)
            if quotes % 2 == 0:
                return raw.tell(), lines
    return None


def rows_from(
    path: Path, table: Table, offset: int, before: int
) -> Iterator[tuple[int, Sequence[Any]]]:
    """The rows of CSV file ``path`` from byte ``offset`` (a record's start) to the end.

    They are numbered as in the whole file: ``before`` lines precede the offset.
    """
    with path.open("rb") as raw:
        raw.seek(offset)
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        yield from _numbered(csv.reader(text, table.dialect), path.name, before)


def _geojson_table(path: Path) -> Table:
    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as text:
            data = json.load(text)
    except (OSError, ValueError) as error:
        raise _bad_file(path.name, "is not readable JSON") from error
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise _bad_file(path.name, "is not a GeoJSON FeatureCollection")
    keys: dict[str, None] = {}
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        keys.update(dict.fromkeys(properties or {}))
    headers = ("lon", "lat", *keys)
    return Table(
        headers=headers,
        fields=_fields_of(headers, path.name),
        rows=_feature_rows(features, tuple(keys)),
        expected_rows=len(features),
    )


def _feature_rows(
    features: list[Any], keys: tuple[str, ...]
) -> Iterator[tuple[int, Sequence[Any]]]:
    """Each feature as (lon, lat, properties...); a missing or non-point geometry is empty."""
    for number, feature in enumerate(features, start=1):
        feature = feature if isinstance(feature, dict) else {}
        geometry = feature.get("geometry") or {}
        coordinates = geometry.get("coordinates") if geometry.get("type") == "Point" else None
        lon, lat = (
            coordinates[:2] if isinstance(coordinates, list) and len(coordinates) >= 2 else ("", "")
        )
        properties = feature.get("properties") or {}
        yield number, (lon, lat, *(properties.get(key) for key in keys))


@contextmanager
def _xlsx_table(path: Path) -> Iterator[Table]:
    from openpyxl import load_workbook  # only .xlsx imports pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as error:
        raise _bad_file(path.name, "is not a readable .xlsx workbook") from error
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        if first is None:
            raise _bad_file(path.name, "has no header row")
        headers = tuple("" if value is None else str(value) for value in first)
        yield Table(
            headers=headers,
            fields=_fields_of(headers, path.name),
            rows=_sheet_rows(rows),
            expected_rows=max((sheet.max_row or 1) - 1, 0),
        )
    finally:
        workbook.close()


def _sheet_rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, Sequence[Any]]]:
    """Sheet rows numbered from 2 (the header is row 1); empty rows are skipped."""
    for number, values in enumerate(rows, start=2):
        if any(value is not None and value != "" for value in values):
            yield number, values
