"""The public scan page: what a phone shows after scanning a plate's QR code.

``/a/<code>`` (and ``/A/<code>``, the upper-cased URL in the QR code) is a small server-rendered
page in Vietnamese, or English with ``?lang=en``: the code, the address, its status and buttons
to open the location in a maps app. It shows no personal data and loads nothing from elsewhere:
its style and script are inlined and allowed by hash in a strict Content-Security-Policy.

Errors are mapped to HTTP by ``api.core.problems`` like everywhere else; this blueprint renders the
resulting problem as a page (``api.scan.errors``). The words are in ``api.scan.text``, the page
rendering in ``api.scan.pages`` and the inlined assets with their policy in ``api.scan.assets``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from flask import Response, redirect, request
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.wrappers import Response as BaseResponse

from api.core import PROBLEM_MEDIA_TYPE, ResourceView, fresh, limiter, public_limit
from api.scan.assets import assets
from api.scan.errors import error_page
from api.scan.pages import address_url, page, present
from geo import AddressCode
from registry import get_address

blp = Blueprint(
    "scan",
    __name__,
    template_folder="templates",
    description="The public page a plate's QR code opens (HTML, Vietnamese or English)",
)

HTML = {"type": "string"}


#: An unknown code is a page; a path outside /a/ and /A/ (``/AAA/CODE``) is a problem.
NOT_FOUND = {
    "description": "Unknown code (a page); a path outside `/a/` and `/A/` is a problem",
    "content": {
        "text/html": {"schema": HTML},
        PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}},
    },
}


@blp.route("/<any(a, A):prefix>/<code:code>")
class ScanPage(ResourceView):
    """The page of an address, by code in any accepted form (any case, with a unit)."""

    decorators: ClassVar[list[Callable[..., Any]]] = [limiter.limit(public_limit)]
    replica_reads = frozenset({"GET"})

    @blp.response(200, HTML, content_type="text/html", description="The address page")
    @blp.alt_response(422, schema=HTML, content_type="text/html", description="Mistyped code")
    @blp.doc(responses={"404": NOT_FOUND})
    def get(self, prefix: str, code: str) -> Response:
        """Scan page: code, address, status, maps links; `?lang=en` for English."""
        parsed = AddressCode.parse(code)
        view = fresh(lambda db: get_address(db, parsed))
        return page("scan/address.html", a=present(view))


@blp.route("/<any(a, A):prefix>/")
class LookupPage(MethodView):
    """A form to type a code; ``?code=`` redirects to the code's page."""

    decorators: ClassVar[list[Callable[..., Any]]] = [limiter.limit(public_limit)]

    @blp.response(200, HTML, content_type="text/html", description="The lookup form")
    @blp.alt_response(303, description="To the page of the code given as `code`")
    @blp.alt_response(422, schema=HTML, content_type="text/html", description="Mistyped code")
    def get(self, prefix: str) -> BaseResponse:
        """Look up a code typed by hand."""
        typed = request.args.get("code", "").strip()
        if not typed:
            return page("scan/lookup.html")
        code = AddressCode.parse(typed)
        return redirect(address_url(code), 303)


@blp.after_request
def _finish(response: Response) -> Response:
    """Render problems as pages; add the security headers to every page."""
    if response.mimetype == PROBLEM_MEDIA_TYPE:
        response = error_page(response)
    response.headers["Content-Security-Policy"] = assets().csp
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    return response
