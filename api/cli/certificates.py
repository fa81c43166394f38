"""`flask certificate`: write the address certificate of a code to a PDF file.

The same PDF as ``GET /v1/addresses/{code}/certificate.pdf`` (``api.v1.render_certificate``),
for an official printing one at the counter, or for the sample in ``docs/``.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from api.cli.errors import CommandFailed
from api.core import session
from api.v1 import render_certificate
from geo import AddressCode, GeoError
from qr import QRError
from registry.errors import RegistryError


@click.command("certificate")
@click.argument("code")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the PDF.",
)
@with_appcontext
def certificate_command(code: str, output: Path) -> None:
    """Write the address certificate of CODE (any input form) to a one-page A4 PDF."""
    try:
        view, pdf = render_certificate(session(), AddressCode.parse(code))
    except RegistryError as error:
        raise CommandFailed.of(error) from error
    except (GeoError, QRError) as error:
        raise CommandFailed(str(error)) from error
    partial = output.with_name(output.name + ".part")
    try:
        partial.write_bytes(pdf)
        partial.replace(output)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise CommandFailed(str(error)) from error
    click.echo(f"{view.code.display} ({view.status}) -> {output} ({len(pdf) / 1000:.0f} kB)")
