"""Rendering scan pages: language, links, caching headers and the public view of an address."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Response, current_app, render_template, request, url_for

from api.scan.assets import assets
from api.scan.text import LANGUAGES, TEXT
from geo import AddressCode
from registry import AddressView, format_line

PAGE_CACHE_CONTROL = "public, max-age=300"
ERROR_CACHE_CONTROL = "no-store"


def language() -> str:
    """The language asked for with ``?lang=``: "vi" (the default) or "en"."""
    lang = request.args.get("lang", "vi")
    return lang if lang in LANGUAGES else "vi"


def _lang_args() -> dict[str, Any]:
    return {"lang": "en"} if language() == "en" else {}


def address_url(code: AddressCode) -> str:
    """The scan page of ``code`` in the current language."""
    return url_for("scan.ScanPage", prefix="a", code=code.canonical, **_lang_args())


def _switch_url() -> str:
    """This page in the other language (other query arguments kept)."""
    args: dict[str, str] = {key: value for key, value in request.args.items() if key != "lang"}
    if language() == "vi":
        args["lang"] = "en"
    query = urlencode(args)
    return request.script_root + quote(request.path) + (f"?{query}" if query else "")


def page(template: str, status: int = 200, **context: Any) -> Response:
    """``template`` rendered in the current language, cacheable only when ``status`` is 200."""
    lang = language()
    html = render_template(
        template,
        lang=lang,
        t=TEXT[lang],
        assets=assets(),
        switch_url=_switch_url(),
        other_lang="en" if lang == "vi" else "vi",
        home_url=url_for("scan.LookupPage", prefix="a", **_lang_args()),
        **context,
    )
    response = Response(html, status=status, mimetype="text/html")
    if status == 200:
        response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
        response.add_etag()
        response.make_conditional(request)
    else:
        response.headers["Cache-Control"] = ERROR_CACHE_CONTROL
    return response


def present(view: AddressView) -> dict[str, Any]:
    """What the page shows of an address: public fields only."""
    code = view.code
    lat, lon = f"{view.lat:.6f}", f"{view.lon:.6f}"
    unit = f"/{code.unit}" if code.unit else ""
    successor = view.successor
    return {
        "display": code.display,
        "display_code": code.with_unit(None).display,
        "status": view.status,
        "successor": None
        if successor is None
        else {"display": successor.display, "url": address_url(successor)},
        "street": format_line(view.house_number, view.alley, view.street, view.hamlet, "", ""),
        "unit": code.unit,
        "commune": view.commune_name,
        "province": view.province_name,
        "postcode": view.postcode,
        "local": f"{code.local_form()}{unit}, {view.commune_name}",
        "lat": lat,
        "lon": lon,
        "accuracy": None if view.accuracy_m is None else round(view.accuracy_m),
        "geo_uri": f"geo:{lat},{lon}?q={lat},{lon}({quote(code.display, safe='')})",
        "osm_url": f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=19/{lat}/{lon}",
        "canonical_url": f"{current_app.config['PUBLIC_BASE_URL']}/a/{code.canonical}",
        "certificate_url": url_for("certificates.CertificatePdf", code=code.canonical),
    }
