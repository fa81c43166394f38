"""GET /v1/search: structured, diacritics-insensitive, exact accents first, typo-tolerant,
filtered by commune or province, and served by indexes (never a scan of addresses)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Row, select, text
from sqlalchemy.orm import Session

from geo.point import Point
from registry.lookups.search import candidates_query, matched_names, plan_search
from registry.models import AdminUnit
from tests.support.business import (
    address_row,
    body,
    explain,
    insert_addresses,
    scans_of,
    scatter,
    street_address,
)

BAC_GIANG = Point(106.215, 21.2849)  # Phường Bắc Giang (07210), Bắc Ninh (24)
DA_MAI = Point(106.24, 21.30)  # Phường Đa Mai (07228), Bắc Ninh


STREETS = (
    "Lê Lợi", "Trần Phú", "Hoàng Văn Thụ", "Ngô Quyền", "Lý Thái Tổ", "Xương Giang",
    "Hai Bà Trưng", "Lê Duẩn", "Điện Biên Phủ", "Quang Trung", "Nguyễn Trãi", "Bà Triệu",
    "Phan Đình Phùng", "Lạc Long Quân", "Hùng Vương", "Cách Mạng Tháng Tám", "Võ Thị Sáu",
    "Tôn Đức Thắng", "Lê Thánh Tông", "Nguyễn Du", "Hàng Bài", "Trường Chinh", "Kim Mã",
    "Láng Hạ", "Phố Huế", "Bạch Đằng", "Thái Hà", "Tây Sơn", "Chùa Bộc", "Xã Đàn",
)  # fmt: skip
#: Filler provinces: a commune holds a small share of the table, as in the real registry.
FILLER_PROVINCES = ("01", "24", "31", "79", "48", "92")


def named_rows(rng: random.Random) -> dict[str, dict[str, Any]]:
    """The addresses the tests look for, and 40 neighbours on other streets."""
    named = {
        "cu-12": street_address(Point(106.2101, 21.2801), "12"),
        "cu-14": street_address(Point(106.2103, 21.2801), "14"),
        "cu-12-da-mai": street_address(DA_MAI, "12", commune="07228"),
        "cam-giang": address_row(Point(106.2201, 21.2901), hamlet="Thôn Cẩm Giang"),
        "cam-giang-accented": address_row(Point(106.2203, 21.2901), hamlet="Thôn Cẩm Giàng"),
        "retired": street_address(Point(106.2105, 21.2801), "16", status="retired"),
    }
    for index, row in enumerate(scatter(rng, BAC_GIANG, 40, 0.01)):
        row.update(street=STREETS[index % 3], house_number=str(index))
        named[f"bac-giang-{index}"] = row
    return named


@pytest.fixture
def addresses(db: Session) -> dict[str, str]:
    """Named addresses (name -> code)."""
    named = named_rows(random.Random(7))  # noqa: S311 -- reproducible test data
    insert_addresses(db, named.values())
    return {name: str(row["code"]) for name, row in named.items()}


@pytest.fixture
def many_addresses(db: Session) -> None:
    """The named addresses among 4,000 others in 60 communes, analysed: a commune holds a
    small share of the table, as in the real registry, so the planner's choices are real."""
    rng = random.Random(7)  # noqa: S311 -- reproducible test data
    communes = db.execute(
        select(AdminUnit.code, AdminUnit.parent_code)
        .where(AdminUnit.parent_code.in_(FILLER_PROVINCES))
        .order_by(AdminUnit.code)
    ).all()
    chosen = [row for province in FILLER_PROVINCES for row in _first(communes, province, 10)]
    named = named_rows(rng)
    codes = {row["code"] for row in named.values()}
    rows = list(named.values())
    for row in scatter(rng, Point(105.9, 21.0), 4000, 0.5):
        commune, province = rng.choice(chosen)
        row.update(commune_code=commune, province_code=province)
        row.update(street=rng.choice(STREETS), house_number=str(rng.randrange(1, 300)))
        if row["code"] not in codes:
            rows.append(row)
    insert_addresses(db, rows)
    db.execute(text("ANALYZE addresses, address_names"))


def _first(rows: Sequence[Row[str, str | None]], province: str, count: int) -> list[Any]:
    return [(code, parent) for code, parent in rows if parent == province][:count]


