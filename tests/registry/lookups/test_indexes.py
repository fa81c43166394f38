"""Migrations 0003 and 0007: the SQL fold agrees with geo.text.fold; the search and spatial
indexes."""

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


@pytest.mark.parametrize(
    ("index", "definition"),
    [
        ("addresses_commune_street", "USING btree (commune_code, street)"),
        ("addresses_commune_hamlet", "USING btree (commune_code, hamlet)"),
        ("addresses_commune_house", "USING btree (commune_code, lower(house_number))"),
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


def test_the_fold_is_immutable(connection: Connection) -> None:
    volatility = connection.scalar(
        text("SELECT provolatile FROM pg_proc WHERE proname = 'registry_fold'")
    )
    assert volatility == "i"


def test_no_stored_search_key(connection: Connection) -> None:
    """0007: the names table replaced the per-address key and its function."""
    columns = connection.scalars(
        text("SELECT column_name FROM information_schema.columns WHERE table_name = 'addresses'")
    ).all()
    assert "search_key" not in columns
    assert (
        connection.scalar(
            text("SELECT count(*) FROM pg_proc WHERE proname = 'registry_address_key'")
        )
        == 0
    )
