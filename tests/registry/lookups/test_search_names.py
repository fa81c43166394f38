"""Migration 0007: the names in use per commune follow every write; search matches names, not
the type words a whole commune shares."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from geo.point import Point
from registry.db import copy_cursor
from registry.lookups.search import house_forms, matched_names, plan_search, search
from registry.models import Address, AddressName
from tests.support.business import address_row, insert_addresses

ORIGIN = Point(106.215, 21.2849)
#: Names stay when the addresses that used them go: a commune no test commits addresses in.
COMMUNE = "07246"
HAMLETS = ("Thôn Đông", "Thôn Đoài", "Thôn Trung", "Thôn Thượng", "Thôn Hạ", "Xóm Mới")
STREETS = ("Nguyễn Văn Cừ", "Nguyễn Trãi", "Nguyễn Du", "Nguyễn Đăng Đạo", "Lê Lợi")


def names_of(db: Session, commune: str = COMMUNE) -> set[tuple[str, str, str]]:
    rows = db.execute(
        select(AddressName.kind, AddressName.name, AddressName.name_key).where(
            AddressName.commune_code == commune
        )
    )
    return {(kind, name, key) for kind, name, key in rows}


def near(index: int) -> Point:
    return Point(ORIGIN.lon + index * 0.0002, ORIGIN.lat)


def here(index: int, **fields: Any) -> dict[str, Any]:
    """An address row of the test's commune, ``index`` steps along a line of points."""
    return address_row(near(index), commune=COMMUNE, **fields)


def test_an_insert_notes_its_names_folded(db: Session) -> None:
    insert_addresses(
        db,
        [
            here(0, house_number="1", street="Nguyễn Văn Cừ", hamlet="Thôn Đông"),
            here(1, house_number="2", street="Nguyễn Văn Cừ"),
        ],
    )
    assert names_of(db) == {
        ("street", "Nguyễn Văn Cừ", "nguyen van cu"),
        ("hamlet", "Thôn Đông", "thon dong"),
    }


def test_an_update_notes_the_new_name_and_keeps_the_old(db: Session) -> None:
    insert_addresses(db, [here(0, house_number="1", street="Lê Lợi")])
    lai = update(Address).where(Address.commune_code == COMMUNE, Address.street == "Lê Lợi")
    db.execute(lai.values(street="Lê Lai"))
    assert {name for _, name, _ in names_of(db)} == {"Lê Lợi", "Lê Lai"}


def test_a_copy_notes_its_names(db: Session) -> None:
    row = here(0)
    line = (
        f"{row['code']}\tSRID=4326;POINT({near(0).lon} {near(0).lat})\tgps\t5\tTrần Phú"
        f"\tTổ dân phố 3\t{COMMUNE}\t24\n"
    )
    copy_cursor(db).copy_expert(
        "COPY addresses (code, point, location_source, house_number, street, hamlet,"
        " commune_code, province_code) FROM STDIN",
        io.StringIO(line),
    )
    assert names_of(db) == {
        ("street", "Trần Phú", "tran phu"),
        ("hamlet", "Tổ dân phố 3", "to dan pho 3"),
    }


def matched(db: Session, q: str) -> set[str]:
    plan = plan_search(db, q, commune=COMMUNE)
    return {name for _, name in matched_names(db, plan)}


def test_type_words_and_family_names_do_not_match_the_commune(db: Session) -> None:
    rows = [
        here(i, house_number=str(i), street=street, hamlet=hamlet)
        for i, (street, hamlet) in enumerate(zip(STREETS, HAMLETS, strict=False))
    ]
    insert_addresses(db, rows)
    assert matched(db, "12 Thôn Đông") == {"Thôn Đông"}
    assert matched(db, "12 thon dongg") == {"Thôn Đông"}  # a typo
    # A shared family name makes a few streets similar, never the hamlets or other streets.
    assert "Nguyễn Văn Cừ" in matched(db, "12 Đ. Nguyễn Văn Cừ") <= set(STREETS[:4])
    assert matched(db, "12 Xã Đàn") == set()


def test_a_name_misspelt_beyond_the_trigrams_still_finds_its_house(db: Session) -> None:
    rows = [here(i, house_number=str(i), hamlet=HAMLETS[i % 6]) for i in range(30)]
    insert_addresses(db, rows)
    assert matched(db, "12 Thôn Đôgn") == set()
    hits = search(db, "12 Thôn Đôgn", commune=COMMUNE)
    assert hits[0].address.code.symbols == rows[12]["code"]
    assert search(db, "Thôn Đôgn", commune=COMMUNE) == []


def test_the_house_is_found_among_its_neighbours(db: Session) -> None:
    rows = [here(i, house_number=str(i // 5 + 1), street=STREETS[i % 5]) for i in range(200)]
    insert_addresses(db, rows)
    wanted = next(
        r["code"] for r in rows if r["house_number"] == "12" and r["street"] == STREETS[0]
    )
    for q in (
        "12 Nguyễn Văn Cừ",
        "12 nguyen van cu",
        "12 Nguyen Van Cuu",
        "số 12 đ. Nguyễn Văn Cừ",
    ):
        hits = search(db, q, commune=COMMUNE, limit=5)
        assert hits[0].address.code.symbols == wanted, q
        assert hits[0].match.components["house_number"].status == "confirmed", q
        assert len(hits) == 5, q


def test_house_forms() -> None:
    assert house_forms("12A") == ("12a",)
    assert house_forms("Số 12") == ("12", "số 12")
    assert house_forms("34/5") == ("34/5", "5")
    assert house_forms(None) == ()
