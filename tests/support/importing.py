"""Fixtures of the import tests: an importer, household files and an import runner."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from registry.access.actors import Actor
from registry.access.users import create_user
from registry.dwellings import Rules
from registry.importing.pipeline import ImportOptions, ImportResult, import_households

HEADER = (
    "lat",
    "lon",
    "accuracy_m",
    "source",
    "commune_code",
    "house_number",
    "alley",
    "street",
    "hamlet",
    "head_name",
    "citizen_id",
    "phone",
    "members",
)
#: Inside Phường Bắc Giang (07210), Tỉnh Bắc Ninh (24).
LAT, LON = 21.2849, 106.2150
METRE_LAT = 1 / 110_600  # degrees of latitude in a metre, near 21°N

Row = dict[str, Any]
Write = Callable[..., Path]
Run = Callable[..., ImportResult]


def household(**fields: Any) -> Row:
    """A valid row, with ``fields`` changed."""
    row: Row = {
        "lat": LAT,
        "lon": LON,
        "accuracy_m": 5,
        "source": "gps",
        "commune_code": "07210",
        "house_number": "12",
        "alley": "ngõ 34; ngách 5",
        "street": "Nguyễn Văn Cừ",
        "hamlet": "Tổ dân phố Đông Thành",
        "head_name": "Nguyễn Thị Lan",
        "citizen_id": "001199012345",
        "phone": "0912345678",
        "members": 4,
    }
    row.update(fields)
    return row


def spread(count: int, **fields: Any) -> list[Row]:
    """``count`` valid rows 30 m apart (separate cells), house numbers 1, 2, ..."""
    return [
        household(lat=LAT + i * 30 * METRE_LAT, house_number=str(i + 1), **fields)
        for i in range(count)
    ]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """Write rows to a file: CSV (default), GeoJSON or .xlsx, by the name's suffix."""

    def write_rows(
        rows: Sequence[Row], name: str = "households.csv", header: Sequence[str] | None = None
    ) -> Path:
        path = tmp_path / name
        columns = list(header or dict.fromkeys(key for row in rows for key in row) or HEADER)
        if name.endswith(".csv"):
            with path.open("w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(columns)
                for row in rows:
                    writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
        elif name.endswith(".geojson"):
            features = [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                    "properties": {k: v for k, v in row.items() if k not in ("lat", "lon")},
                }
                for row in rows
            ]
            path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        else:
            from openpyxl import Workbook

            workbook = Workbook()
            sheet = workbook.active
            assert sheet is not None
            sheet.append(columns)
            for row in rows:
                sheet.append([row.get(c) for c in columns])
            workbook.save(path)
        return path

    return write_rows


@pytest.fixture
def importer(db: Session) -> Actor:
    """An official of Phường Bắc Giang (07210)."""
    user = create_user(
        db, f"imp-{uuid.uuid4().hex[:8]}", "correct horse battery", "official", ["07210"]
    )
    return Actor(user.id, user.username, user.role, frozenset({"07210"}))


@pytest.fixture
def run(db: Session, importer: Actor) -> Run:
    """Import a file as the official, with options."""

    def run_import(path: Path, actor: Actor | None = None, **options: Any) -> ImportResult:
        return import_households(db, actor or importer, path, Rules(), ImportOptions(**options))

    return run_import
