"""QR codes and printable plates of addresses, and a commune's print run (streamed).

A code's QR code never changes (it carries the code's scan URL), so its images are cached for
a year as immutable. A plate also shows the address text, which an official may correct, so
its PDF is cached briefly and revalidated by ETag. A print run is rendered while it is sent,
from a server-side cursor, so memory stays flat however large the commune.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from flask import Response, current_app, request
from sqlalchemy.orm import Session

from api.auth import BEARER_SECURITY, official_actor, per_user
from api.core import ResourceBlueprint, ResourceView, fresh, limiter, public_limit, session
from api.core.db import new_session
from api.core.limits import print_run_limit
from api.core.resources import finish_stream
from api.hot import QR_CACHE_CONTROL, render_etag
from api.v1.schemas import DEFAULT_PER_PAGE as DEFAULT_PER_PAGE
from api.v1.schemas import PrintRunQuery, QrQuery
from geo import AddressCode
from qr import Plate, iter_plates, plate_pdf, qr_png, qr_svg
from qr import scan_url as make_scan_url
from registry import (
    AddressView,
    format_line,
    get_address,
    iter_plate_addresses,
    plan_print_run,
    record_print_run,
)
from registry.access import Actor

blp = ResourceBlueprint(
    "plates",
    __name__,
    description="QR codes and printable address plates (PDF), one or a commune's print run",
)

#: A plate shows address text that can be corrected: cache briefly, then revalidate.
PLATE_CACHE_CONTROL = "public, max-age=300"
#: Print runs are for officials only: never stored by any cache.
PRINT_RUN_CACHE_CONTROL = "private, no-store"

BINARY = {"type": "string", "format": "binary"}
RETIRED_NOTE = "Mã đã thu hồi"
SUCCESSOR_NOTE = "Mã đã thu hồi; mã mới: {successor}"
UNIT_LABEL = "Căn hộ {unit}"


@dataclass(frozen=True, slots=True)
class PlateSettings:
    """What plates take from the configuration, read once so a stream needs no app context."""

    base_url: str
    authority: str
    font_dir: str

    @classmethod
    def current(cls) -> PlateSettings:
        """The settings of the current app."""
        config = current_app.config
        return cls(
            str(config["PUBLIC_BASE_URL"]),
            str(config["ISSUING_AUTHORITY"]),
            str(config["PLATE_FONT_DIR"]),
        )

    def scan_url(self, code: AddressCode) -> str:
        """The URL a plate's QR code carries for ``code``."""
        return make_scan_url(self.base_url, code.canonical)

    def authority_of(self, view: AddressView) -> str:
        """The issuing authority of ``view``'s documents ({commune} and {province} filled in)."""
        authority = self.authority.replace("{commune}", view.commune_name)
        return authority.replace("{province}", view.province_name)

    def plate(self, view: AddressView) -> Plate:
        """What the plate of ``view`` shows (the authority may name {commune} and {province})."""
        street_part = format_line(view.house_number, view.alley, view.street, view.hamlet, "", "")
        unit = UNIT_LABEL.format(unit=view.code.unit) if view.code.unit else ""
        return Plate(
            display_code=view.code.display,
            scan_url=self.scan_url(view.code),
            address_line=", ".join(part for part in (unit, street_part) if part),
            commune=view.commune_name,
            province=view.province_name,
            authority=self.authority_of(view),
            status_note=status_note(view),
        )


def status_note(view: AddressView) -> str | None:
    """The plate's red note for a retired code (with its successor), None for an active one."""
    if view.status == "active":
        return None
    if view.successor is not None:
        return SUCCESSOR_NOTE.format(successor=view.successor.display)
    return RETIRED_NOTE


