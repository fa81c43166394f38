"""/v1/dashboard over HTTP: who may see which province, the figures, the CSV files, the map.

And the other side of the role: a province staff's token opens no household or official
endpoint (403), and no dashboard answer carries personal data.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import Tester

PROVINCE = "24"  # Tỉnh Bắc Ninh
ROUTES = [
    "/v1/dashboard/provinces",
    "/v1/dashboard/provinces.csv",
    f"/v1/dashboard/provinces/{PROVINCE}",
    f"/v1/dashboard/provinces/{PROVINCE}/communes.csv",
    f"/v1/dashboard/provinces/{PROVINCE}/days.csv",
    f"/v1/dashboard/provinces/{PROVINCE}/map",
]


def _headers(tester: Tester, who: str | None) -> dict[str, str]:
    if who is None:
        return {}
    if who == "staff":
        return tester.auth(tester.user(role="province", communes=(), provinces=(PROVINCE,)))
    if who == "staff-elsewhere":
        return tester.auth(tester.user(role="province", communes=(), provinces=("01",)))
    if who == "admin":
        return tester.auth(tester.user(role="admin", communes=()))
    return tester.auth(tester.user())


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("official", 403), ("staff", 200), ("admin", 200)],
)
def test_who_may_read_the_dashboard(
    tester: Tester, client: FlaskClient, path: str, who: str | None, status: int
) -> None:
    response = client.get(path, headers=_headers(tester, who))
    assert response.status_code == status
    assert response.headers["Cache-Control"] == "private, no-store"
    if status >= 400:
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("who", "code", "status"),
    [
        ("staff-elsewhere", PROVINCE, 403),  # another province: refused
        ("staff", "01", 403),
        ("staff", "99", 403),  # no hint whether a code is a province
        ("admin", "99", 404),
        ("admin", "07210", 404),  # a commune is no province
    ],
)
def test_a_province_outside_the_assignment(
    tester: Tester, client: FlaskClient, who: str, code: str, status: int
) -> None:
    headers = _headers(tester, who)
    for path in (f"/v1/dashboard/provinces/{code}", f"/v1/dashboard/provinces/{code}/map"):
        response = client.get(path, headers=headers)
        assert response.status_code == status, path
        assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("query", ["days=0", "days=367", "days=x", "lang=fr"])
def test_bad_options_are_422(tester: Tester, client: FlaskClient, query: str) -> None:
    headers = _headers(tester, "staff")
    path = f"/v1/dashboard/provinces/{PROVINCE}/days.csv?{query}"
    response = client.get(path, headers=headers)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_no_token_is_401_before_the_query_is_read(client: FlaskClient) -> None:
    response = client.get(f"/v1/dashboard/provinces/{PROVINCE}?days=0")
    assert response.status_code == 401


def _commune(body: dict[str, Any], code: str) -> dict[str, Any]:
    (row,) = [row for row in body["communes"] if row["code"] == code]
    return dict(row["counts"])


def test_the_figures_follow_registrations_and_print_runs(
    tester: Tester, client: FlaskClient
) -> None:
    staff = _headers(tester, "staff")
    url = f"/v1/dashboard/provinces/{PROVINCE}?days=7"
    before = client.get(url, headers=staff).json
    assert before is not None
    official = tester.user()
    for index in range(3):
        tester.add_household(official, lat=21.2849 + index * 0.0004, house_number=str(index))
    printed = client.get("/v1/admin-units/07210/plates.pdf", headers=tester.auth(official))
    assert printed.status_code == 200 and printed.data.startswith(b"%PDF")
    after = client.get(url, headers=staff).json
    assert after is not None
    old, new = _commune(before, "07210"), _commune(after, "07210")
    for figure in ("addresses", "households", "registered_7d", "gps_10m"):
        assert new[figure] - old[figure] == 3, figure
    assert new["officials_active_7d"] - old["officials_active_7d"] == 1
    assert new["plates_printed"] - old["plates_printed"] == int(printed.headers["X-Plate-Count"])
    assert after["totals"]["households"] == sum(
        row["counts"]["households"] for row in after["communes"]
    )
    assert [day["day"] for day in after["days"]][-1] == after["today"]
    assert len(after["days"]) == 7 and after["days"][-1]["registrations"] >= 3
    assert "Nguyễn Thị Lan" not in json.dumps(after, ensure_ascii=False)  # no person, ever


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="')
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Vietnamese
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_csv_files(tester: Tester, client: FlaskClient) -> None:
    tester.add_household(tester.user())
    staff = _headers(tester, "staff")
    communes = _csv(client.get(f"/v1/dashboard/provinces/{PROVINCE}/communes.csv", headers=staff))
    assert communes[0][:4] == ["Mã xã/phường", "Tên", "Địa chỉ", "Hộ gia đình"]
    body = client.get(f"/v1/dashboard/provinces/{PROVINCE}", headers=staff).json
    assert body is not None
    assert len(communes) == len(body["communes"]) + 1
    (home,) = [row for row in communes if row[0] == "07210"]
    figures = _commune(body, "07210")
    assert home[1] == "Phường Bắc Giang"
    assert [int(home[2]), int(home[3])] == [figures["addresses"], figures["households"]]
    assert float(home[6]) == pytest.approx(figures["gps_10m_share"] * 100, abs=0.05)
    english = _csv(
        client.get(f"/v1/dashboard/provinces/{PROVINCE}/communes.csv?lang=en", headers=staff)
    )
    assert english[0][:3] == ["Commune code", "Name", "Addresses"]
    days = _csv(client.get(f"/v1/dashboard/provinces/{PROVINCE}/days.csv?days=3", headers=staff))
    assert days[0] == ["Ngày", "Hộ đăng ký"] and len(days) == 4
    assert days[-1][0] == body["today"] and int(days[-1][1]) >= 1
    provinces = _csv(client.get("/v1/dashboard/provinces.csv", headers=staff))
    assert [row[:2] for row in provinces[1:]] == [[PROVINCE, "Tỉnh Bắc Ninh"]]


def test_the_map_has_every_commune(tester: Tester, client: FlaskClient) -> None:
    staff = _headers(tester, "staff")
    shapes = client.get(f"/v1/dashboard/provinces/{PROVINCE}/map", headers=staff).json
    body = client.get(f"/v1/dashboard/provinces/{PROVINCE}", headers=staff).json
    assert shapes is not None and body is not None
    assert shapes["type"] == "FeatureCollection"
    assert [f["id"] for f in shapes["features"]] == [row["code"] for row in body["communes"]]
    # No boundaries are loaded in the test database: each commune is its reference point.
    feature = shapes["features"][0]
    assert feature["geometry"]["type"] == "Point" and feature["properties"]["boundary"] is False


def test_province_staff_list_their_provinces_and_who_they_are(
    tester: Tester, client: FlaskClient
) -> None:
    staff = _headers(tester, "staff")
    listed = client.get("/v1/dashboard/provinces", headers=staff).json
    assert listed is not None
    assert [item["code"] for item in listed["items"]] == [PROVINCE]
    assert listed["items"][0]["communes"] > 50
    me = client.get("/v1/auth/me", headers=staff).json
    assert me is not None
    assert (me["role"], me["communes"], me["provinces"]) == (
        "province",
        [],
        [{"code": PROVINCE, "name": "Tỉnh Bắc Ninh"}],
    )
    everything = client.get("/v1/dashboard/provinces", headers=_headers(tester, "admin")).json
    assert everything is not None and len(everything["items"]) == 34


def test_province_staff_cannot_use_household_endpoints(tester: Tester, client: FlaskClient) -> None:
    household = tester.add_household(tester.user())
    staff = _headers(tester, "staff")
    code = household["code"]
    calls: list[tuple[str, str, Any]] = [
        ("GET", "/v1/households?commune=07210", None),
        ("POST", "/v1/households", tester.household_body()),
        ("POST", "/v1/households", {"not": "a registration"}),  # 403 before the body is read
        ("GET", f"/v1/households/{household['id']}", None),
        ("PATCH", f"/v1/households/{household['id']}", {"members": 2}),
        ("DELETE", f"/v1/households/{household['id']}", None),
        ("POST", f"/v1/households/{household['id']}/move", {"code": code}),
        ("GET", f"/v1/households/{household['id']}/history", None),
        ("GET", f"/v1/addresses/{code}/history", None),
        ("PATCH", f"/v1/addresses/{code}", {"street": "Lê Lợi"}),
        ("POST", f"/v1/addresses/{code}/retire", {}),
        ("POST", "/v1/sync", {"operations": []}),
        ("GET", "/v1/audit", None),
        ("GET", "/v1/admin-units/07210/plates.pdf", None),
    ]
    for method, path, body in calls:
        response = client.open(path, method=method, json=body, headers=staff)
        assert response.status_code == 403, (method, path, response.json)
        assert "Nguyễn Thị Lan" not in response.get_data(as_text=True)
