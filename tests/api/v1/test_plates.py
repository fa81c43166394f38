"""QR images and plates over HTTP: routing with unit codes, caching, errors, real decoding."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import text

from geo.code import AddressCode
from qr import codes, make_qr, qr_png
from tests.conftest import Tester
from tests.support.tools import Decode, Run, add_unit, retire

BASE = "https://diachi.example.vn"
SUFFIXES = ("qr.png", "qr.svg", "plate.pdf")
MEDIA_TYPES = {"qr.png": "image/png", "qr.svg": "image/svg+xml", "plate.pdf": "application/pdf"}


def _display(code: str) -> str:
    return AddressCode.parse(code).display


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_routes_match_codes_with_and_without_a_unit(
    tester: Tester, client: FlaskClient, suffix: str
) -> None:
    token = tester.user()
    building = tester.add_household(token)["code"]
    unit = add_unit(tester, token, building, "1205")
    assert unit == f"{building}/1205"
    forms = [building, _display(building).lower(), unit, f"{_display(building)}/1205"]
    for form in forms:
        response = client.get(f"/v1/addresses/{form}/{suffix}")
        assert response.status_code == 200, (form, response.json)
        assert response.mimetype == MEDIA_TYPES[suffix]
    # The JSON lookup still owns every other path, units included.
    assert client.get(f"/v1/addresses/{unit}").json["unit"] == "1205"  # type: ignore[index]
    assert client.get(f"/v1/addresses/{building}/QR.PNG").status_code == 404  # a unit "QR.PNG"


def test_png_decodes_to_the_scan_url_which_opens_the_page(
    tester: Tester, client: FlaskClient, decode: Decode
) -> None:
    code = tester.add_household()["code"]
    response = client.get(f"/v1/addresses/{_display(code).lower()}/qr.png?scale=4")
    assert response.status_code == 200
    (url,) = decode(response.data)
    assert url == f"{BASE}/a/{code}".upper()  # alphanumeric mode: the whole URL upper-cased
    assert make_qr(url).version in range(1, 5)  # level Q, scannable from a distance
    page = client.get(urlsplit(url).path)  # /A/<CODE>, as a phone opens it
    assert page.status_code == 200
    assert _display(code) in page.get_data(as_text=True)


def test_svg_rasterised_decodes_to_the_scan_url(
    tester: Tester, client: FlaskClient, run: Run, decode: Decode, tmp_path: Path
) -> None:
    token = tester.user()
    unit = add_unit(tester, token, tester.add_household(token)["code"], "B-12")
    response = client.get(f"/v1/addresses/{unit}/qr.svg")
    assert response.status_code == 200
    svg = tmp_path / "qr.svg"
    svg.write_bytes(response.data)
    png = run("rsvg-convert", "--width", "400", "--background-color", "white", svg)
    (url,) = decode(png)
    assert url == f"{BASE}/a/{unit}".upper()
    page = client.get(urlsplit(url).path)
    assert page.status_code == 200
    assert f"{_display(unit)}" in page.get_data(as_text=True)


@pytest.mark.app_config(ISSUING_AUTHORITY="Ủy ban nhân dân {commune}, {province}")
def test_plate_pdf_scans_and_prints_the_address_with_diacritics(
    tester: Tester, client: FlaskClient, run: Run, decode: Decode, tmp_path: Path
) -> None:
    code = tester.add_household()["code"]
    response = client.get(f"/v1/addresses/{code}/plate.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'inline; filename="plate-{code}.pdf"'
    path = tmp_path / "plate.pdf"
    path.write_bytes(response.data)
    assert decode(run("pdftoppm", "-r", "150", "-png", path)) == [f"{BASE}/a/{code}".upper()]
    printed = " ".join(run("pdftotext", path, "-").decode().split())
    for expected in (
        _display(code),
        "Số 12, ngõ 34, ngách 5, Nguyễn Văn Cừ, Tổ dân phố Đông Thành",
        "Phường Bắc Giang, Tỉnh Bắc Ninh",
        "Đơn vị cấp: Ủy ban nhân dân Phường Bắc Giang, Tỉnh Bắc Ninh",
    ):
        assert expected in printed
    for personal in ("Nguyễn Thị Lan", "001199012345", "0912345678"):
        assert personal not in printed


def test_a_unit_plate_names_the_unit(
    tester: Tester, client: FlaskClient, run: Run, tmp_path: Path
) -> None:
    token = tester.user()
    unit = add_unit(tester, token, tester.add_household(token)["code"], "1205")
    response = client.get(f"/v1/addresses/{unit}/plate.pdf")
    assert response.headers["Content-Disposition"].endswith(f'"plate-{unit.replace("/", "-")}.pdf"')
    path = tmp_path / "plate.pdf"
    path.write_bytes(response.data)
    printed = " ".join(run("pdftotext", path, "-").decode().split())
    assert f"{_display(unit)}" in printed
    assert "Căn hộ 1205, Số 12A" in printed


def test_a_retired_plate_shows_its_successor(
    tester: Tester, client: FlaskClient, run: Run, tmp_path: Path
) -> None:
    token = tester.user()
    old = tester.add_household(token)["code"]
    new = tester.add_household(token, house_number="14", confirm_distinct=True)["code"]
    retire(tester, old, new)
    path = tmp_path / "plate.pdf"
    path.write_bytes(client.get(f"/v1/addresses/{old}/plate.pdf").data)
    printed = " ".join(run("pdftotext", path, "-").decode().split())
    assert f"Mã đã thu hồi; mã mới: {_display(new)}" in printed


# --- caching -------------------------------------------------------------------------------


def test_qr_images_are_cached_immutably_and_revalidate_without_rendering(
    tester: Tester, client: FlaskClient
) -> None:
    code = tester.add_household()["code"]
    first = client.get(f"/v1/addresses/{code}/qr.png")
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = first.headers["ETag"]
    same = client.get(f"/v1/addresses/{_display(code).lower()}/qr.png?scale=8")
    assert same.headers["ETag"] == etag  # same payload, same scale: any input form
    assert client.get(f"/v1/addresses/{code}/qr.png?scale=9").headers["ETag"] != etag
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached = client.get(f"/v1/addresses/{code}/qr.png", headers={"If-None-Match": header})
        assert cached.status_code == 304, header
        assert cached.data == b""
        assert cached.headers["ETag"] == etag
        assert cached.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    svg = client.get(f"/v1/addresses/{code}/qr.svg")
    assert svg.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert svg.headers["ETag"] != etag
    again = client.get(
        f"/v1/addresses/{code}/qr.svg", headers={"If-None-Match": svg.headers["ETag"]}
    )
    assert again.status_code == 304


def test_qr_png_etag_is_strong_and_the_kept_image_is_a_fresh_render(
    tester: Tester, client: FlaskClient
) -> None:
    code = tester.add_household()["code"]
    codes._png.cache_clear()
    codes._symbol.cache_clear()
    first = client.get(f"/v1/addresses/{code}/qr.png?scale=5")
    assert first.headers["ETag"].startswith('"')  # strong: the same bytes every time
    hits = codes._png.cache_info().hits
    again = client.get(f"/v1/addresses/{code}/qr.png?scale=5")
    assert codes._png.cache_info().hits == hits + 1
    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    codes._png.cache_clear()
    codes._symbol.cache_clear()
    assert qr_png(f"{BASE}/a/{code}".upper(), 5) == first.data


def test_a_retired_codes_qr_still_serves_the_same_immutable_image(
    tester: Tester, client: FlaskClient, decode: Decode
) -> None:
    token = tester.user()
    old = tester.add_household(token)["code"]
    new = tester.add_household(token, house_number="14", confirm_distinct=True)["code"]
    before = client.get(f"/v1/addresses/{old}/qr.png")
    retire(tester, old, new)
    after = client.get(f"/v1/addresses/{old}/qr.png")
    assert after.status_code == 200
    assert after.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert (after.headers["ETag"], after.data) == (before.headers["ETag"], before.data)
    assert decode(after.data) == [f"{BASE}/a/{old}".upper()]
    cached = client.get(
        f"/v1/addresses/{old}/qr.png", headers={"If-None-Match": before.headers["ETag"]}
    )
    assert cached.status_code == 304


def test_plates_are_cached_briefly_and_change_when_the_address_is_corrected(
    tester: Tester, client: FlaskClient
) -> None:
    code = tester.add_household()["code"]
    first = client.get(f"/v1/addresses/{code}/plate.pdf")
    assert first.headers["Cache-Control"] == "public, max-age=300"
    etag = first.headers["ETag"]
    cached = client.get(f"/v1/addresses/{code}/plate.pdf", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    tester.db.execute(
        text("UPDATE addresses SET street = :street WHERE code = :code"),
        {"street": "Trần Hưng Đạo", "code": AddressCode.parse(code).symbols},
    )
    tester.db.flush()
    corrected = client.get(f"/v1/addresses/{code}/plate.pdf", headers={"If-None-Match": etag})
    assert corrected.status_code == 200
    assert corrected.headers["ETag"] != etag


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("7PH875FV+6R-2W", 404, "not-found"),
        ("7PH875FV+6R-2X", 422, "invalid-code-check"),
        ("7PH875FO+6R-2W", 422, "invalid-code-format"),
        ("7PH875FV+6R-2W/12_5", 422, "invalid-code-format"),
    ],
)
def test_unknown_and_invalid_codes_are_problems(
    client: FlaskClient, suffix: str, code: str, status: int, kind: str
) -> None:
    response = client.get(f"/v1/addresses/{code}/{suffix}")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json is not None
    assert response.json["type"].endswith("/" + kind)
    assert "immutable" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("query", ["scale=0", "scale=41", "scale=big", "scale=2.5"])
def test_png_options_are_bounded(tester: Tester, client: FlaskClient, query: str) -> None:
    code = tester.add_household()["code"]
    response = client.get(f"/v1/addresses/{code}/qr.png?{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(("scale", "pixels"), [(1, 37), (40, 37 * 40)])
def test_png_scale_sets_pixels_per_module(
    tester: Tester, client: FlaskClient, scale: int, pixels: int
) -> None:
    code = tester.add_household()["code"]
    png = client.get(f"/v1/addresses/{code}/qr.png?scale={scale}").data
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (pixels, pixels)  # version 3: 29 modules + 2 x 4 quiet zone


@pytest.mark.parametrize("suffix", ["plate.pdf", "certificate.pdf"])
def test_an_address_the_font_cannot_print_is_a_problem_not_a_crash(
    tester: Tester, client: FlaskClient, suffix: str
) -> None:
    body = tester.household_body()
    body["address"]["street"] = "Phố 漢字 🏠"  # no glyphs for these in DejaVu Sans
    token = tester.user()
    registered = client.post("/v1/households", json=body, headers=tester.auth(token))
    assert registered.status_code == 201, registered.json
    code = dict(registered.json or {})["code"]
    response = client.get(f"/v1/addresses/{code}/{suffix}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "cannot print" in dict(response.json or {})["detail"]
