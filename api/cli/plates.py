"""`flask plates`: print the plates of a commune's active addresses to one A4 PDF.

The PDF is written as it is rendered (see ``api.v1.plates.stream_print_run``), to a ``.part`` file
that is renamed when complete, so memory stays flat and a failed run leaves no broken PDF. A
complete run is then recorded (``print_runs``, by ``operator:<system user>``, via ``cli``); a
failed or interrupted one is not.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from api.cli.errors import CommandFailed, committed
from api.cli.users import operator_actor
from api.core import session
from api.v1 import DEFAULT_PER_PAGE, stream_print_run
from qr import MAX_PER_PAGE, QRError
from registry import plan_print_run, record_print_run
from registry.errors import RegistryError


@click.command("plates")
@click.option("--commune", required=True, help="5-digit commune code, e.g. 07210.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the PDF.",
)
@click.option(
    "--per-page",
    default=DEFAULT_PER_PAGE,
    show_default=True,
    type=click.IntRange(1, MAX_PER_PAGE),
    help="Plates per A4 page.",
)
@with_appcontext
def plates_command(commune: str, output: Path, per_page: int) -> None:
    """Print the plates of every active address of a commune (A4, with cut marks)."""
    started = time.perf_counter()
    try:
        run = plan_print_run(session(), commune)
    except RegistryError as error:
        raise CommandFailed.of(error) from error
    partial = output.with_name(output.name + ".part")
    label = f"{run.commune.name} ({run.commune.code})"
    try:
        with (
            click.progressbar(length=run.count, label=label, show_pos=True) as bar,
            partial.open("wb") as out,
        ):
            drawn = 0

            def progress(count: int) -> None:
                nonlocal drawn
                bar.update(count - drawn)
                drawn = count

            for chunk in stream_print_run(run.commune.code, per_page=per_page, progress=progress):
                out.write(chunk)
        partial.replace(output)
    except (QRError, RegistryError, OSError) as error:
        partial.unlink(missing_ok=True)
        raise CommandFailed(getattr(error, "detail", None) or str(error)) from error
    except BaseException:  # an interrupt or a database error: no half-written PDF either
        partial.unlink(missing_ok=True)
        raise
    with committed() as db:
        record_print_run(db, operator_actor(), run.commune.code, drawn, "cli")
    pages = -(-drawn // per_page)
    seconds = time.perf_counter() - started
    size_mb = output.stat().st_size / 1e6
    click.echo(
        f"{drawn:,} plates on {pages:,} pages -> {output} ({size_mb:.1f} MB, {seconds:.1f} s)"
    )
