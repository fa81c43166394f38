"""The scan page over HTTP: any input form, both languages, status, errors as pages, headers."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from api import create_app
from geo.code import AddressCode, check_symbol
from tests.conftest import Tester
from tests.support.tools import add_unit, retire

PERSONAL = ("Nguyễn Thị Lan", "001199012345", "0912345678")
STREET = "Số 12, ngõ 34, ngách 5, Nguyễn Văn Cừ, Tổ dân phố Đông Thành"


def _display(code: str) -> str:
    return AddressCode.parse(code).display


def _page(client: FlaskClient, path: str, status: int = 200, **kwargs: Any) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    assert response.mimetype_params["charset"] == "utf-8"
    return response.get_data(as_text=True)


def _mistype(code: str) -> str:
    """The code with two neighbouring symbols swapped (a typo the check always catches)."""
    symbols = AddressCode.parse(code).symbols
    i = next(i for i in range(4, 11) if symbols[i] != symbols[i + 1])
    return symbols[:i] + symbols[i + 1] + symbols[i] + symbols[i + 2 :]


def test_the_page_shows_the_address_in_any_input_form(tester: Tester, client: FlaskClient) -> None:
    code = tester.add_household()["code"]
    display = _display(code)
    for path in (f"/a/{code}", f"/A/{code}", f"/a/{display.lower()}", f"/A/{display}"):
        html = _page(client, path)
        assert f'<p class="code" id="code"><span>{display}</span></p>' in html
        assert STREET in html
        assert "Phường Bắc Giang" in html
        assert "Tỉnh Bắc Ninh" in html
        assert 'lang="vi"' in html
        assert "Đang sử dụng" in html
        assert f'<link rel="canonical" href="https://diachi.example.vn/a/{code}">' in html
        for personal in PERSONAL:
            assert personal not in html


def test_map_links_point_at_the_location(tester: Tester, client: FlaskClient) -> None:
    code = tester.add_household(lat=21.2849, lon=106.215)["code"]
    html = _page(client, f"/a/{code}")
    geo = re.search(r'id="open-maps" href="(geo:[^"]+)"', html)
    assert geo is not None
    assert geo.group(1).startswith("geo:21.284900,106.215000?q=21.284900,106.215000(")
    assert (
        'href="https://www.openstreetmap.org/?mlat=21.284900&amp;mlon=106.215000'
        '#map=19/21.284900/106.215000"' in html
    )


def test_english_switch(tester: Tester, client: FlaskClient) -> None:
    code = tester.add_household()["code"]
    vi = _page(client, f"/a/{code}")
    assert f'href="/a/{code}?lang=en"' in vi
    en = _page(client, f"/a/{code}?lang=en")
    assert 'lang="en"' in en
    for label in ("Digital address code", "Active", "Open in a maps app", "Commune/ward"):
        assert label in en
    assert STREET in en  # the address itself stays Vietnamese
    assert f'href="/a/{code}"' in en  # back to Vietnamese
    assert "Đang sử dụng" not in en
    assert _page(client, f"/a/{code}?lang=xx") == vi  # unknown language: Vietnamese


def test_a_unit_code_page(tester: Tester, client: FlaskClient) -> None:
    token = tester.user()
    unit = add_unit(tester, token, tester.add_household(token)["code"], "1205")
    html = _page(client, f"/A/{unit}")
    building = _display(unit).partition("/")[0]
    assert f'id="code"><span>{building}</span><wbr><span>/1205</span></p>' in html
    assert '<dd id="unit">1205</dd>' in html


def test_a_retired_code_links_its_successor(tester: Tester, client: FlaskClient) -> None:
    token = tester.user()
    old = tester.add_household(token)["code"]
    new = tester.add_household(token, house_number="14", confirm_distinct=True)["code"]
    retire(tester, old, new)
    html = _page(client, f"/a/{old}")
    assert "Đã thu hồi" in html
    assert f'<a href="/a/{new}" id="successor">{_display(new)}</a>' in html
    english = _page(client, f"/a/{old}?lang=en")
    assert f'<a href="/a/{new}?lang=en" id="successor">{_display(new)}</a>' in english


def test_the_page_links_the_address_certificate_for_active_and_retired_codes(
    tester: Tester, client: FlaskClient
) -> None:
    token = tester.user()
    old = tester.add_household(token)["code"]
    new = tester.add_household(token, house_number="14", confirm_distinct=True)["code"]
    unit = add_unit(tester, token, new, "1205")
    retire(tester, old, new)
    for code in (new, old, unit):
        link = f'id="certificate" href="/v1/addresses/{code}/certificate.pdf" download>'
        vi = _page(client, f"/a/{code}")
        assert link in vi
        assert "Tải giấy xác nhận địa chỉ (PDF)" in vi
        en = _page(client, f"/a/{code}?lang=en")
        assert link in en
        assert "Download the address certificate (PDF)" in en
        response = client.get(f"/v1/addresses/{code}/certificate.pdf")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment;")


def test_strict_content_security_policy_allows_exactly_the_inline_assets(
    tester: Tester, client: FlaskClient
) -> None:
    code = tester.add_household()["code"]
    response = client.get(f"/a/{code}")
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    html = response.get_data(as_text=True)
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    (script,) = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    for body, directive in ((style, "style-src"), (script, "script-src")):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in re.search(rf"{directive} [^;]*", policy).group(0)  # type: ignore[union-attr]
    assert "http://" not in html.replace("http://www.w3.org", "")  # nothing loaded from elsewhere
    assert re.search(r"<script[^>]+src=\"https?://", html) is None
    assert 'rel="stylesheet"' not in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert len(response.data) < 20_000


def test_pages_are_cached_briefly_and_revalidated(tester: Tester, client: FlaskClient) -> None:
    code = tester.add_household()["code"]
    first = client.get(f"/a/{code}")
    assert first.headers["Cache-Control"] == "public, max-age=300"
    etag = first.headers["ETag"]
    assert client.get(f"/a/{code}", headers={"If-None-Match": etag}).status_code == 304
    assert client.get(f"/a/{code}?lang=en").headers["ETag"] != etag


# --- error pages ---------------------------------------------------------------------------


def test_unknown_code_is_a_404_page(client: FlaskClient) -> None:
    html = _page(client, "/a/7ph875fv6r2w", 404)
    assert "Không tìm thấy địa chỉ" in html
    assert '<p class="typed" id="typed">7PH875FV+6R-2W</p>' in html
    assert 'name="code"' in html  # a form to try again
    assert "Traceback" not in html


def test_an_unknown_code_lists_the_registered_codes_of_its_cell(
    tester: Tester, client: FlaskClient
) -> None:
    code = AddressCode.parse(tester.add_household()["code"])
    symbols11 = code.cell + "3"
    neighbour = symbols11 + check_symbol(symbols11)  # well-formed, not registered
    html = _page(client, f"/a/{neighbour}", 404)
    assert "Địa chỉ đã đăng ký ở cùng vị trí:" in html
    assert f'<a href="/a/{code.canonical}">' in html


def test_mistyped_code_is_a_422_page_with_the_registered_code_suggested(
    tester: Tester, client: FlaskClient
) -> None:
    code = tester.add_household()["code"]
    typo = _mistype(code)
    response = client.get(f"/a/{typo}")
    assert response.status_code == 422
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in response.headers
    html = response.get_data(as_text=True)
    assert "Mã có ký tự bị nhầm" in html
    assert "Có phải bạn muốn tìm:" in html
    suggestion = re.search(rf'<a href="/a/{code}"><strong>(.*?)</strong>', html)
    assert suggestion is not None
    assert re.sub("<[^>]+>", "", suggestion.group(1)) == _display(code)
    assert suggestion.group(1).count("<mark>") == 2  # the two swapped symbols
    assert STREET in html
    english = _page(client, f"/a/{typo}?lang=en", 422)
    assert "Did you mean:" in english
    assert f'<a href="/a/{code}?lang=en">' in english


def test_a_mistyped_code_with_no_registered_neighbour_says_so(client: FlaskClient) -> None:
    html = _page(client, "/a/7PH875FV6R2X", 422)
    assert "Không có mã đã đăng ký nào chỉ khác một lỗi gõ." in html


@pytest.mark.parametrize(
    ("typed", "explained"),
    [
        ("7PH875FO6R2W", "Ký tự không dùng trong mã: O."),
        ("7PH875FV6R2", "Mã đã nhập có 11 ký tự, cần đúng 12."),
        ("75FV+6R-2W", "Mã rút gọn 8 ký tự"),
        ("7PH875FV6R2W/12_5", "Số căn hộ sau dấu / chỉ gồm chữ và số"),
    ],
)
def test_malformed_codes_are_explained(client: FlaskClient, typed: str, explained: str) -> None:
    html = _page(client, f"/a/{typed}", 422)
    assert "Mã không hợp lệ" in html
    assert explained in html


def test_a_foreign_character_in_a_registered_code_is_suggested_away(
    tester: Tester, client: FlaskClient
) -> None:
    code = tester.add_household()["code"]
    typed = code[:5] + "O" + code[6:]
    html = _page(client, f"/a/{typed}", 422)
    assert f'<a href="/a/{code}"><strong>{code[:5]}<mark>{code[5]}</mark>' in html


def test_english_format_errors_use_the_validators_message(client: FlaskClient) -> None:
    html = _page(client, "/a/7PH875FO6R2W?lang=en", 422)
    assert "Not a valid code" in html
    assert "&#39;O&#39; at position 8 is never used in codes" in html


def test_typed_input_is_escaped(client: FlaskClient) -> None:
    html = _page(client, '/a/<script>alert("x")</script>', 422)
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


# --- the lookup form -----------------------------------------------------------------------


def test_lookup_form_redirects_to_the_page(tester: Tester, client: FlaskClient) -> None:
    code = tester.add_household()["code"]
    html = _page(client, "/a/")
    assert "Tra cứu địa chỉ số" in html
    assert '<script src="/static/addresscode.js" defer></script>' in html
    assert client.get("/A/").status_code == 200
    response = client.get("/a/", query_string={"code": _display(code).lower()})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/a/{code}"
    english = client.get("/a/", query_string={"code": code, "lang": "en"})
    assert english.headers["Location"] == f"/a/{code}?lang=en"
    typo = _page(client, "/a/?code=" + _mistype(code), 422)
    assert f'<a href="/a/{code}">' in typo


def test_the_offline_validator_is_served(client: FlaskClient) -> None:
    response = client.get("/static/addresscode.js")
    assert response.status_code == 200
    assert b"function parse(text)" in response.data
    response.close()


# --- service errors as pages ---------------------------------------------------------------


@pytest.mark.app_config(RATELIMIT_PUBLIC="2/minute")
def test_rate_limited_page(tester: Tester, client: FlaskClient) -> None:
    code = tester.add_household()["code"]
    for _ in range(2):
        client.get(f"/a/{code}")
    response = client.get(f"/a/{code}")
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "Quá nhiều yêu cầu" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers


def test_database_down_is_a_503_page(app_settings: dict[str, Any]) -> None:
    app = create_app(
        {**app_settings, "DATABASE_URL": "postgresql+psycopg2://postgres@127.0.0.1:1/none"}
    )
    client = app.test_client()
    for path in ("/a/7PH875FV6R2W", "/a/7PH875FV6R2X"):
        response = client.get(path)
        assert response.status_code in {503, 422}
        assert response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert "psycopg2" not in html and "127.0.0.1" not in html and "Traceback" not in html
    down = client.get("/a/7PH875FV6R2W")
    assert down.status_code == 503
    assert "Hệ thống tạm thời gián đoạn" in down.get_data(as_text=True)
    assert "Retry-After" in down.headers
