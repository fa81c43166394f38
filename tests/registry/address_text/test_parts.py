"""Free-text addresses split at their type words: abbreviations, no diacritics, alleys."""

from __future__ import annotations

import pytest

from registry.address_text.parts import Kind, parse


def kinds(text: str) -> list[tuple[str, str]]:
    return [(part.kind.value, part.value) for part in parse(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Số 12, ngõ 34, ngách 5, Nguyễn Văn Cừ, Tổ dân phố Đông Thành, Phường Bắc Giang, "
        "Tỉnh Bắc Ninh",
        "12 ngõ 34 ngách 5 đường Nguyễn Văn Cừ TDP Đông Thành P.Bắc Giang T. Bắc Ninh",
        "so 12 ngo 34 ngach 5 duong nguyen van cu to dan pho dong thanh phuong bac giang "
        "tinh bac ninh",
        "SỐ NHÀ 12 - NGÕ 34 - NGÁCH 5 - Đ. NGUYỄN VĂN CỪ - TDP. ĐÔNG THÀNH - P. BẮC GIANG",
    ],
)
def test_the_same_address_in_many_spellings(text: str) -> None:
    parts = parse(text)
    by_kind = {part.kind: part.value.lower() for part in parts}
    assert by_kind[Kind.HOUSE] == "12"
    assert [p.value for p in parts if p.kind is Kind.ALLEY] == ["34", "5"]
    assert by_kind[Kind.COMMUNE] in {"bắc giang", "bac giang"}
    assert by_kind[Kind.HAMLET] in {"đông thành", "dong thanh"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TP. Hà Nội", [("city", "Hà Nội")]),
        ("TP.HCM", [("city", "HCM")]),
        ("tp Huế", [("city", "Huế")]),
        ("TX. Sơn Tây", [("district", "Sơn Tây")]),
        ("Q.1", [("district", "1")]),
        ("Q1", [("district", "1")]),
        ("P2", [("commune", "2")]),
        ("H. Cẩm Giàng", [("district", "Cẩm Giàng")]),
        ("X. Cẩm Giang", [("commune", "Cẩm Giang")]),
        ("TT. Lai Cách", [("township", "Lai Cách")]),
        ("Đ. Lê Lợi", [("street", "Lê Lợi")]),
        ("T. Bắc Ninh", [("province", "Bắc Ninh")]),
        ("Đặc khu Phú Quốc", [("commune", "Phú Quốc")]),
    ],
)
def test_abbreviations(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ngõ 34/5", [("alley", "34/5")]),
        ("hẻm 12/3/1 Lê Lợi", [("alley", "12/3/1"), ("unlabelled", "Lê Lợi")]),
        ("kiệt 7 Trần Phú", [("alley", "7"), ("unlabelled", "Trần Phú")]),
        ("34/5 Nguyễn Trãi", [("house_number", "34/5"), ("unlabelled", "Nguyễn Trãi")]),
        ("Số nhà 12A ngõ Văn Chương", [("house_number", "12A"), ("alley", "Văn Chương")]),
    ],
)
def test_alleys_and_house_numbers(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # After a type word the next word is always part of the name.
        ("Thôn Xóm Mới", [("hamlet", "Xóm Mới")]),
        ("phuong xa la", [("commune", "xa la")]),
        # "Bản" names a hamlet at the start of a part only.
        ("Bản Lầu, Xã Tân Bản", [("hamlet", "Lầu"), ("commune", "Tân Bản")]),
        # Accented words that only fold like a type word are names: "Xà" is not "Xã".
        ("Xà Phìn", [("unlabelled", "Xà Phìn")]),
        # "số" without a number is a word.
        ("Số ba Lê Lợi", [("unlabelled", "Số ba Lê Lợi")]),
    ],
)
def test_type_words_inside_names(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected
