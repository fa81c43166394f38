"""What an import writes, column by column, for rows of every kind the row checks know.

The file mixes rows the fast path takes (plain CSV) with rows the thorough path takes (spaces
to strip, a decimal comma, quotes and a backslash that need COPY escapes, a confirmed low
accuracy), two dwellings of one cell, and rows refused by the row rules and by the batch rules,
so that the rows around a refused one must still line up with their codes, ids and personal
data. The expectations are the rows this file has always produced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry import pii
from registry.access.actors import Actor
from registry.importing import halves
from registry.importing.source import FIELDS
from registry.sync import changed_households
from tests.support.changes import last_change
from tests.support.importing import LAT, LON, METRE_LAT, Run, Write

pytestmark = pytest.mark.as_owner

#: Every column of the import format but the household id and the projected coordinates.
HEADER = tuple(f for f in FIELDS if f not in ("id", "x", "y", "crs"))
FAR = 40 * METRE_LAT  # another cell


def _row(*values: Any) -> dict[str, Any]:
    return dict(zip(HEADER, values, strict=True))


ROWS = [
    # 2: plain, fast path
    _row(LAT, LON, "5", "gps", "07210", "12", "ngõ 34; ngách 5", "Nguyễn Văn Cừ",
         "Tổ dân phố Đông Thành", "", "Nguyễn Thị Lan", "001199012345", "0912345678", "4",
         "", ""),
    # 3: the same cell; empty optional fields
    _row(LAT + METRE_LAT, LON, "", "map", "07210", "12A", "", "", "Thôn Đông", "230000",
         "Lê Văn Tám", "", "", "1", "", ""),
    # 4: spaces to strip and a decimal comma: thorough path
    _row(str(LAT + FAR).replace(".", ","), f" {LON} ", " 7.5 ", " survey ", " 07210 ", " 13 ",
         " ngõ 2 | ngách 9 ", "  Lê Lợi ", "", "", " Trần Văn Minh ", " 001299887766 ",
         "+84 912 345 678", " 2 ", "", ""),
    # 5: refused by the row rules
    _row(LAT + 2 * FAR, LON, "5", "gps", "07210", "14", "", "", "", "", "Phạm Văn Đồng", "",
         "", "0", "", ""),
    # 6: text that needs COPY escapes
    _row(LAT + 3 * FAR, LON, "3", "gps", "07210", "15", 'ngõ "5"', 'Phố "Chợ" Cũ\\Mới',
         "Xóm\tGiữa", "", 'Đỗ "Út" Em', "", "0987654321", "6", "", ""),
    # 7: worse than the accuracy limit, confirmed
    _row(LAT + 4 * FAR, LON, "50", "gps", "07210", "16", "", "Quang Trung", "", "", "Vũ Thị Hoa",
         "", "", "3", "", "có"),
    # 8: a possible duplicate of row 2 (batch rules)
    _row(LAT + METRE_LAT / 2, LON, "5", "gps", "07210", "12", "", "", "", "", "Hồ Văn Hai", "",
         "", "2", "", ""),
    # 9: the same house number next to row 2, confirmed distinct
    _row(LAT, LON + METRE_LAT / 2, "4", "gps", "07210", "12", "", "", "", "", "Ngô Thị Ba", "",
         "", "5", "x", ""),
]  # fmt: skip

ADDRESSES = """
    SELECT code, unit, ST_SRID(point) AS srid, ST_X(point) AS lon, ST_Y(point) AS lat,
           accuracy_m, location_source, house_number, alley, street, hamlet, commune_code,
           province_code, postcode, status, successor_code, version, flag,
           created_at = now() AND updated_at = now() AS stamped_now
    FROM addresses ORDER BY id
"""
HOUSEHOLDS = """
    SELECT a.code, h.commune_code, h.head_name, h.members, h.status, h.version,
           h.created_by, h.updated_by, h.moved_to, h.moved_from,
           h.created_at = now() AND h.updated_at = now() AS stamped_now
    FROM households AS h JOIN addresses AS a ON a.id = h.address_id ORDER BY a.id
