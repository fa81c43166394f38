"""`flask opendata export`: a province's files, read back with GDAL, and their manifest."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from api import create_app
from registry.opendata import ExportFailed, export_addresses, licence_for
from tests.conftest import TEST_SETTINGS
from tests.opendata.conftest import EMPTY_PROVINCE, PROVINCE, SECRETS, Planted, database_ids


@pytest.fixture
def export_runner(database_url: str, read_url: str) -> FlaskCliRunner:
    """The CLI of an app that reads the test database as the read-only role."""
    app = create_app({"DATABASE_URL": database_url, "DATABASE_READ_URL": read_url, **TEST_SETTINGS})
    return app.test_cli_runner()


def export(runner: FlaskCliRunner, out: Path, *provinces: str) -> Result:
    arguments = ["opendata", "export", "--out", str(out)]
    for province in provinces:
        arguments += ["--province", province]
    return runner.invoke(args=arguments)


def ogrinfo(path: Path) -> str:
    done = subprocess.run(  # noqa: S603 -- GDAL
        ["/usr/bin/ogrinfo", "-ro", "-so", "-al", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def manifest(out: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    return document


def test_a_province_is_exported_in_three_formats(
    export_runner: FlaskCliRunner, planted: Planted, owner_engine: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "exports"
    result = export(export_runner, out, PROVINCE)
    assert result.exit_code == 0, result.output
    expected = database_ids(owner_engine, "province_code = :p", p=PROVINCE)
    assert len(expected) == 30
    names = sorted(path.name for path in out.iterdir())
    assert names == [
        "addresses-12.csv",
        "addresses-12.geojsonl",
        "addresses-12.gpkg",
        "manifest.json",
    ]

    lines = [json.loads(line) for line in (out / "addresses-12.geojsonl").read_text().splitlines()]
    assert sorted(f["id"] for f in lines) == sorted(expected)
    assert all(f["type"] == "Feature" and f["geometry"]["type"] == "Point" for f in lines)
    with (out / "addresses-12.csv").open(encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table))
    assert sorted(row["id"] for row in rows) == sorted(expected)
    assert {row["province_name"] for row in rows} == {"Tỉnh Lai Châu"}
    assert all(row["lon"] and row["lat"] for row in rows)

    info = ogrinfo(out / "addresses-12.gpkg")
    assert "Feature Count: 30" in info
    assert 'ID["EPSG",4326]' in info and "Geometry: Point" in info

    document = manifest(out)
    assert document["licence"]["id"] == "CC-BY-4.0"
    assert document["licence"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    with owner_engine.connect() as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert document["source"]["schema_revision"] == revision  # the exported database's
    assert document["crs"] == "EPSG:4326" and document["generated_at"]
    assert document["provinces"] == [
        {"code": "12", "name": "Tỉnh Lai Châu", "name_en": "Lai Chau Province", "features": 30}
    ]
    for entry in document["files"]:
        path = out / entry["name"]
        assert entry["features"] == 30
        assert entry["bytes"] == path.stat().st_size
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_exported_files_hold_no_personal_data(
    export_runner: FlaskCliRunner, planted: Planted, tmp_path: Path
) -> None:
    result = export(export_runner, tmp_path, PROVINCE)
    assert result.exit_code == 0, result.output
    secret_address = planted.codes["03390"][22]
    for path in tmp_path.iterdir():
        content = path.read_bytes()
        for secret in (*SECRETS, planted.household_id):
            assert secret.encode() not in content, (path.name, secret)
        if path.suffix != ".json":
            assert secret_address.encode() in content, path.name  # the address itself is public
    sql = subprocess.run(  # noqa: S603 -- GDAL, reading the GeoPackage's own text
        ["/usr/bin/ogrinfo", "-ro", "-al", str(tmp_path / "addresses-12.gpkg")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not any(secret in sql for secret in SECRETS)


def test_a_province_without_addresses_gives_empty_files(
    export_runner: FlaskCliRunner, planted: Planted, tmp_path: Path
) -> None:
    result = export(export_runner, tmp_path, EMPTY_PROVINCE)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "addresses-11.geojsonl").read_bytes() == b""
    assert (tmp_path / "addresses-11.csv").read_text().startswith("id,code,unit,display_code")
    info = ogrinfo(tmp_path / "addresses-11.gpkg")
    assert "Feature Count: 0" in info and "display_code: String" in info
    assert manifest(tmp_path)["provinces"][0]["features"] == 0


def test_every_province_with_addresses_by_default(
    export_runner: FlaskCliRunner, planted: Planted, tmp_path: Path
) -> None:
    result = export(export_runner, tmp_path)
    assert result.exit_code == 0, result.output
    codes = [p["code"] for p in manifest(tmp_path)["provinces"]]
    assert PROVINCE in codes and EMPTY_PROVINCE not in codes


@pytest.mark.parametrize("code", ["99", "03390", "x"])
def test_an_unknown_province_is_refused(
    export_runner: FlaskCliRunner, tmp_path: Path, code: str
) -> None:
    result = export(export_runner, tmp_path / "out", code)
    assert result.exit_code == 1
    assert f"not a province code: {code}" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_failed_export_leaves_no_file(read_url: str, planted: Planted, tmp_path: Path) -> None:
    engine = create_engine(read_url)
    try:
        with Session(engine) as db, pytest.raises(ExportFailed, match="not found"):
            export_addresses(
                db,
                tmp_path,
                licence=licence_for("ODbL-1.0"),
                source={"publisher": "test"},
                provinces=[PROVINCE],
                ogr2ogr=str(tmp_path / "no-such-ogr2ogr"),
            )
    finally:
        engine.dispose()
    assert list(tmp_path.iterdir()) == []


def test_the_licence_is_the_configured_one(
    database_url: str, read_url: str, planted: Planted, tmp_path: Path
) -> None:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "DATABASE_READ_URL": read_url,
            **TEST_SETTINGS,
            "OPENDATA_LICENCE": "odbl-1.0",
        }
    )
    result = export(app.test_cli_runner(), tmp_path, PROVINCE)
    assert result.exit_code == 0, result.output
    assert manifest(tmp_path)["licence"]["id"] == "ODbL-1.0"