def found(client: FlaskClient, keyed: dict[str, str], query: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/search?{query}", headers=keyed)
    assert response.status_code == 200, response.json
    return list(body(response)["items"])


def codes(items: list[dict[str, Any]]) -> list[str]:
    return [item["code"] for item in items]


@pytest.mark.parametrize(
    "q",
    [
        "12 Nguyễn Văn Cừ, Phường Bắc Giang",
        "12 nguyen van cu, bac giang, bac ninh",
        "số 12 ngõ 34/5 Đ. Nguyễn Văn Cừ, P. Bắc Giang",
        "12 Nguyen Van Cuu, P. Bac Giang",  # a typo
        "12 Nguyễn Văn Cừ, P. Trần Phú, TP. Bắc Giang, T. Bắc Giang",  # pre-2025
    ],
)
def test_finds_the_house(
    client: FlaskClient, keyed: dict[str, str], addresses: dict[str, str], q: str
) -> None:
    items = found(client, keyed, f"q={q}")
    assert codes(items)[:2] == [addresses["cu-12"], addresses["cu-14"]]
    assert items[0]["score"] > items[1]["score"]
    assert items[0]["match"]["components"]["house_number"]["status"] == "confirmed"
    assert addresses["retired"] not in codes(items)
    assert addresses["cu-12-da-mai"] not in codes(items)  # another commune


def test_exact_accents_first(
    client: FlaskClient, keyed: dict[str, str], addresses: dict[str, str]
) -> None:
    exact = found(client, keyed, "q=Thôn Cẩm Giàng&commune=07210")
    assert codes(exact)[:2] == [addresses["cam-giang-accented"], addresses["cam-giang"]]
    other = found(client, keyed, "q=Thôn Cẩm Giang&commune=07210")
    assert codes(other)[:2] == [addresses["cam-giang"], addresses["cam-giang-accented"]]
    folded = found(client, keyed, "q=thon cam giang&commune=07210")
    assert set(codes(folded)[:2]) == {addresses["cam-giang"], addresses["cam-giang-accented"]}
    assert folded[0]["score"] == folded[1]["score"]


def test_area_filters(
    client: FlaskClient, keyed: dict[str, str], addresses: dict[str, str]
) -> None:
    by_province = codes(found(client, keyed, "q=12 Nguyễn Văn Cừ&province=24&limit=5"))
    assert set(by_province[:2]) == {addresses["cu-12"], addresses["cu-12-da-mai"]}
    by_commune = found(client, keyed, "q=12 Nguyễn Văn Cừ&commune=07228")
    assert codes(by_commune)[0] == addresses["cu-12-da-mai"]
    assert {item["address"]["commune"]["code"] for item in by_commune} == {"07228"}
    hanoi = found(client, keyed, "q=Nguyễn Văn Cừ, Hà Nội")
    assert hanoi == []


def test_limit(client: FlaskClient, keyed: dict[str, str], addresses: dict[str, str]) -> None:
    assert len(found(client, keyed, "q=Lê Lợi&commune=07210&limit=7")) == 7


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("q=Nguyễn Văn Cừ", "q"),  # no area
        ("q=x", "q"),
        ("q=Lê Lợi&commune=99999", "commune"),
        ("q=Lê Lợi&province=7", "province"),
        ("q=Lê Lợi&province=99", "province"),
        ("q=Lê Lợi&province=24&limit=51", "limit"),
    ],
)
def test_bad_queries_are_422(
    client: FlaskClient, keyed: dict[str, str], query: str, field: str
) -> None:
    response = client.get(f"/v1/search?{query}", headers=keyed)
    assert response.status_code == 422
    assert field in body(response)["errors"]


SEARCHES = (
    ("12 Nguyễn Văn Cừ, Phường Bắc Giang", None, None),
    ("Nguyen Van Cuu", "07210", None),
    ("Nguyễn Văn Cừ, Bắc Ninh", None, None),
    ("Lê Lợi", None, "24"),
    ("Ngô Quyền, Hà Nội", None, None),
    ("12, P. Bắc Giang", None, None),  # no names: the commune index alone
)


@pytest.mark.as_owner  # the owner may ANALYZE: the planner sees the table as it is
def test_never_scans_the_addresses_table(db: Session, many_addresses: None) -> None:
    for q, commune, province in SEARCHES:
        search_plan = plan_search(db, q, commune=commune, province=province)
        names = matched_names(db, search_plan)
        plan = explain(db, candidates_query(search_plan, names, 10))
        scans = scans_of(plan, "addresses")
        assert scans and "Seq Scan" not in scans, (q, plan)
        # The area's index, or its name or house index, as the planner likes.
        used = {
            "addresses_commune",
            "addresses_province",
            "addresses_commune_street",
            "addresses_commune_hamlet",
            "addresses_commune_house",
        }
        assert any(index in plan for index in used), (q, plan)
