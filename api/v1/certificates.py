"""The address certificate of a code: a one-page A4 PDF anyone may download and show.

Banks, telecom operators and notaries ask households to prove their address; the certificate
states the address's public facts (code, address, units, point, status) with the commune's
map, the time it was issued and a QR code that opens the live scan page, where the reader
checks that the address is still valid. It holds no personal data: only the address's public
view is read.

It prints its issue time and the status at that moment, so no copy is ever kept:
``Cache-Control: no-store`` and no ETag. A cached copy would show an old issue time as if it
were new, or "active" after the code was retired; rendering takes a few tens of milliseconds
and the route is rate-limited per IP like the plates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from flask import Response
from sqlalchemy.orm import Session

from api.core import ResourceBlueprint, ResourceView, limiter, public_limit, session
from api.v1.plates import BINARY, UNIT_LABEL, PlateSettings
from geo import AddressCode
from qr import Certificate, certificate_pdf
from registry import AddressView, get_address
from registry.admin_units import Outline, unit_outline

blp = ResourceBlueprint(
    "certificates",
    __name__,
    description="Address certificates (PDF): an address's public facts, map and live QR check",
)

#: The certificate prints when it was issued and the status then: never stored by a cache.
CERTIFICATE_CACHE_CONTROL = "no-store"


def build_certificate(
    view: AddressView, outline: Outline | None, settings: PlateSettings, issued_at: datetime
) -> Certificate:
    """What the certificate of ``view`` states when issued at ``issued_at`` (no personal data)."""
    code = view.code
    unit = UNIT_LABEL.format(unit=code.unit) if code.unit else ""
    local = code.local_form() + (f"/{code.unit}" if code.unit else "")
    return Certificate(
        display_code=code.display,
        canonical_code=code.canonical,
        local_code=f"{local}, {view.commune_name}",
        verify_url=settings.scan_url(code),
        address_line=", ".join(part for part in (unit, view.formatted) if part),
        commune=view.commune_name,
        commune_code=view.commune_code,
        province=view.province_name,
        province_code=view.province_code,
        lat=view.lat,
        lon=view.lon,
        status=view.status,
        issued_at=issued_at,
        authority=settings.authority_of(view),
        unit=code.unit,
        postcode=view.postcode,
        successor=view.successor.display if view.successor else None,
        boundary=outline.polygons if outline else None,
        boundary_source=outline.source if outline else None,
    )


def render_certificate(
    db: Session, code: AddressCode, *, issued_at: datetime | None = None
) -> tuple[AddressView, bytes]:
    """The address of ``code`` and its certificate PDF, issued now unless ``issued_at`` is given.

    :raises NotFound: no address has the code.
    :raises FontUnavailable: the DejaVu Sans fonts are not in ``PLATE_FONT_DIR``.
    :raises InvalidQRInput: some text cannot be printed (a glyph the font lacks).
    """
    view = get_address(db, code)
    settings = PlateSettings.current()
    moment = issued_at or datetime.now(UTC)
    certificate = build_certificate(view, unit_outline(db, view.commune_code), settings, moment)
    return view, certificate_pdf(certificate, font_dir=settings.font_dir)


def file_name(code: AddressCode) -> str:
    """The download's file name: ``certificate-<canonical code, slash as dash>.pdf``."""
    return f"certificate-{code.canonical.replace('/', '-')}.pdf"


@blp.route("/v1/addresses/<code:code>/certificate.pdf")
class CertificatePdf(ResourceView):
    """The address certificate of a code, active or retired."""

    decorators: ClassVar[list[Callable[..., Any]]] = [limiter.limit(public_limit)]

    @blp.response(200, BINARY, content_type="application/pdf", description="A4 portrait, one page")
    @blp.problems(404, (422, "Not a valid code (format or check symbol)"), 429)
    def get(self, code: str) -> Response:
        """Address certificate (PDF, download): code, address, map, status, issue time, QR check.

        The QR code opens `PUBLIC_BASE_URL/a/CODE`, where the reader checks the address is still
        valid. No personal data. Never cached (`no-store`): it prints its issue time.
        """
        view, pdf = render_certificate(session(), AddressCode.parse(code))
        return Response(
            pdf,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{file_name(view.code)}"',
                "Cache-Control": CERTIFICATE_CACHE_CONTROL,
            },
        )
