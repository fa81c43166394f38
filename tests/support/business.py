"""Fixtures of the business API tests: API keys, and addresses inserted in bulk."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from geoalchemy2 import WKTElement
from sqlalchemy import ClauseElement, insert
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from geo.code import SEQUENCE_SYMBOLS, AddressCode
from geo.point import Point
from registry.access.api_clients import create_client
from registry.models import Address


@pytest.fixture
def api_key(db: Session) -> str:
    """A fresh API key with a generous limit (a batch spends one unit per item)."""
    _, key = create_client(db, "Test shop", "100000/minute")
    db.flush()
    return key


@pytest.fixture
def keyed(api_key: str) -> dict[str, str]:
    """Headers authenticating with :func:`api_key`."""
    return {"X-API-Key": api_key}


def address_row(
    point: Point,
    *,
    commune: str = "07210",
    province: str = "24",
    sequence: str = "2",
    **fields: Any,
) -> dict[str, Any]:
    """An ``addresses`` row at ``point`` (code from its cell and ``sequence``)."""
    code = AddressCode.encode(point, sequence)
    return {
        "code": code.symbols,
        "unit": "",
        "point": WKTElement(point.wkt(), srid=4326),
        "location_source": "gps",
        "commune_code": commune,
        "province_code": province,
        "alley": [],
        **fields,
    }


def street_address(point: Point, house_number: str = "12", **fields: Any) -> dict[str, Any]:
    """The address of ``tester.household_body()`` (Nguyễn Văn Cừ, Phường Bắc Giang) at ``point``."""
    return address_row(
        point,
        house_number=house_number,
        alley=["ngõ 34", "ngách 5"],
        street="Nguyễn Văn Cừ",
        hamlet="Tổ dân phố Đông Thành",
        **fields,
    )


def insert_addresses(db: Session, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert address rows directly (fast; bypasses registration, for bulk fixtures)."""
    rows = list(rows)
    if rows:
        db.execute(insert(Address), rows)
        db.flush()


def scatter(
    rng: random.Random, center: Point, count: int, spread_deg: float, **fields: Any
) -> list[dict[str, Any]]:
    """``count`` address rows at random points around ``center``, each with its own code."""
    rows: dict[str, dict[str, Any]] = {}
    while len(rows) < count:
        point = Point(
            lon=center.lon + rng.uniform(-spread_deg, spread_deg),
            lat=center.lat + rng.uniform(-spread_deg, spread_deg),
        )
        row = address_row(point, sequence=rng.choice(SEQUENCE_SYMBOLS), **fields)
        rows.setdefault(row["code"], row)
    return list(rows.values())


def body(response: TestResponse) -> Any:
    """The JSON body of a response; the test fails when there is none."""
    data = response.json
    assert data is not None, response.get_data(as_text=True)
    return data


def explain(db: Session, statement: ClauseElement) -> str:
    """The JSON plan PostgreSQL chooses for ``statement`` (with its parameters), as text."""
    connection = db.connection()
    compiled = statement.compile(dialect=connection.dialect)
    plan = connection.exec_driver_sql(
        "EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params
    ).scalar_one()
    return json.dumps(plan)


def scans_of(plan: str, relation: str) -> set[str]:
    """The node types that read ``relation`` in a JSON plan (e.g. {"Bitmap Heap Scan"})."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("Relation Name") == relation:
                found.add(str(node.get("Node Type")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(plan))
    return found
