"""Typed addresses against registered ones: diacritics, abbreviations, alleys, legacy names,
and near-collisions such as Xã Cẩm Giang and Xã Cẩm Giàng (two communes of Hải Phòng)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from geo.code import AddressCode
from registry.address_text.gazetteer import Gazetteer, gazetteer
from registry.address_text.matching import AddressMatch, compare, name_terms, same_name
from registry.address_text.reading import read_address
from registry.addresses import AddressView

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def places(db: Session) -> Gazetteer:
    return gazetteer(db)


def registered(places: Gazetteer, commune: str = "07210", **fields: Any) -> AddressView:
    """An address view (no database row needed to compare text with it)."""
    unit = places.get(commune)
    assert unit is not None and unit.parent_code is not None
    province = places.get(unit.parent_code)
    assert province is not None
    values: dict[str, Any] = {
        "house_number": "12",
        "alley": ("ngõ 34", "ngách 5"),
        "street": "Nguyễn Văn Cừ",
        "hamlet": "Tổ dân phố Đông Thành",
    }
    values.update(fields)
    return AddressView(
        code=AddressCode.parse("7PH875FV6R2W"),
        status="active",
        successor=None,
        lat=21.2731,
        lon=106.1946,
        accuracy_m=5.0,
        location_source="gps",
        commune_code=unit.code,
        commune_name=unit.name,
        province_code=province.code,
        province_name=province.name,
        postcode=None,
        version=1,
        created_at=NOW,
        updated_at=NOW,
        **values,
    )


def match(places: Gazetteer, text: str, view: AddressView) -> AddressMatch:
    return compare(read_address(text, places), view)


def statuses(result: AddressMatch) -> dict[str, str]:
    return {name: c.status.value for name, c in result.components.items()}


ALL_CONFIRMED = dict.fromkeys(
    ("house_number", "alley", "street", "hamlet", "commune", "province"), "confirmed"
)


@pytest.mark.parametrize(
    "text",
    [
        "Số 12, ngõ 34, ngách 5, Nguyễn Văn Cừ, Tổ dân phố Đông Thành, Phường Bắc Giang, "
        "Tỉnh Bắc Ninh",
        "so 12 ngo 34 ngach 5 nguyen van cu, to dan pho dong thanh, phuong bac giang, bac ninh",
        "12 ngõ 34/5 Đ. Nguyễn Văn Cừ, TDP Đông Thành, P. Bắc Giang, T. Bắc Ninh",
        "12 ngách 34/5 Nguyễn Văn Cừ, Đông Thành, Bắc Giang, Bắc Ninh",
        "SỐ 12 NGÕ 34 NGÁCH 5 ĐƯỜNG NGUYỄN VĂN CỪ TỔ DÂN PHỐ ĐÔNG THÀNH PHƯỜNG BẮC GIANG",
        "12 Ngõ 34 Ngách 5 Nguyen Van Cu Dong Thanh Bac Giang Bac Ninh",
    ],
)
def test_same_address_confirmed_in_any_spelling(places: Gazetteer, text: str) -> None:
    result = match(places, text, registered(places))
    expected = dict(ALL_CONFIRMED)
    if "ninh" not in text.lower():
        expected["province"] = "missing"
    assert statuses(result) == expected
    assert result.score == (1.0 if expected == ALL_CONFIRMED else result.score)


@pytest.mark.parametrize(
    ("text", "component", "status", "note"),
    [
        ("14 ngõ 34/5 Nguyễn Văn Cừ, P. Bắc Giang", "house_number", "mismatch", None),
        ("12 ngõ 36/5 Nguyễn Văn Cừ, P. Bắc Giang", "alley", "mismatch", None),
        ("12 ngõ 34/5 Nguyễn Văn Cư, P. Bắc Giang", "street", "corrected", "accents"),
        ("12 ngõ 34/5 Nguyen Vn Cu, P. Bắc Giang", "street", "corrected", "spelling"),
        ("12 ngõ 34/5 Lê Lợi, P. Bắc Giang", "street", "mismatch", None),
        ("12 ngõ 34/5 Nguyễn Văn Cừ, P. Bắc Giag, Bắc Ninh", "commune", "corrected", "spelling"),
        ("12 ngõ 34/5 Nguyễn Văn Cừ, P. Bắc Giảng, Bắc Ninh", "commune", "corrected", "accents"),
        ("12 ngõ 34/5 Nguyễn Văn Cừ, P. Kinh Bắc, Bắc Ninh", "commune", "mismatch", None),
        ("12 ngõ 34/5 Nguyễn Văn Cừ, P. Bắc Giang, Hà Nội", "province", "mismatch", None),
        ("12 ngõ 34/5 Nguyễn Văn Cừ", "commune", "missing", None),
        ("ngõ 34/5 Nguyễn Văn Cừ, P. Bắc Giang", "house_number", "missing", None),
    ],
)
def test_component_verdicts(
    places: Gazetteer, text: str, component: str, status: str, note: str | None
) -> None:
    result = match(places, text, registered(places)).components[component]
    assert (result.status.value, result.note) == (status, note)


def test_pre_2025_address_resolves_to_the_current_commune(places: Gazetteer) -> None:
    text = "12 ngõ 34 ngách 5 Nguyễn Văn Cừ, P. Trần Phú, TP. Bắc Giang, Tỉnh Bắc Giang"
    result = match(places, text, registered(places))
    assert statuses(result) == ALL_CONFIRMED | {
        "hamlet": "missing",
        "commune": "corrected",
        "province": "corrected",
    }
    assert result.components["commune"].note == "legacy"
    assert result.components["province"].note == "legacy"
    assert result.legacy is not None
    assert (result.legacy.ward, result.legacy.district, result.legacy.province) == (
        "Phường Trần Phú",
        "Thành phố Bắc Giang",
        "Tỉnh Bắc Giang",
    )


@pytest.mark.parametrize(
    ("commune", "text", "status"),
    [
        ("10903", "Xã Cẩm Giàng, TP. Hải Phòng", "confirmed"),
        ("10903", "Cẩm Giàng, Hải Phòng", "confirmed"),
        ("10903", "xa cam giang, hai phong", "confirmed"),  # no accents: cannot tell them apart
        ("10903", "Xã Cẩm Giang, Hải Phòng", "mismatch"),  # the other commune, named exactly
        ("10888", "Xã Cẩm Giàng, Hải Phòng", "mismatch"),
        ("10888", "Cẩm Giang, Hải Phòng", "confirmed"),
        ("10903", "Xã Cẩm Giẳng, Hải Phòng", "corrected"),  # neither: other accents
        ("10903", "Xã Ngọc Liên, Huyện Cẩm Giàng, Tỉnh Hải Dương", "corrected"),  # pre-2025
        ("10888", "Xã Ngọc Liên, Huyện Cẩm Giàng, Tỉnh Hải Dương", "mismatch"),
        ("10888", "Thị trấn Cẩm Giang, H. Cẩm Giàng, Hải Dương", "corrected"),
        ("10903", "TT. Cẩm Giang, H. Cẩm Giàng, T. Hải Dương", "mismatch"),
    ],
)
def test_cam_giang_is_not_cam_giang(
    places: Gazetteer, commune: str, text: str, status: str
) -> None:
    view = registered(places, commune, alley=(), street=None, house_number=None, hamlet=None)
    assert match(places, text, view).components["commune"].status.value == status


def test_hcmc_house_in_alley_and_numbered_ward(places: Gazetteer) -> None:
    view = registered(places, "27301", house_number="5", alley=("hẻm 34",), street="Nguyễn Trãi")
    result = match(places, "34/5 Nguyễn Trãi, P2, Q5, TP.HCM", view)
    assert statuses(result) == {
        "house_number": "confirmed",
        "alley": "confirmed",
        "street": "confirmed",
        "hamlet": "missing",
        "commune": "corrected",
        "province": "confirmed",
    }
    assert result.legacy is not None and result.legacy.district == "Quận 5"


def test_unlabelled_name_that_is_no_commune_is_read_as_a_street(places: Gazetteer) -> None:
    view = registered(places, street="Trần Phú", alley=(), hamlet=None)
    result = match(places, "12 Trần Phú, Bắc Ninh", view)
    assert statuses(result)["street"] == "confirmed"
    assert statuses(result)["commune"] == "missing"


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("12 Đ. Nguyễn Văn Cừ, TDP Đông Thành, P. Bắc Giang", ("nguyen van cu", "dong thanh")),
        ("12 Thôn Cẩm Giàng, P. Bắc Giang", ("cam giang",)),
        ("5 tdp 3, P. Bắc Giang", ("to dan pho 3",)),  # a bare number keeps its type word
        ("12 nguyen van cu, bac giang, bac ninh", ("nguyen van cu",)),
        ("12, P. Bắc Giang", ()),
    ],
)
def test_search_terms_without_type_words(
    places: Gazetteer, text: str, terms: tuple[str, ...]
) -> None:
    assert name_terms(read_address(text, places)) == terms


@pytest.mark.parametrize(
    ("typed", "registered", "same"),
    [
        ("Cẩm Giang", "Thôn Cẩm Giàng", True),  # other accents
        ("Xóm Đông", "Thôn Đông", True),  # another type word
        ("Nguyen Van Cuu", "Nguyễn Văn Cừ", True),  # a typo
        ("Nguyễn Văn Cừ", "Nguyễn Du", False),
        ("Trần Phú", "Thôn Đông", False),
    ],
)
def test_same_name(typed: str, registered: str, same: bool) -> None:
    assert same_name(typed, registered) is same
