"""Address certificates over HTTP and the CLI: the facts, the QR check, no personal data, errors."""

from __future__ import annotations

import re
import zlib
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text

from geo.code import AddressCode
from qr.certificate import VIETNAM
from tests.conftest import Tester
from tests.support.tools import Decode, Run, add_unit, retire

BASE = "https://diachi.example.vn"
STREET = "Số 12, ngõ 34, ngách 5, Nguyễn Văn Cừ, Tổ dân phố Đông Thành"
#: A square around the tester's default point (21.2849, 106.215) as the boundary of 07210.
SQUARE = "MULTIPOLYGON(((106.19 21.27, 106.23 21.27, 106.23 21.30, 106.19 21.30, 106.19 21.27)))"


def _display(code: str) -> str:
    return AddressCode.parse(code).display


def _certificate(client: FlaskClient, code: str, tmp_path: Path) -> Path:
    response = client.get(f"/v1/addresses/{code}/certificate.pdf")
    assert response.status_code == 200, response.json
    assert response.mimetype == "application/pdf"
    path = tmp_path / "certificate.pdf"
    path.write_bytes(response.data)
    return path


def _text(run: Run, path: Path) -> str:
    return " ".join(run("pdftotext", path, "-").decode().split())


def _set_boundary(tester: Tester) -> None:
    """Give Phường Bắc Giang a square boundary (the catalogue is the owner's: ``as_owner``)."""
    tester.db.execute(
        text(
            "UPDATE admin_units SET boundary = ST_GeomFromText(:wkt, 4326),"
            " boundary_source = 'test-bounds.geojson' WHERE code = '07210'"
        ),
        {"wkt": SQUARE},
    )
    tester.db.flush()


@pytest.mark.as_owner  # sets a boundary
@pytest.mark.app_config(ISSUING_AUTHORITY="Ủy ban nhân dân {commune}, {province}")
def test_the_route_renders_the_certificate_of_the_address(
    tester: Tester, client: FlaskClient, run: Run, decode: Decode, tmp_path: Path
) -> None:
    _set_boundary(tester)
    code = tester.add_household()["code"]
    before = datetime.now(VIETNAM)
    response = client.get(f"/v1/addresses/{_display(code).lower()}/certificate.pdf")
    after = datetime.now(VIETNAM)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="certificate-{code}.pdf"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers
    path = tmp_path / "certificate.pdf"
    path.write_bytes(response.data)
    fonts = run("pdffonts", path).decode().splitlines()[2:]
    assert len(fonts) == 2
    assert all(re.match(r"[A-Z]{6}\+DejaVuSans(-Bold)? .* yes yes yes ", line) for line in fonts)
    printed = _text(run, path)
    for expected in (
        _display(code),
        f"Mã chuẩn (canonical): {code}",
        f"{STREET}, Phường Bắc Giang, Tỉnh Bắc Ninh",
        "Phường Bắc Giang (mã 07210)",
        "Tỉnh Bắc Ninh (mã 24)",
        "21.284900, 106.215000",
        "Đang sử dụng",
        "(nguồn: test-bounds.geojson)",
        "Quét mã QR để kiểm tra địa chỉ này còn hiệu lực.",
        "Ủy ban nhân dân Phường Bắc Giang, Tỉnh Bắc Ninh",  # ISSUING_AUTHORITY, as on plates
    ):
        assert expected in printed, expected
    dates = {f"ngày {t:%d} tháng {t:%m} năm {t:%Y}" for t in (before, after)}
    assert any(date in printed for date in dates)
    times = {f"{t:%H} giờ {t:%M} phút" for t in (before, after)}
    assert any(moment in printed for moment in times)
    (url,) = decode(run("pdftoppm", "-r", "150", "-png", path))
    assert url == f"{BASE}/a/{code}".upper()  # the plate's URL rule: the live scan page
    page = client.get(urlsplit(url).path)
    assert page.status_code == 200
    assert _display(code) in page.get_data(as_text=True)


def test_without_a_boundary_the_certificate_states_the_coordinates(
    tester: Tester, client: FlaskClient, run: Run, tmp_path: Path
) -> None:
    code = tester.add_household(lat=21.2849, lon=106.215)["code"]
    printed = _text(run, _certificate(client, code, tmp_path))
    assert "21.284900, 106.215000" in printed
    assert "Chưa có ranh giới xã/phường trong sổ đăng ký" in printed
    assert "nguồn:" not in printed


def test_a_unit_certificate_names_the_unit(
    tester: Tester, client: FlaskClient, run: Run, tmp_path: Path
) -> None:
    token = tester.user()
    unit = add_unit(tester, token, tester.add_household(token)["code"], "1205")
    response = client.get(f"/v1/addresses/{unit}/certificate.pdf")
    assert response.headers["Content-Disposition"].endswith(
        f'filename="certificate-{unit.replace("/", "-")}.pdf"'
    )
    printed = _text(run, _certificate(client, unit, tmp_path))
    assert _display(unit) in printed
    assert "Căn hộ 1205, Số 12A, ngõ 34" in printed


