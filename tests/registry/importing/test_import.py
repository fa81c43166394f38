"""Bulk import in the domain: minting, duplicates, modes, dry run, formats, audit."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from geo.code import AddressCode
from geo.point import Point
from registry import pii
from registry.access.actors import Actor
from registry.dwellings import Location, Rules, StructuredAddress
from registry.households import Head, Registration, register_household
from registry.importing.pipeline import report_path, write_report
from registry.models import Address, AuditEvent, CellSequence, Household
from tests.support.importing import LAT, LON, METRE_LAT, Run, Write, household, spread

#: A bulk import drops and rebuilds indexes: it runs as the schema's owner.
pytestmark = pytest.mark.as_owner


def codes(db: Session) -> list[str]:
    """Codes of the imported addresses, in id order."""
    return list(db.scalars(select(Address.code).order_by(Address.id)))


def test_imports_rows_with_codes_from_the_cell_sequence(
    db: Session, write: Write, run: Run
) -> None:
    # Two dwellings in one cell, a third elsewhere.
    rows = [
        household(house_number="1"),
        household(house_number="2", lat=LAT + METRE_LAT),
        household(house_number="3", lat=LAT + 40 * METRE_LAT),
    ]
    result = run(write(rows))
    db.flush()
    assert (result.rows, result.imported, result.errors, result.written) == (3, 3, [], True)
    here = Point(LON, LAT)
    assert codes(db)[:2] == [
        AddressCode.encode(here, "2").symbols,
        AddressCode.encode(here, "3").symbols,
    ]
    assert codes(db)[2] == AddressCode.encode(Point(LON, LAT + 40 * METRE_LAT), "2").symbols
    cell = AddressCode.encode(here, "2").cell
    assert db.scalar(select(CellSequence.issued).where(CellSequence.cell == cell)) == 2
    address = db.scalars(select(Address).order_by(Address.id)).first()
    assert address is not None
    assert (address.alley, address.street, address.province_code) == (
        ["ngõ 34", "ngách 5"],
        "Nguyễn Văn Cừ",
        "24",
    )
    heads = db.scalars(select(Household.head_name)).all()
    assert heads == ["Nguyễn Thị Lan"] * 3


def test_minting_continues_the_counters_of_the_api(
    db: Session, write: Write, run: Run, importer: Actor
) -> None:
    registration = Registration(
        location=Location(Point(LON, LAT), accuracy_m=5.0),
        address=StructuredAddress(commune_code="07210", house_number="99"),
        head=Head("Trần Văn Minh"),
        members=2,
    )
    register_household(db, importer, registration, Rules())
    run(write([household(house_number="1")]))
    db.flush()
    assert codes(db)[-1] == AddressCode.encode(Point(LON, LAT), "3").symbols


def test_a_full_cell_refuses_the_21st_dwelling(db: Session, write: Write, run: Run) -> None:
    rows = [household(house_number=str(n)) for n in range(1, 22)]
    nothing = run(write(rows))
    assert not nothing.written
    assert [(e.row, e.kind) for e in nothing.errors] == [(22, "cell-full")]
    assert db.scalar(select(func.count()).select_from(Address)) == 0
    skipped = run(write(rows), mode="skip-bad-rows")
    assert (skipped.imported, skipped.written) == (20, True)
    db.flush()
    assert sorted(code[10] for code in codes(db)) == sorted("23456789CFGHJMPQRVWX")


def test_duplicates_in_the_file_are_flagged(write: Write, run: Run) -> None:
    rows = [household(house_number="7"), household(house_number="7", lat=LAT + METRE_LAT)]
    result = run(write(rows), mode="skip-bad-rows")
    assert result.imported == 1
    (error,) = result.errors
    assert (error.row, error.field, error.kind) == (3, "house_number", "possible-duplicate")
    assert "row 2" in error.reason


def test_confirm_distinct_lets_a_near_twin_in(write: Write, run: Run) -> None:
    rows = [
        household(house_number="7"),
        household(house_number="7", lat=LAT + METRE_LAT, confirm_distinct="yes"),
    ]
    assert run(write(rows)).imported == 2


def test_duplicates_of_registered_addresses_are_flagged(
    db: Session, write: Write, run: Run, importer: Actor
) -> None:
    registration = Registration(
        location=Location(Point(LON, LAT), accuracy_m=5.0),
        address=StructuredAddress(commune_code="07210", house_number="7"),
        head=Head("Trần Văn Minh"),
        members=2,
    )
    existing = register_household(db, importer, registration, Rules())
    result = run(write([household(house_number=" 7 ", lat=LAT + METRE_LAT)]))
    assert not result.written
    (error,) = result.errors
    assert error.kind == "possible-duplicate"
    assert existing.address.code.canonical in error.reason


def test_same_house_number_farther_away_is_not_a_duplicate(write: Write, run: Run) -> None:
    rows = [household(house_number="7"), household(house_number="7", lat=LAT + 5 * METRE_LAT)]
    assert run(write(rows)).imported == 2


def test_all_or_nothing_writes_nothing_after_one_bad_row(
    db: Session, write: Write, run: Run
) -> None:
    rows = [*spread(3), household(members=0)]
    result = run(write(rows))
    assert (result.written, result.rejected_rows) == (False, 1)
    assert db.scalar(select(func.count()).select_from(Household)) == 0


def test_dry_run_checks_everything_and_writes_nothing(db: Session, write: Write, run: Run) -> None:
    result = run(write([*spread(2), household(head_name="")]), dry_run=True, mode="skip-bad-rows")
    assert (result.written, result.imported, result.rejected_rows) == (False, 2, 1)
    assert db.scalar(select(func.count()).select_from(Address)) == 0
    assert db.scalar(select(func.count()).select_from(CellSequence)) == 0


def test_household_ids_from_the_file_are_kept_and_checked(
    write: Write, run: Run, db: Session
) -> None:
    given = uuid.uuid4()
    rows = [
        household(id=str(given)),
        household(id=str(given), lat=LAT + 40 * METRE_LAT),
        household(id="not-a-uuid", lat=LAT + 80 * METRE_LAT),
    ]
    result = run(write(rows), mode="skip-bad-rows")
    assert [(e.row, e.field, e.kind) for e in result.errors] == [
        (3, "id", "conflict"),
        (4, "id", "validation-error"),
    ]
    db.flush()
    assert db.get(Household, given) is not None
    again = run(write([household(id=str(given), lat=LAT + 120 * METRE_LAT)]))
    assert [e.reason for e in again.errors] == [f"household {given} is already registered"]


def test_generated_household_ids_are_uuids_in_row_order(
    db: Session, write: Write, run: Run
) -> None:
    run(write(spread(5)))
    db.flush()
    ids = list(db.scalars(select(Household.id).join(Address).order_by(Address.id)))
    assert ids == sorted(ids)
    assert {value.version for value in ids} == {7}


def test_one_audit_event_sums_up_the_import(
    db: Session, write: Write, run: Run, importer: Actor
) -> None:
    path = write(spread(4))
    result = run(path)
    db.flush()
    (event,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "household.import")).all()
    assert (event.entity_type, event.entity_id, event.actor) == (
        "import",
        str(result.import_id),
        importer.username,
    )
    assert event.commune_code == "07210"
    assert event.after is not None
    assert (event.after["file"], event.after["imported"], event.after["communes"]) == (
        path.name,
        4,
        {"07210": 4},
    )


@pytest.mark.parametrize("name", ["households.geojson", "households.xlsx"])
def test_geojson_and_excel_files(db: Session, write: Write, run: Run, name: str) -> None:
    result = run(write(spread(3), name=name))
    assert (result.imported, result.errors) == (3, [])
    db.flush()
    assert db.scalar(select(func.count()).select_from(Household)) == 3


def test_excel_numbers_keep_their_leading_zeros(db: Session, write: Write, run: Run) -> None:
    row = household(commune_code=7210, citizen_id=1199012345, phone="0912345678")
    result = run(write([row], name="households.xlsx"))
    assert result.errors == []
    db.flush()
    sealed = db.scalar(select(Household.citizen_id))
    assert sealed is not None and pii.unseal(db, sealed, field="citizen_id") == "001199012345"


def test_imported_citizen_ids_and_phones_are_sealed_and_indexed(
    db: Session, write: Write, run: Run
) -> None:
    rows = spread(3, citizen_id="001299887766", phone="0987654321")
    rows[2].update(citizen_id=None, phone=None)
    assert run(write(rows)).imported == 3
    db.flush()
    stored = db.execute(
        select(Household.citizen_id, Household.phone, Household.citizen_id_index).order_by(
            Household.citizen_id_index.nulls_last()
        )
    ).all()
    assert [(row.citizen_id is None, row.phone is None) for row in stored] == [
        (False, False),
        (False, False),
        (True, True),
    ]
    for row in stored[:2]:
        assert pii.is_sealed(row.citizen_id) and pii.is_sealed(row.phone)
        assert "001299887766" not in row.citizen_id and "0987654321" not in row.phone
        assert pii.unseal(db, row.citizen_id, field="citizen_id") == "001299887766"
        assert pii.unseal(db, row.phone, field="phone") == "0987654321"
        assert row.citizen_id_index == pii.blind_index("001299887766", "citizen_id")
    assert stored[0].citizen_id != stored[1].citizen_id  # a fresh nonce per value
    assert stored[2].citizen_id_index is None


def test_vietnamese_headers(write: Write, run: Run) -> None:
    header = ["Vĩ độ", "Kinh độ", "Mã xã", "Số nhà", "Chủ hộ", "Số nhân khẩu"]
    rows = [
        {
            "Vĩ độ": LAT,
            "Kinh độ": LON,
            "Mã xã": "07210",
            "Số nhà": "5",
            "Chủ hộ": "Lê Văn Tám",
            "Số nhân khẩu": 3,
        }
    ]
    assert run(write(rows, header=header)).imported == 1


def test_commune_option_fills_and_restricts(write: Write, run: Run) -> None:
    rows = [household(commune_code=""), household(commune_code="07213", lat=LAT + 40 * METRE_LAT)]
    result = run(write(rows), commune="07210", mode="skip-bad-rows")
    assert result.imported == 1
    assert [(e.row, e.kind) for e in result.errors] == [(3, "forbidden")]


def test_a_missing_required_column_refuses_the_file(write: Write, run: Run) -> None:
    from registry.errors import InvalidInput

    with pytest.raises(InvalidInput, match="head_name"):
        run(write([{"lat": LAT, "lon": LON, "commune_code": "07210", "members": 2}]))


def test_rebuilding_indexes_keeps_the_schema(db: Session, write: Write, run: Run) -> None:
    query = text("SELECT count(*) FROM pg_indexes WHERE tablename IN ('addresses', 'households')")
    keys = text("SELECT count(*) FROM pg_constraint WHERE contype = 'f'")
    before = (db.scalar(query), db.scalar(keys))
    result = run(write(spread(3)), indexes="rebuild")
    assert (result.index_strategy, result.imported) == ("rebuild", 3)
    assert (db.scalar(query), db.scalar(keys)) == before


def test_the_report_goes_next_to_the_file(write: Write, run: Run) -> None:
    path = write([household(members="many")])
    result = run(path)
    report = write_report(path, result.errors)
    assert report == report_path(path) == Path(f"{path}.errors.csv")
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    assert lines == ["row,field,kind,reason", "2,members,validation-error,Not a valid integer."]
    assert write_report(path, []) is None
    assert not report.exists()
