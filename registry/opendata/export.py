"""Bulk downloads: a province's addresses as GeoJSON lines, CSV and GeoPackage, with a manifest.

Every file of one export comes from one snapshot (a read-only REPEATABLE READ transaction) of
the ``open_addresses`` view, read through a server-side cursor in key order (the index of the
view's key serves it without a sort), a batch at a time, so memory stays flat whatever the
size of a province. The GeoJSON lines and the CSV are written in the same pass, and the CSV
also goes, as it is written, to GDAL's ``ogr2ogr``, which makes the GeoPackage from it (a
maintained writer, with its spatial index) on the other core; SQLite then counts what the
package holds. Everything is written to ``.part`` files and
renamed only once all files of the export are complete, the manifest last: a failed or
interrupted export leaves no file behind, and never a half one under a final name.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from registry.errors import InvalidInput, RegistryError
from registry.opendata.licences import Licence
from registry.opendata.views import ADDRESS_COLUMNS, ADDRESSES

#: Rows fetched from the server-side cursor at a time.
BATCH_SIZE = 5000
#: Coordinates in the files: 7 decimals of a degree, about 1 cm.
DECIMALS = 7
CRS = "EPSG:4326"
LAYER = "addresses"
#: The CSV's columns: the view's, then the point.
CSV_COLUMNS = (*ADDRESS_COLUMNS, "lon", "lat")

#: The names of communes and provinces come from one read of the units (the view looks them up
#: row by row, which suits a page, not a million rows).
_NAMES = ("commune_name", "commune_name_en", "province_name", "province_name_en")
_ROWS = text(
    f"SELECT {', '.join(c for c in ADDRESS_COLUMNS if c not in _NAMES)},"  # noqa: S608 -- fixed column names
    f" ST_X(point) AS lon, ST_Y(point) AS lat FROM {ADDRESSES.view}"
    f" WHERE province_code = :province ORDER BY {', '.join(ADDRESSES.key)}"
)
_UNIT_NAMES = text("SELECT code, name, name_en FROM open_admin_units")
_PROVINCES = text(
    "SELECT code, name, name_en FROM open_admin_units"
    " WHERE level = 'province' AND code IN :codes ORDER BY code"
).bindparams(bindparam("codes", expanding=True))
#: The provinces with at least one address (one index probe each).
_PROVINCES_WITH_ADDRESSES = text(
    "SELECT u.code, u.name, u.name_en FROM open_admin_units AS u WHERE u.level = 'province'"
    " AND EXISTS (SELECT FROM open_addresses AS a WHERE a.province_code = u.code) ORDER BY u.code"
)


class ExportFailed(RegistryError):
    """A file of the export could not be written (nothing was left behind)."""

    kind = "export-failed"
    title = "Export failed"


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """One file of an export, as the manifest lists it."""

    name: str
    format: str
    media_type: str
    province_code: str
    features: int
    bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Province:
    """A province an export writes files for."""

    code: str
    name: str
    name_en: str


@dataclass
class Export:
    """What an export wrote: its files and manifest (all under their final names)."""

    directory: Path
    manifest: Path
    files: list[ExportedFile] = field(default_factory=list)

    def features(self, province_code: str) -> int:
        """How many addresses of ``province_code`` the export holds."""
        counts = {f.features for f in self.files if f.province_code == province_code}
        return counts.pop() if len(counts) == 1 else -1


@dataclass
class _Parts:
    """The ``.part`` files written so far, renamed together or removed together."""

    finals: list[Path] = field(default_factory=list)

    def part(self, final: Path) -> Path:
        self.finals.append(final)
        return _part(final)

    def commit(self) -> None:
        for final in self.finals:
            _part(final).replace(final)

    def discard(self) -> None:
        for final in self.finals:
            _part(final).unlink(missing_ok=True)


def _part(final: Path) -> Path:
    return final.with_name(final.name + ".part")


def export_addresses(
    session: Session,
    out: Path,
    *,
    licence: Licence,
    source: Mapping[str, str],
    provinces: Sequence[str] = (),
    ogr2ogr: str = "ogr2ogr",
    progress: Callable[[Province, int], None] | None = None,
) -> Export:
    """Write the addresses of ``provinces`` (default: every province with addresses) to ``out``.

    ``session`` reads as the read-only role; ``source`` names the publisher and version for
    the manifest. ``progress(province, rows)`` is called as rows are written.

    :raises InvalidInput: a code that is not a province's.
    :raises ExportFailed: a file could not be written, or GDAL failed (nothing is left).
    """
    connection = session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    connection.execute(text("SET TRANSACTION READ ONLY"))
    snapshot = connection.execute(text("SELECT now()")).scalar_one()
    chosen = _provinces(session, provinces)
    out.mkdir(parents=True, exist_ok=True)
    parts = _Parts()
    export = Export(out, out / "manifest.json")
    try:
        for province in chosen:
            export.files += _write_province(session, out, province, parts, ogr2ogr, progress)
        document = _manifest(export.files, chosen, licence, source, snapshot)
        parts.part(export.manifest).write_bytes(
            json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"
        )
        parts.commit()
    except OSError as error:
        parts.discard()
        raise ExportFailed(f"could not write the export to {out}: {error.strerror}") from error
    except BaseException:
        parts.discard()
        raise
    return export


def _provinces(session: Session, codes: Sequence[str]) -> list[Province]:
    if not codes:
        return [Province(*row) for row in session.execute(_PROVINCES_WITH_ADDRESSES)]
    found = [Province(*row) for row in session.execute(_PROVINCES, {"codes": list(codes)})]
    unknown = sorted(set(codes) - {p.code for p in found})
    if unknown:
        raise InvalidInput(
            f"not a province code: {', '.join(unknown)}",
            {"province": ["a 2-digit province code, e.g. 24"]},
        )
    return found


def _write_province(
    session: Session,
    out: Path,
    province: Province,
    parts: _Parts,
    ogr2ogr: str,
    progress: Callable[[Province, int], None] | None,
) -> list[ExportedFile]:
    stem = f"{LAYER}-{province.code}"
    lines, table, package = (out / f"{stem}.{ext}" for ext in ("geojsonl", "csv", "gpkg"))

    def report(rows: int) -> None:
        if progress is not None:
            progress(province, rows)

    gdal = _GeoPackage(ogr2ogr, parts.part(package))
    try:
        count = _write_lines_and_csv(
            _stream(session, province.code), parts.part(lines), parts.part(table), gdal, report
        )
    except BrokenPipeError:
        count = -1  # ogr2ogr stopped reading: its own error says why
    except BaseException:
        gdal.abort()
        raise
    gdal.finish(count)
    kinds = (
        (lines, "GeoJSONSeq", "application/geo+json-seq"),
        (table, "CSV", "text/csv"),
        (package, "GPKG", "application/geopackage+sqlite3"),
    )
    return [
        ExportedFile(
            final.name,
            kind,
            media_type,
            province.code,
            count,
            _part(final).stat().st_size,
            _sha256(_part(final)),
        )
        for final, kind, media_type in kinds
    ]


def _stream(session: Session, province: str) -> Iterator[dict[str, Any]]:
    """The province's addresses in key order, :data:`BATCH_SIZE` rows in memory at a time."""
    names = {code: (name, name_en) for code, name, name_en in session.execute(_UNIT_NAMES)}
    result = (
        session.connection()
        .execution_options(yield_per=BATCH_SIZE)
        .execute(_ROWS, {"province": province})
    )
    for row in result.mappings():
        commune, province_names = names[row["commune_code"]], names[row["province_code"]]
        yield {
            **row,
            "commune_name": commune[0],
            "commune_name_en": commune[1],
            "province_name": province_names[0],
            "province_name_en": province_names[1],
        }


