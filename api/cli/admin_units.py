"""`flask admin-units load`: the provinces and communes, and optionally their boundaries."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from api.cli.errors import CommandFailed
from api.core import owner_session
from registry.errors import RegistryError

units_cli = AppGroup("admin-units", help="Provinces and communes.")


@units_cli.command("load")
@click.option(
    "--boundaries",
    "boundary_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="GeoJSON (.geojson or .geojson.gz) of boundaries keyed by 2- or 5-digit code.",
)
@click.option("--source", help="Source of the boundaries (default: the file name).")
@click.option("--version", "version", help="Version of the boundaries (default: file hash).")
def units_load(boundary_files: tuple[Path, ...], source: str | None, version: str | None) -> None:
    """Load the 34 provinces and 3,321 communes, and optionally their boundaries."""
    from registry.admin_units import load_boundaries, load_catalogue

    db = owner_session()  # the catalogue belongs to the owner: the app role only reads it
    try:
        stats = load_catalogue(db)
        click.echo(
            f"catalogue: {stats.provinces} provinces, {stats.communes:,} communes"
            f" from {stats.source} ({stats.seconds:.2f} s)"
        )
        for path in boundary_files:
            loaded = load_boundaries(db, path, source=source, version=version)
            unknown = (
                f", unknown codes: {', '.join(loaded.unknown_codes)}"
                if loaded.unknown_codes
                else ""
            )
            click.echo(
                f"boundaries {path.name}: {loaded.provinces} provinces, {loaded.communes} communes"
                f" (version {loaded.version}){unknown}"
            )
    except RegistryError as error:
        raise CommandFailed.of(error) from error
    db.commit()
