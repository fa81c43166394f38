"""Migration 0003: the SQL fold agrees with geo.text.fold; the search and spatial indexes."""

from __future__ import annotations

import random
import unicodedata

import pytest
from sqlalchemy import Connection, text

from geo.text import fold

VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
)
SAMPLES = [
    "Đường Lâm - Sơn Tây",
    "Tổ dân phố Đông Thành",
    "Ea H'Leo",
    "Thanh Hoá, THANH HÓA",
    "ngõ 34/5, ngách 5",
    "\uff30\uff48\u1ed1\u3000\uff28u\u1ebf\u3000\uff11\uff12",  # fullwidth "Phố Huế 12"
    unicodedata.normalize("NFD", "Nguyễn Văn Cừ, Cẩm Giàng"),  # decomposed input
    "Ð ð (eth for đ)",
    "  ",
]


def sql_fold(connection: Connection, values: list[str]) -> list[str]:
    rows = connection.execute(
        text(
            "SELECT registry_fold(v) FROM unnest(CAST(:values AS text[]))"
            " WITH ORDINALITY AS t(v, n) ORDER BY n"
        ),
        {"values": values},
    )
    return [value for (value,) in rows]


def test_sql_fold_agrees_with_python(connection: Connection) -> None:
    rng = random.Random(3)  # noqa: S311 -- reproducible test data
    letters = VIETNAMESE + VIETNAMESE.upper() + "0123456789 ,.-/'"
    values = SAMPLES + list(letters)
    values += ["".join(rng.choices(letters, k=rng.randrange(1, 30))) for _ in range(2000)]
    assert sql_fold(connection, values) == [fold(value) for value in values]


def test_address_key(connection: Connection) -> None:
    key = connection.scalar(
        text(
            "SELECT registry_address_key('12A', ARRAY['ngõ 34', 'ngách 5'], 'Nguyễn Văn Cừ', NULL)"
        )
    )
    assert key == "12a ngo 34 ngach 5 nguyen van cu"


@pytest.mark.parametrize(
    ("index", "definition"),
    [
        ("addresses_area_search_key", "USING gin (commune_code, province_code, search_key"),
        ("addresses_point_geography", "USING gist (geography(point))"),
        ("addresses_province", "(province_code)"),
    ],
)
def test_indexes_cover_active_addresses(
    connection: Connection, index: str, definition: str
) -> None:
    indexdef = connection.scalar(
        text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": index}
    )
    assert indexdef is not None and definition in indexdef
    assert indexdef.endswith("WHERE (status = 'active'::text)")


def test_functions_are_immutable(connection: Connection) -> None:
    rows = connection.execute(
        text(
            "SELECT proname, provolatile FROM pg_proc"
            " WHERE proname IN ('registry_fold', 'registry_address_key')"
        )
    )
    volatility = {str(name): str(kind) for name, kind in rows}
    assert volatility == {"registry_fold": "i", "registry_address_key": "i"}