class _Both:
    """A text file that writes to two (the CSV file, and ogr2ogr's standard input)."""

    def __init__(self, first: IO[str], second: IO[str]) -> None:
        self.first, self.second = first, second

    def write(self, text: str) -> int:
        self.first.write(text)
        return self.second.write(text)


def _write_lines_and_csv(
    rows: Iterator[dict[str, Any]],
    lines_path: Path,
    csv_path: Path,
    gdal: _GeoPackage,
    progress: Callable[[int], None],
) -> int:
    count = 0
    with lines_path.open("wb") as lines, csv_path.open("w", encoding="utf-8", newline="") as table:
        writer = csv.writer(_Both(table, gdal.stdin))
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            lon, lat = round(row["lon"], DECIMALS), round(row["lat"], DECIMALS)
            properties = {name: row[name] for name in ADDRESS_COLUMNS if name != "id"}
            lines.write(orjson.dumps(_feature(row["id"], lon, lat, properties)) + b"\n")
            writer.writerow([*_csv_values(row), lon, lat])
            count += 1
            if count % BATCH_SIZE == 0:
                progress(count)
    progress(count)
    return count


def _feature(identifier: str, lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": identifier,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def _csv_values(row: dict[str, Any]) -> list[Any]:
    values = []
    for name in ADDRESS_COLUMNS:
        value = row[name]
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    return values


#: How ogr2ogr reads the CSV from its standard input: the point from lon/lat, an empty field
#: as null (as the view has it), the time of the last change as a time.
_CSV_SQL = "SELECT {columns}, CAST(updated_at AS timestamp) AS updated_at FROM layer".format(  # noqa: S608 -- GDAL's SQL over the CSV, fixed names
    columns=", ".join(c for c in ADDRESS_COLUMNS if c != "updated_at")
)


class _GeoPackage:
    """``ogr2ogr`` turning the CSV into a GeoPackage as it is written (a second core's work)."""

    def __init__(self, ogr2ogr: str, package: Path) -> None:
        self.package = package
        self.errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 -- closed by finish() or abort()
        command = [
            ogr2ogr,
            "-f", "GPKG", "-nln", LAYER, "-nlt", "POINT", "-a_srs", CRS,
            "-lco", "SPATIAL_INDEX=YES", "--config", "OGR_SQLITE_SYNCHRONOUS", "OFF",
            "-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat",
            "-oo", "KEEP_GEOM_COLUMNS=NO", "-oo", "EMPTY_STRING_AS_NULL=YES",
            "-dialect", "OGRSQL", "-sql", _CSV_SQL,
            str(package), "CSV:/vsistdin/",
        ]  # fmt: skip
        try:
            self.process = subprocess.Popen(  # noqa: S603 -- a fixed command of GDAL's
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self.errors,
                text=True,
                encoding="utf-8",
                bufsize=1 << 20,
            )
        except FileNotFoundError as error:
            self.errors.close()
            raise ExportFailed(f"{ogr2ogr} not found: install GDAL (Debian's gdal-bin)") from error
        assert self.process.stdin is not None  # noqa: S101 -- stdin=PIPE above
        self.stdin: IO[str] = self.process.stdin

    def abort(self) -> None:
        """Stop ogr2ogr (the export failed elsewhere)."""
        self.process.kill()
        self.process.wait()
        self.errors.close()

    def finish(self, count: int) -> None:
        """Wait for ogr2ogr; the GeoPackage must hold ``count`` features.

        :raises ExportFailed: ogr2ogr failed, or the package holds another number of features.
        """
        with contextlib.suppress(BrokenPipeError):
            self.stdin.close()
        code = self.process.wait()
        self.errors.seek(0)
        stderr = self.errors.read()
        self.errors.close()
        if code != 0 or count < 0:
            raise ExportFailed(f"ogr2ogr could not write {self.package.name}: {_last_line(stderr)}")
        held = _geopackage_count(self.package)
        if held != count:
            raise ExportFailed(f"{self.package.name} holds {held} features, not {count}")


def _geopackage_count(package: Path) -> int:
    with closing(sqlite3.connect(f"file:{package}?mode=ro", uri=True)) as db:
        (count,) = db.execute(f'SELECT count(*) FROM "{LAYER}"').fetchone()  # noqa: S608 -- a constant
    return int(count)


def _last_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("ERROR")]
    return (errors or stderr.splitlines() or ["no message"])[-1]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest(
    files: Sequence[ExportedFile],
    provinces: Sequence[Province],
    licence: Licence,
    source: Mapping[str, str],
    snapshot: datetime,
) -> dict[str, Any]:
    return {
        "title": {"vi": ADDRESSES.title["vi"], "en": ADDRESSES.title["en"]},
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_as_of": snapshot.astimezone(UTC).isoformat(),
        "licence": asdict(licence),
        "source": dict(source),
        "crs": CRS,
        "layer": LAYER,
        "provinces": [
            {**asdict(p), "features": next(f.features for f in files if f.province_code == p.code)}
            for p in provinces
        ],
        "files": [asdict(f) for f in files],
    }
