"""`flask households import FILE`: bulk import of household lists (CSV, GeoJSON, .xlsx)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from api.cli.errors import CommandFailed
from api.core import owner_session
from api.core.config import registration_rules
from registry.access import actor_named
from registry.errors import RegistryError
from registry.importing import (
    INDEX_STRATEGIES,
    MODES,
    ImportOptions,
    ImportResult,
    import_households,
    write_report,
)

households_cli = AppGroup("households", help="Household lists.")


@households_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", required=True, help="The official or admin importing.")
@click.option("--dry-run", is_flag=True, help="Check every row (and mint codes); write nothing.")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="all-or-nothing",
    show_default=True,
    help="Import nothing when a row is bad, or import the good rows and report the bad ones.",
)
@click.option("--commune", help="Commune code of rows without one; other communes are refused.")
@click.option(
    "--indexes",
    type=click.Choice(INDEX_STRATEGIES),
    default="auto",
    show_default=True,
    help="Rebuild indexes after loading (large imports; blocks readers until done) or keep them.",
)
def import_command(
    file: Path, username: str, dry_run: bool, mode: str, commune: str | None, indexes: str
) -> None:
    """Import the households listed in FILE (.csv, .geojson, .geojson.gz, .xlsx).

    Every row is checked with the registration API's rules; codes are minted from the same
    per-cell sequences. Errors go to FILE.errors.csv (row, field, kind, reason).
    """
    db = owner_session()  # a bulk import drops and rebuilds indexes: the owner's work
    started = time.perf_counter()
    try:
        actor = actor_named(db, username, request_id="cli-import")
        options = ImportOptions(
            mode=mode,  # type: ignore[arg-type]  # click.Choice checked it
            dry_run=dry_run,
            commune=commune,
            indexes=indexes,  # type: ignore[arg-type]  # click.Choice checked it
        )
        with _Bar() as bar:
            result = import_households(
                db, actor, file, registration_rules(current_app.config), options, bar.update
            )
    except RegistryError as error:
        db.rollback()
        raise CommandFailed.of(error) from error
    report = write_report(file, result.errors)
    if result.written:
        db.commit()
    else:
        db.rollback()
    _summary(result, report, time.perf_counter() - started, dry_run)
    if result.errors and not result.written:
        sys.exit(1)


class _Bar:
    """A click progress bar per phase, on standard error."""

    def __init__(self) -> None:
        self._bar: Any = None

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *_: object) -> None:
        if self._bar is not None:
            self._bar.render_finish()

    def update(self, phase: str, count: int, total: int) -> None:
        """Advance the bar of ``phase`` by ``count`` of ``total`` rows."""
        if self._bar is None:
            self._bar = click.progressbar(length=max(total, 1), label=phase, file=sys.stderr)
        self._bar.update(count)


def _summary(result: ImportResult, report: Path | None, seconds: float, dry_run: bool) -> None:
    rate = result.rows / seconds if seconds else 0.0
    verb = "would import" if dry_run or not result.written else "imported"
    if result.errors and not result.written and not dry_run:
        verb = "imported nothing; would import"
    click.echo(
        f"{result.file}: {result.rows:,} rows, {verb} {result.imported:,},"
        f" {result.rejected_rows:,} with errors ({seconds:.1f} s, {rate:,.0f} rows/s)"
    )
    if result.ignored_columns:
        click.echo(f"ignored columns: {', '.join(result.ignored_columns)}")
    if result.written:
        click.echo(
            f"import id {result.import_id} (audit event household.import);"
            f" indexes: {result.index_strategy}"
        )
    if report is not None:
        click.echo(f"errors: {report}")
    phases = ", ".join(f"{name} {value:.2f}s" for name, value in result.seconds.items())
    click.echo(f"phases: {phases}", err=True)