def test_a_retired_certificate_says_retired_and_names_the_successor(
    tester: Tester, client: FlaskClient, run: Run, tmp_path: Path
) -> None:
    token = tester.user()
    old = tester.add_household(token)["code"]
    new = tester.add_household(token, house_number="14", confirm_distinct=True)["code"]
    retire(tester, old, new)
    printed = _text(run, _certificate(client, old, tmp_path))
    assert "MÃ ĐỊA CHỈ NÀY ĐÃ BỊ THU HỒI" in printed
    assert f"Mã mới thay thế: {_display(new)}" in printed
    assert f"Đã thu hồi; mã mới: {_display(new)}" in printed
    assert "Đang sử dụng" not in printed


def _inflated(pdf: bytes) -> bytes:
    """The PDF with every compressed stream inflated (what a grep of the file could find)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue  # not a Flate stream
    return b"\n".join(parts)


def test_no_personal_data_of_the_household_appears_anywhere(
    tester: Tester, client: FlaskClient, run: Run, tmp_path: Path
) -> None:
    head = {"full_name": "Quách Thị Xuyến", "citizen_id": "079188004417", "phone": "0983771520"}
    token = tester.user()
    household = tester.add_household(token, head=head)
    shown = client.get(f"/v1/households/{household['id']}", headers=tester.auth(token)).json
    assert shown is not None and shown["head"]["full_name"] == head["full_name"]  # planted
    path = _certificate(client, household["code"], tmp_path)
    printed = _text(run, path)
    assert _display(household["code"]) in printed
    content = _inflated(path.read_bytes())
    for value in head.values():
        assert value not in printed
        for needle in {value, value.replace(" ", ""), value[-6:]}:
            for encoded in (needle.encode(), needle.encode("utf-16-be")):
                assert encoded not in content, needle
    assert "Xuyến" not in printed and "Quách" not in printed


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("7PH875FV6R2W", 404, "not-found"),
        ("7PH875FV6R2X", 422, "invalid-code-check"),
        ("7PH875FO+6R-2W", 422, "invalid-code-format"),
        ("7PH875FV+6R-2W/12_5", 422, "invalid-code-format"),
    ],
)
def test_unknown_and_invalid_codes_are_problems(
    client: FlaskClient, code: str, status: int, kind: str
) -> None:
    response = client.get(f"/v1/addresses/{code}/certificate.pdf")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json is not None
    assert response.json["type"].endswith("/" + kind)
    assert response.json["status"] == status
    assert "Content-Disposition" not in response.headers


def test_certificate_is_not_a_unit_of_the_code(tester: Tester, client: FlaskClient) -> None:
    code = tester.add_household()["code"]
    assert client.get(f"/v1/addresses/{code}/certificate.pdf").status_code == 200
    assert client.post(f"/v1/addresses/{code}/certificate.pdf").status_code == 405


@pytest.mark.app_config(RATELIMIT_PUBLIC="2/minute")
def test_certificates_are_rate_limited_per_ip(tester: Tester, client: FlaskClient) -> None:
    code = tester.add_household()["code"]
    for _ in range(2):
        assert client.get(f"/v1/addresses/{code}/certificate.pdf").status_code == 200
    limited = client.get(f"/v1/addresses/{code}/certificate.pdf")
    assert limited.status_code == 429
    assert limited.mimetype == "application/problem+json"
    assert "Retry-After" in limited.headers


def test_the_cli_writes_the_same_certificate(
    tester: Tester, runner: FlaskCliRunner, run: Run, tmp_path: Path
) -> None:
    code = tester.add_household()["code"]
    output = tmp_path / "certificate.pdf"
    result = runner.invoke(args=["certificate", _display(code).lower(), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert f"{_display(code)} (active) -> {output}" in result.output
    printed = _text(run, output)
    assert f"{STREET}, Phường Bắc Giang, Tỉnh Bắc Ninh" in printed
    assert not output.with_name("certificate.pdf.part").exists()
    unknown = runner.invoke(args=["certificate", "7PH875FV6R2W", "-o", str(tmp_path / "x.pdf")])
    assert unknown.exit_code == 1
    assert "no address has the code 7PH875FV+6R-2W" in unknown.output
    assert not (tmp_path / "x.pdf").exists()
    mistyped = runner.invoke(args=["certificate", "7PH875FV6R2X", "-o", str(tmp_path / "y.pdf")])
    assert mistyped.exit_code == 1
    assert "error:" in mistyped.output and "Traceback" not in mistyped.output