"""


def _rows(db: Session, sql: str) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in db.execute(text(sql))]


def _address(code: str, lat: float, lon: float, **columns: Any) -> dict[str, Any]:
    row = {
        "code": code,
        "unit": "",
        "srid": 4326,
        "lon": lon,
        "lat": lat,
        "accuracy_m": None,
        "location_source": "gps",
        "house_number": None,
        "alley": [],
        "street": None,
        "hamlet": None,
        "commune_code": "07210",
        "province_code": "24",
        "postcode": None,
        "status": "active",
        "successor_code": None,
        "version": 1,
        "flag": None,
        "stamped_now": True,
    }
    row.update(columns)
    return row


EXPECTED_ADDRESSES = [
    _address("7PH876M8X22R", LAT, LON, accuracy_m=5.0, house_number="12",
             alley=["ngõ 34", "ngách 5"], street="Nguyễn Văn Cừ", hamlet="Tổ dân phố Đông Thành"),
    _address("7PH876M8X23X", LAT + METRE_LAT, LON, location_source="map", house_number="12A",
             hamlet="Thôn Đông", postcode="230000"),
    _address("7PH876P84222", LAT + FAR, LON, accuracy_m=7.5, location_source="survey",
             house_number="13", alley=["ngõ 2", "ngách 9"], street="Lê Lợi"),
    _address("7PH876P89227", LAT + 3 * FAR, LON, accuracy_m=3.0, house_number="15",
             alley=['ngõ "5"'], street='Phố "Chợ" Cũ\\Mới', hamlet="Xóm\tGiữa"),
    _address("7PH876P8G22H", LAT + 4 * FAR, LON, accuracy_m=50.0, house_number="16",
             street="Quang Trung"),
    # confirmed distinct from a possible duplicate: flagged for review, as the API flags it
    _address("7PH876M8X24V", LAT, LON + METRE_LAT / 2, accuracy_m=4.0, house_number="12",
             flag="confirmed-distinct"),
]  # fmt: skip
#: (code, head, members, citizen ID, phone) of each household, in address order.
EXPECTED_HOUSEHOLDS = [
    ("7PH876M8X22R", "Nguyễn Thị Lan", 4, "001199012345", "0912345678"),
    ("7PH876M8X23X", "Lê Văn Tám", 1, None, None),
    ("7PH876P84222", "Trần Văn Minh", 2, "001299887766", "+84 912 345 678"),
    ("7PH876P89227", 'Đỗ "Út" Em', 6, None, "0987654321"),
    ("7PH876P8G22H", "Vũ Thị Hoa", 3, None, None),
    ("7PH876M8X24V", "Ngô Thị Ba", 5, None, None),
]
EXPECTED_ERRORS = [(5, "members", "validation-error"), (8, "house_number", "possible-duplicate")]


@pytest.fixture(params=["one process", "two processes"])
def imported(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    db: Session,
    write: Write,
    run: Run,
) -> int:
    """Import the file (skipping its bad rows); the last change number before it.

    Once as small files are checked, and once checked in two halves as large CSV files are.
    """
    if request.param == "two processes":
        monkeypatch.setattr(halves, "SPLIT_MIN_BYTES", 0)
    before = last_change(db)
    result = run(write(ROWS, header=HEADER), mode="skip-bad-rows")
    assert [(e.row, e.field, e.kind) for e in result.errors] == EXPECTED_ERRORS
    assert (result.rows, result.imported, result.written) == (8, 6, True)
    db.flush()
    return before


def test_every_address_column(db: Session, imported: int) -> None:
    assert _rows(db, ADDRESSES) == EXPECTED_ADDRESSES


def test_every_household_column(db: Session, imported: int, importer: Actor) -> None:
    expected = [
        {
            "code": code,
            "commune_code": "07210",
            "head_name": head,
            "members": members,
            "status": "active",
            "version": 1,
            "created_by": importer.user_id,
            "updated_by": importer.user_id,
            "moved_to": None,
            "moved_from": None,
            "stamped_now": True,
        }
        for code, head, members, _, _ in EXPECTED_HOUSEHOLDS
    ]
    assert _rows(db, HOUSEHOLDS) == expected
    sealed = db.execute(
        text(
            "SELECT h.citizen_id, h.phone, h.citizen_id_index FROM households AS h"
            " JOIN addresses AS a ON a.id = h.address_id ORDER BY a.id"
        )
    ).all()
    opened = [
        (
            pii.unseal_optional(db, row.citizen_id, field="citizen_id"),
            pii.unseal_optional(db, row.phone, field="phone"),
            row.citizen_id_index,
        )
        for row in sealed
    ]
    assert opened == [
        (citizen_id, phone, pii.blind_index_optional(citizen_id, "citizen_id"))
        for _, _, _, citizen_id, phone in EXPECTED_HOUSEHOLDS
    ]


def test_ids_and_change_numbers(db: Session, imported: int) -> None:
    ids = db.execute(
        text(
            "SELECT a.id AS address, a.change_seq AS address_change, h.id AS household,"
            " h.change_seq AS household_change, h.created_at"
            " FROM households AS h JOIN addresses AS a ON a.id = h.address_id ORDER BY a.id"
        )
    ).all()
    addresses = [row.address for row in ids]
    assert addresses == list(range(addresses[0], addresses[0] + len(ids)))
    assert [row.household for row in ids] == sorted(row.household for row in ids)
    assert {row.household.version for row in ids} == {7}
    # Addresses first, then households, each in file order, all after the number before.
    numbers = [row.address_change for row in ids] + [row.household_change for row in ids]
    assert numbers == sorted(set(numbers))
    assert numbers[0] > imported
    event = db.execute(
        text("SELECT change_seq FROM audit_events WHERE action = 'household.import'")
    ).scalar_one()
    assert event > numbers[-1]
    # One number per row and one for the event: none was drawn and then replaced.
    assert numbers[0] == imported + 1
    assert last_change(db) == event == imported + len(numbers) + 1
    assert isinstance(ids[0].created_at, datetime)


def test_the_feed_serves_the_imported_households(
    db: Session, imported: int, importer: Actor
) -> None:
    page = changed_households(db, importer, ["07210"], imported, limit=100)
    assert [view.address.code.canonical for view in page.items] == [
        code for code, *_ in EXPECTED_HOUSEHOLDS
    ]
