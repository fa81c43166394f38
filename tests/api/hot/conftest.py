"""Fixtures of the lean-path tests: varied addresses, and the two paths side by side."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import Client, TestResponse

from api.hot import lean_paths
from geo.code import SEQUENCE_SYMBOLS
from geo.point import Point
from tests.api.auth.conftest import redis_server
from tests.support.business import address_row, insert_addresses

__all__ = ["Paths", "handed_over", "paths", "redis_server", "varied"]

CENTER = Point(106.215, 21.2849)
UNITS = ("1205", "B-12", "7.1")


@dataclass
class Paths:
    """The app as served (lean path in front), its Flask app alone, and what went to Flask."""

    lean: FlaskClient
    full: Client
    handed_over: list[str] = field(default_factory=list)

    def both(self, url: str, **kwargs: Any) -> tuple[TestResponse, TestResponse]:
        """``url`` through the lean path (which must answer it itself), then through Flask."""
        before = len(self.handed_over)
        lean = self.lean.get(url, **kwargs)
        assert len(self.handed_over) == before, f"{url} was handed to Flask"
        return lean, self.full.get(url, **kwargs)


def handed_over(app: Flask) -> list[str]:
    """The paths of the requests ``app``'s lean path hands to Flask from now on."""
    lean = lean_paths(app)
    flask_app = lean.full
    paths: list[str] = []

    def counted(environ: Any, start_response: Any) -> Iterable[bytes]:
        paths.append(environ["PATH_INFO"])
        return flask_app(environ, start_response)

    lean.full = counted
    return paths


@pytest.fixture
def paths(app: Flask, client: FlaskClient) -> Paths:
    """The two paths of ``app``, counting the requests the lean path hands to Flask."""
    flask_app = lean_paths(app).full
    return Paths(client, Client(flask_app, TestResponse), handed_over(app))


def _varied_rows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Address rows with every shape a public view takes: units, retired ones, empty fields."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    while len(rows) < count:
        point = Point(
            lon=CENTER.lon + rng.uniform(-0.01, 0.01), lat=CENTER.lat + rng.uniform(-0.01, 0.01)
        )
        row = address_row(point, sequence=rng.choice(SEQUENCE_SYMBOLS), **_fields(rng))
        rows.setdefault((row["code"], row["unit"]), row)
        if rng.random() < 0.2:  # a building: the same code with units
            for unit in UNITS[: rng.randint(1, len(UNITS))]:
                rows.setdefault((row["code"], unit), row | {"unit": unit})
    return list(rows.values())


def _fields(rng: random.Random) -> dict[str, Any]:
    return {
        "house_number": rng.choice([None, "12", "12A", "5/7"]),
        "alley": rng.choice([[], ["ngõ 34"], ["ngõ 34", "ngách 5", "hẻm 2"]]),
        "street": rng.choice([None, "Nguyễn Văn Cừ", "Lê Lợi"]),
        "hamlet": rng.choice([None, "Tổ dân phố Đông Thành", 'Thôn "Hạ" \\ Xóm']),
        "postcode": rng.choice([None, "16000"]),
        "accuracy_m": rng.choice([None, 3.0, 4.25, 12.5]),
        "location_source": rng.choice(["gps", "map", "survey"]),
        "flag": rng.choice([None, None, "point-far-from-cell"]),
        "version": rng.randint(1, 40),
        "status": "active",
        "successor_code": None,
    }


def _retire_some(rng: random.Random, rows: list[dict[str, Any]]) -> None:
    """Retire a fifth of the rows, most with a successor (a code, or a code with its unit)."""
    for row in rng.sample(rows, len(rows) // 5):
        successor = rng.choice(rows)
        canonical = successor["code"] + (f"/{successor['unit']}" if successor["unit"] else "")
        row["status"] = "retired"
        row["successor_code"] = rng.choice([None, canonical, successor["code"]])


@pytest.fixture
def varied(db: Session) -> list[dict[str, Any]]:
    """About 150 addresses of every shape around CENTER (a few retired, a few with units)."""
    rng = random.Random(11)  # noqa: S311 -- reproducible test data
    rows = _varied_rows(rng, 120)
    _retire_some(rng, rows)
    insert_addresses(db, rows)
    return rows
