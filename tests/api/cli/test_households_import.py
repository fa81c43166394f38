"""`flask households import`: options, summary, exit codes and the report file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.access.users import create_user
from registry.admin_units import load_boundaries
from registry.models import Household
from tests.support.importing import LAT, LON, METRE_LAT, Write, household, spread

#: A bulk import drops and rebuilds indexes: it runs as the schema's owner.
pytestmark = pytest.mark.as_owner


def invoke(runner: FlaskCliRunner, path: Path, *options: str, user: str = "cli-admin") -> Any:
    return runner.invoke(args=["households", "import", str(path), "--user", user, *options])


def admin(db: Session) -> None:
    create_user(db, "cli-admin", "correct horse battery", "admin", [])
    db.flush()


def test_imports_and_summarises(db: Session, runner: FlaskCliRunner, write: Write) -> None:
    admin(db)
    result = invoke(runner, write(spread(3)))
    assert result.exit_code == 0, result.output
    assert "households.csv: 3 rows, imported 3, 0 with errors" in result.output
    assert "audit event household.import" in result.output
    assert db.scalar(select(func.count()).select_from(Household)) == 3


def test_bad_rows_fail_the_import_and_are_reported(
    db: Session, runner: FlaskCliRunner, write: Write
) -> None:
    admin(db)
    path = write([*spread(2), household(citizen_id="123", lat=LAT + 90 * METRE_LAT)])
    result = invoke(runner, path)
    assert result.exit_code == 1
    assert "imported nothing; would import 2, 1 with errors" in result.output
    report = Path(f"{path}.errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert report[1] == "4,citizen_id,validation-error,12 digits"
    assert db.scalar(select(func.count()).select_from(Household)) == 0
    skipped = invoke(runner, path, "--mode", "skip-bad-rows")
    assert skipped.exit_code == 0
    assert "imported 2, 1 with errors" in skipped.output


def test_dry_run(db: Session, runner: FlaskCliRunner, write: Write) -> None:
    admin(db)
    result = invoke(runner, write(spread(2)), "--dry-run")
    assert result.exit_code == 0
    assert "would import 2" in result.output
    assert db.scalar(select(func.count()).select_from(Household)) == 0


def test_unknown_user_and_unreadable_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("lat,lon\n")
    assert "no active user" in invoke(runner, path, user="nobody").output
    unknown = invoke(runner, path, user="nobody")
    assert unknown.exit_code == 1


def test_points_outside_the_commune_boundary(
    db: Session, runner: FlaskCliRunner, write: Write, tmp_path: Path
) -> None:
    admin(db)
    square = [
        [
            [LON - 0.01, LAT - 0.01],
            [LON + 0.01, LAT - 0.01],
            [LON + 0.01, LAT + 0.01],
            [LON - 0.01, LAT + 0.01],
            [LON - 0.01, LAT - 0.01],
        ]
    ]
    boundary = tmp_path / "boundary.geojson"
    boundary.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "07210"},
                        "geometry": {"type": "Polygon", "coordinates": square},
                    }
                ],
            }
        )
    )
    load_boundaries(db, boundary)
    db.flush()
    rows = [household(), household(lat=LAT + 0.02, house_number="9")]
    result = invoke(runner, write(rows), "--mode", "skip-bad-rows")
    assert "imported 1, 1 with errors" in result.output
    report = Path(f"{tmp_path}/households.csv.errors.csv").read_text(encoding="utf-8-sig")
    assert (
        '3,location,outside-area,"the location lies in no commune with a loaded boundary,'
        ' not in Phường Bắc Giang (07210)"'
    ) in report