def _cached(
    make_body: Callable[[], bytes],
    *,
    mimetype: str,
    etag: str,
    cache_control: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """A 200 with ``make_body()``, or a 304 without rendering when If-None-Match has the ETag."""
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(make_body(), mimetype=mimetype, headers=headers)
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    return response


def _file_name(code: AddressCode) -> str:
    return code.canonical.replace("/", "-")


def _address(code: str) -> AddressView:
    """The address of a QR image or plate (a public read: perhaps from a replica)."""
    parsed = AddressCode.parse(code)
    return fresh(lambda db: get_address(db, parsed))


#: A plate or QR image: the code may be unknown or mistyped; images are cached by ETag.
NOT_MODIFIED = "Not modified: the If-None-Match ETag is current"
PLATE_PROBLEMS = (404, (422, "Not a valid code (format/check) or option"), 429)


@blp.route("/v1/addresses/<code:code>/qr.png")
class QrPng(ResourceView):
    """The QR code of an address as a PNG."""

    decorators: ClassVar[list[Callable[..., Any]]] = [limiter.limit(public_limit)]
    replica_reads = frozenset({"GET"})

    @blp.arguments(QrQuery, location="query")
    @blp.response(200, BINARY, content_type="image/png", description="1-bit PNG, quiet zone")
    @blp.alt_response(304, description=NOT_MODIFIED)
    @blp.problems(*PLATE_PROBLEMS)
    def get(self, query: dict[str, Any], code: str) -> Response:
        """QR code (PNG) carrying the scan URL `PUBLIC_BASE_URL/a/CODE`; cached immutably."""
        view = _address(code)
        payload, scale = PlateSettings.current().scan_url(view.code), query["scale"]
        return _cached(
            lambda: qr_png(payload, scale),
            mimetype="image/png",
            etag=render_etag("png", payload, str(scale)),
            cache_control=QR_CACHE_CONTROL,
        )


@blp.route("/v1/addresses/<code:code>/qr.svg")
class QrSvg(ResourceView):
    """The QR code of an address as an SVG."""

    decorators: ClassVar[list[Callable[..., Any]]] = [limiter.limit(public_limit)]
    replica_reads = frozenset({"GET"})

    @blp.response(200, BINARY, content_type="image/svg+xml", description="1 mm per module")
    @blp.alt_response(304, description=NOT_MODIFIED)
    @blp.problems(*PLATE_PROBLEMS)
    def get(self, code: str) -> Response:
        """QR code (SVG, vector) carrying the scan URL; cached immutably."""
        view = _address(code)
        payload = PlateSettings.current().scan_url(view.code)
        return _cached(
            lambda: qr_svg(payload),
            mimetype="image/svg+xml",
            etag=render_etag("svg", payload),
            cache_control=QR_CACHE_CONTROL,
        )


@blp.route("/v1/addresses/<code:code>/plate.pdf")
class PlatePdf(ResourceView):
    """The printable plate of an address."""

    decorators: ClassVar[list[Callable[..., Any]]] = [limiter.limit(public_limit)]
    replica_reads = frozenset({"GET"})

    @blp.response(200, BINARY, content_type="application/pdf", description="200 x 120 mm plate")
    @blp.alt_response(304, description=NOT_MODIFIED)
    @blp.problems(*PLATE_PROBLEMS)
    def get(self, code: str) -> Response:
        """Plate (PDF): display code, QR code, address, commune, province, issuing authority."""
        view = _address(code)
        settings = PlateSettings.current()
        plate = settings.plate(view)
        name = _file_name(view.code)
        return _cached(
            lambda: plate_pdf(plate, font_dir=settings.font_dir),
            mimetype="application/pdf",
            etag=render_etag("plate", repr(plate)),
            cache_control=PLATE_CACHE_CONTROL,
            headers={"Content-Disposition": f'inline; filename="plate-{name}.pdf"'},
        )


@blp.route("/v1/admin-units/<string:code>/plates.pdf")
class CommunePlates(ResourceView):
    """The plates of every active address of a commune, several per A4 page."""

    #: A print run renders a whole commune: each user may start RATELIMIT_PRINT_RUN of them.
    decorators: ClassVar[list[Callable[..., Any]]] = [per_user(print_run_limit, "print-run")]

    @blp.arguments(PrintRunQuery, location="query")
    @blp.response(200, BINARY, content_type="application/pdf", description="A4, cut marks")
    @blp.problems(
        (401, "Missing or invalid token"),
        (403, "Commune outside your assignment; province staff"),
        (404, "No such commune, or no address"),
        (422, "Not a commune, or a bad option"),
        (429, "Print-run or request limit of the account exceeded (see Retry-After)"),
    )
    @blp.doc(security=BEARER_SECURITY)
    def get(self, query: dict[str, Any], code: str) -> Response:
        """Print run (PDF, streamed): officials of the commune and admins.

        A run whose PDF was sent in full is recorded (the province's dashboard counts its
        plates); one cut off before the end is not.
        """
        actor = official_actor()
        actor.require_access(code)
        run = plan_print_run(session(), code)
        # The print run reads through a session of its own, held for as long as the stream;
        # the request's session is done: give its connection back now, not after the stream.
        session().close()
        body = stream_print_run(
            run.commune.code, per_page=query["per_page"], printed_by=(actor, "http")
        )
        return Response(
            body,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="plates-{run.commune.code}.pdf"',
                "Cache-Control": PRINT_RUN_CACHE_CONTROL,
                "X-Plate-Count": str(run.count),
                "X-Accel-Buffering": "no",  # let a proxy pass the stream on as it comes
            },
        )


def stream_print_run(
    commune_code: str,
    *,
    per_page: int = DEFAULT_PER_PAGE,
    progress: Callable[[int], None] | None = None,
    printed_by: tuple[Actor, str] | None = None,
) -> Iterator[bytes]:
    """The print-run PDF of a commune, a few dozen pages at a time, from a server-side cursor.

    The stream outlives the request (a WSGI server iterates the body after the view returns
    and the request's session is closed), so it reads through a session of its own, closed
    when the stream ends or is abandoned, and needs no app context once it is returned. The
    first piece is rendered before this returns, so that a missing font or a plate that cannot
    be printed is raised while an error response can still be sent. With ``printed_by``
    (who, and ``cli`` or ``http``), the run is recorded once its last piece has been taken.
    """
    settings = PlateSettings.current()
    db = new_session()
    try:
        chunks = iter_plates(
            (settings.plate(view) for view in iter_plate_addresses(db, commune_code)),
            per_page=per_page,
            progress=progress,
            font_dir=settings.font_dir,
        )
        first = next(chunks)
    except BaseException:
        db.close()
        raise
    return _streamed(first, chunks, db, commune_code, printed_by)


def _streamed(
    first: bytes,
    chunks: Generator[bytes, None, int],
    db: Session,
    commune_code: str,
    printed_by: tuple[Actor, str] | None,
) -> Iterator[bytes]:
    """``first``, then the rest of ``chunks``; records a complete run; closes the session.

    A client that goes away ends the stream at a ``yield`` (GeneratorExit): nothing is
    recorded then.
    """
    try:
        yield first
        count = yield from chunks
        if printed_by is not None:
            actor, via = printed_by
            finish_stream(db, lambda own: record_print_run(own, actor, commune_code, count, via))
    finally:
        chunks.close()
        db.close()
