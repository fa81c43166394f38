"""`flask opendata config` and `flask opendata export`: the open-data server and bulk downloads.

``config`` writes pygeoapi's configuration and its OpenAPI document from the settings
(``DATABASE_READ_URL``, ``OPENDATA_PORT``, ``OPENDATA_URL``, ``OPENDATA_LICENCE``), so that
nothing of the server is edited by hand; ``scripts/opendata.sh`` starts pygeoapi on them.
``export`` writes each province's addresses as GeoJSON lines, CSV and GeoPackage with a
manifest, reading as the read-only role. Both files are written to ``.part`` and renamed.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import yaml
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.cli.errors import CommandFailed
from opendata import ServerConfigError, ServerSettings, openapi_document, pygeoapi_config
from registry import engine_for, migrate
from registry.errors import RegistryError
from registry.opendata import ADDRESSES, Province, export_addresses, licence_for

opendata_cli = AppGroup("opendata", help="Open data: the OGC API server's configuration, exports.")

DEFAULT_CONFIG = Path("var/pygeoapi.yml")


def server_settings(config: Mapping[str, Any]) -> ServerSettings:
    """The open-data server's settings from the registry's configuration."""
    return ServerSettings(
        read_url=config["DATABASE_READ_URL"],
        url=config["OPENDATA_URL"],
        port=config["OPENDATA_PORT"],
        licence=licence_for(config["OPENDATA_LICENCE"]),
        registry_url=config["PUBLIC_BASE_URL"],
        tile_url=config["FIELD_TILE_URL"] or "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        tile_attribution=config["FIELD_TILE_ATTRIBUTION"],
    )


def _write_private(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` readable by its owner only (it names the database)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(content)
    partial.replace(path)


@opendata_cli.command("config")
@click.option(
    "-o",
    "--output",
    default=DEFAULT_CONFIG,
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="pygeoapi's configuration (PYGEOAPI_CONFIG).",
)
@click.option(
    "--openapi",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Its OpenAPI document (PYGEOAPI_OPENAPI). Default: OUTPUT with -openapi.json.",
)
def config_command(output: Path, openapi: Path | None) -> None:
    """Write pygeoapi's configuration and OpenAPI document from the registry's settings."""
    openapi = openapi or output.with_name(f"{output.stem}-openapi.json")
    config = pygeoapi_config(server_settings(current_app.config))
    try:
        document = openapi_document(config)
    except ServerConfigError as error:
        raise CommandFailed(str(error)) from error
    _write_private(output, yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    _write_private(openapi, json.dumps(document, ensure_ascii=False))
    click.echo(f"pygeoapi configuration: {output}; OpenAPI document: {openapi}")


@opendata_cli.command("export")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of the files (created if missing).",
)
@click.option(
    "--province",
    "provinces",
    multiple=True,
    help="2-digit province code (repeat for several). Default: every province with addresses.",
)
def export_command(out: Path, provinces: tuple[str, ...]) -> None:
    """Write each province's addresses as GeoJSON lines, CSV and GeoPackage, with a manifest."""
    config = current_app.config
    started = time.perf_counter()
    source = {
        "publisher": "Sổ đăng ký địa chỉ số (Digital household address registry)",
        "url": config["PUBLIC_BASE_URL"],
        "open_data": config["OPENDATA_URL"],
        "view": ADDRESSES.view,
        "schema_revision": migrate.head_revision(),
    }

    def progress(province: Province, rows: int) -> None:
        click.echo(f"\r{province.code} {province.name}: {rows:,} addresses", nl=False, err=True)

    try:
        with Session(engine_for(config["DATABASE_READ_URL"])) as db:
            export = export_addresses(
                db,
                out,
                licence=licence_for(config["OPENDATA_LICENCE"]),
                source=source,
                provinces=provinces,
                progress=progress,
            )
    except RegistryError as error:
        raise CommandFailed.of(error) from error
    except SQLAlchemyError as error:
        raise CommandFailed(
            f"the database could not be read as the read-only role ({type(error).__name__})"
        ) from error
    click.echo("", err=True)
    for file in export.files:
        click.echo(f"{file.name}: {file.features:,} addresses, {file.bytes:,} bytes")
    seconds = time.perf_counter() - started
    click.echo(f"manifest: {export.manifest} ({len(export.files)} files, {seconds:.1f} s)")
