"""No business or public response ever contains a person's name, citizen ID or phone."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from geo.code import AddressCode
from geo.text import fold
from tests.conftest import Tester

HEADS = [
    {"full_name": "Vũ Bảo Mật Xyzzyq", "citizen_id": "038195007788", "phone": "0977 123 987"},
    {"full_name": "Đặng Kín Đáo Quuxw", "citizen_id": "079301112233", "phone": "+84 912 000 555"},
]


def secrets_of(head: dict[str, str]) -> list[str]:
    """Every form in which a head's personal data could leak."""
    phone_digits = re.sub(r"\D", "", head["phone"])
    return [
        head["full_name"],
        fold(head["full_name"]),
        head["full_name"].split()[-1].lower(),
        head["citizen_id"],
        head["phone"],
        phone_digits,
        phone_digits.removeprefix("84"),
    ]


def test_no_personal_data_in_any_public_or_business_response(
    tester: Tester, client: FlaskClient, keyed: dict[str, str]
) -> None:
    codes = [
        str(
            tester.add_household(house_number=str(10 + i), lat=21.2849 + i * 0.001, head=head)[
                "code"
            ]
        )
        for i, head in enumerate(HEADS)
    ]
    text = "Số 10, ngõ 34/5 Nguyễn Văn Cừ, TDP Đông Thành, P. Bắc Giang, Bắc Ninh"
    mistyped = codes[0][:6] + ("2" if codes[0][6] != "2" else "3") + codes[0][7:]
    sibling = AddressCode.encode(AddressCode.parse(codes[0]).bounds().center, "9").canonical
    location = {"lat": 21.2849, "lon": 106.215}
    # (method, url, body, headers, what the response must show, so that the check means something)
    calls: list[tuple[str, str, Any, dict[str, str], str | None]] = [
        (
            "POST",
            "/v1/validate",
            {"code": codes[0], "address_text": text, "location": location},
            keyed,
            codes[0],
        ),
        ("POST", "/v1/validate", {"code": mistyped, "address_text": text}, keyed, codes[0]),
        ("POST", "/v1/validate", {"code": sibling}, keyed, codes[0]),
        (
            "POST",
            "/v1/validate/batch",
            {"items": [{"code": c, "address_text": text} for c in [*codes, mistyped]]},
            keyed,
            codes[1],
        ),
        (
            "GET",
            "/v1/reverse?lat=21.2849&lon=106.215&radius_m=5000&limit=100",
            None,
            keyed,
            codes[1],
        ),
        ("GET", "/v1/search?q=Nguyễn Văn Cừ, Phường Bắc Giang&limit=50", None, keyed, codes[1]),
        ("GET", "/v1/search?q=10&commune=07210&limit=50", None, keyed, codes[0]),
        ("GET", "/v1/admin-units?q=Bắc Giang", None, {}, "07210"),
    ]
    for code in codes:
        calls += [
            ("GET", f"/v1/codes/{code}", None, {}, code),
            ("GET", f"/v1/addresses/{code}", None, {}, code),
            ("GET", f"/v1/addresses/{code}/qr.svg", None, {}, None),
            ("GET", f"/v1/addresses/{code}/history", None, {}, None),
            ("GET", f"/a/{code}", None, {}, None),
        ]
    leaks = []
    for method, url, body, headers, shown in calls:
        with client.open(url, method=method, json=body, headers=headers) as response:
            assert response.status_code < 500, url
            seen = response.get_data(as_text=True)
        assert shown is None or shown in seen, url
        lowered = seen.lower()
        leaks += [(url, s) for head in HEADS for s in secrets_of(head) if s.lower() in lowered]
    assert leaks == []
