"""The bench's search queries: written from known addresses in four forms, and judged by recall.

The forms are checked as text, and read back with the registry's own address reader: each
query must name the house number it was written from, and the commune, when it names one.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy.orm import Session

from bench import searches
from bench.load import WrongAnswer
from registry.address_text import gazetteer, read_address

STREET = searches.Known(
    code="7PH875FV6R2W",
    house_number="12",
    alley=("ngõ 16", "ngách 3"),
    street="Nguyễn Văn Cừ",
    hamlet="Thôn Đông",
    commune_code="07210",
    commune_name="Phường Bắc Giang",
    commune_type="Phường",
)
VILLAGE = searches.Known(
    code="7PH875FV6R3R",
    house_number="5",
    alley=(),
    street=None,
    hamlet="Tổ dân phố 3",
    commune_code="07735",
    commune_name="Xã Đồng Việt",
    commune_type="Xã",
)
#: A street whose words are all too short for a typo (the typo form skips it).
SHORT = searches.Known(
    code="7PH72VH3CM2Q",
    house_number="7",
    alley=(),
    street="Lê Lợi",
    hamlet="Xóm Mới",
    commune_code="07210",
    commune_name="Phường Bắc Giang",
    commune_type="Phường",
)


def test_unaccented_folds_every_vietnamese_mark() -> None:
    assert searches.unaccented("Số 12 Đường Nguyễn Đăng Đạo, Xã Đồng Việt") == (
        "So 12 Duong Nguyen Dang Dao, Xa Dong Viet"
    )


def test_a_typo_drops_or_swaps_one_inner_letter_of_the_longest_name_word() -> None:
    rng = random.Random(1)  # noqa: S311  # test data
    for _ in range(50):
        typed = searches.with_typo("Nguyễn Văn Cừ", rng)
        assert typed is not None
        word, rest = typed.split(" ", 1)
        assert rest == "Văn Cừ"
        assert word != "Nguyễn"
        assert (word[0], word[-1]) == ("N", "n")
        dropped, swapped = len(word) == 5, sorted(word) == sorted("Nguyễn")
        assert dropped or swapped
    assert searches.with_typo("Thôn Đình Bảng", rng) not in {None, "Thôn Đình Bảng"}
    for too_short in ("Lê Lợi", "Tổ dân phố 1", "Xóm Mới", "Thôn Hạ"):
        assert searches.with_typo(too_short, rng) is None


def test_the_four_forms_of_a_street_address() -> None:
    written = searches.queries([STREET] * 8, 8)
    assert [q.variant for q in written] == list(searches.VARIANTS) * 2
    accented, unaccented, typo, abbreviated = written[:4]
    assert (accented.q, accented.commune) == ("12 Nguyễn Văn Cừ", "07210")
    assert (unaccented.q, unaccented.commune) == ("12 Nguyen Van Cu", "07210")
    assert typo.commune == "07210" and typo.q.startswith("12 ") and typo.q.endswith(" Văn Cừ")
    assert (abbreviated.q, abbreviated.commune) == ("12 Đ. Nguyễn Văn Cừ, P. Bắc Giang", None)
    named = written[4:]
    assert named[0].q == "Số 12, ngõ 16, ngách 3, Nguyễn Văn Cừ, Phường Bắc Giang"
    assert named[1].q == "12 Nguyen Van Cu, Phuong Bac Giang"
    assert named[2].q.endswith(" Văn Cừ, Phường Bắc Giang")
    assert all(q.commune is None for q in named)
    assert {q.code for q in written} == {STREET.code}


def test_a_village_address_is_written_with_its_hamlet() -> None:
    written = searches.queries([VILLAGE] * 4, 4)
    assert [(q.q, q.commune) for q in written] == [
        ("5 Tổ dân phố 3", "07735"),
        ("5 To dan pho 3", "07735"),
        # no word of "Tổ dân phố 3" takes a typo: the form is skipped
        ("5 TDP 3, X. Đồng Việt", None),
        ("Số 5, Tổ dân phố 3, Xã Đồng Việt", None),
    ]


def test_an_address_a_form_cannot_take_waits_for_the_next_form() -> None:
    written = searches.queries([SHORT, STREET, SHORT, STREET], 4)
    assert [(q.variant, q.code) for q in written] == [
        ("accented", SHORT.code),
        ("unaccented", STREET.code),
        ("typo", STREET.code),  # "Lê Lợi" takes no typo: the next address does
        ("abbreviated", SHORT.code),  # the address the typo skipped
    ]
    forms = [q.variant for q in searches.queries([SHORT] * 6, 10)]
    assert forms == ["accented", "unaccented", "abbreviated"] * 2


@pytest.mark.parametrize(
    ("found", "expected"),
    [([True] * 19 + [False], 0.95), ([False, False], 0.0), ([], None)],
)
def test_recall_is_the_share_found(found: list[bool], expected: float | None) -> None:
    assert searches.recall(found) == expected


def test_found_means_in_the_top_five() -> None:
    codes = ["A", "B", "C", "D", "E", "F"]
    assert searches.in_top(codes, "E")
    assert not searches.in_top(codes, "F")
    assert not searches.in_top([], "A")


@pytest.mark.parametrize(
    ("value", "smoke", "fails"),
    [
        (1.0, False, False),
        (0.95, False, False),
        (0.94, False, True),
        (0.6, True, False),
        (0.5, True, False),
        (0.45, True, True),
        (0.0, True, True),
        (None, False, False),  # search not measured (no API key): nothing to judge
    ],
)
def test_a_full_run_fails_below_the_goal_a_smoke_run_below_its_floor(
    value: float | None, smoke: bool, fails: bool
) -> None:
    if fails:
        with pytest.raises(WrongAnswer, match="top 5"):
            searches.judge_recall(value, smoke=smoke)
    else:
        searches.judge_recall(value, smoke=smoke)
    assert searches.recall_floor(smoke=smoke) == (0.5 if smoke else 0.95)


def test_the_registry_reads_every_form_back(db: Session) -> None:
    places = gazetteer(db)
    for query in searches.queries([STREET, VILLAGE] * 8, 16):
        read = read_address(query.q, places)
        known = STREET if query.code == STREET.code else VILLAGE
        assert read.house_number == known.house_number, query
        if query.commune is None:
            assert read.commune is not None, query
            assert known.commune_code in read.commune.codes(), query
