"""Fixtures of the open-data tests: committed addresses in Lai Châu, and a live pygeoapi.

The open-data server reads as the read-only role on its own connections, so the addresses it
serves are committed for real (through the registry's own registration, correction and
retirement), in two communes of Lai Châu (province 12) that no other test uses, and deleted
again, as the schema's owner, when the package's tests are done. One household carries
distinctive personal data, which no open-data answer or file may contain.

pygeoapi runs as ``make run`` runs it (``scripts/opendata.sh``), on a free port of
55100-55149, against the test database as the read role; its watcher stops it if pytest dies.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from geo.point import Point
from registry.access.actors import Actor
from registry.access.users import create_user
from registry.corrections import Correction, correct_address, retire_address
from registry.dwellings import Location, Rules, StructuredAddress
from registry.households import Head, Registration, register_household
from registry.lifecycle import dissolve_household
from registry.versions import Precondition
from tests.conftest import ROLES, TEST_SETTINGS, as_role
from tests.support.live import delete_commune

ROOT = Path(__file__).resolve().parents[2]
PROVINCE = "12"  # Tỉnh Lai Châu
COMMUNE = "03390"  # Xã Bình Lư: most of the planted addresses
OTHER_COMMUNE = "03405"  # Xã Tả Lèng
EMPTY_PROVINCE = "11"  # Tỉnh Điện Biên: no address is ever planted there
PORTS = range(55100, 55150)
#: The planted personal data: none of it may appear in any open-data answer or file.
HEAD = Head("Lò Thị Zentrixa Bích", citizen_id="038190076543", phone="0912000777")
SECRETS = (HEAD.full_name, "Zentrixa", "038190076543", "0912000777")


@dataclass
class Planted:
    """What the fixture committed: codes per commune, the changed ones, the household id."""

    codes: dict[str, list[str]] = field(default_factory=dict)
    #: The time after the first registrations; the corrected addresses changed after it.
    changed_after: datetime = field(default_factory=lambda: datetime.now(UTC))
    corrected: list[str] = field(default_factory=list)
    retired: str = ""
    unit_id: str = ""
    household_id: str = ""
    #: (west, south, east, north) around the first addresses of the row, and their ids.
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


def _point(commune: str, n: int) -> Point:
    """Points about 30 m apart on a grid of 10 columns near the commune's reference point."""
    lon, lat = (103.678, 22.3532) if commune == COMMUNE else (103.558, 22.4009)
    return Point(round(lon + (n % 10) * 0.0003, 6), round(lat + (n // 10) * 0.0003, 6))


def _register(db: Session, actor: Actor, commune: str, n: int, head: Head | None = None) -> Any:
    registration = Registration(
        location=Location(_point(commune, n), accuracy_m=4.0),
        address=StructuredAddress(
            commune_code=commune,
            house_number=str(n + 1),
            alley=("ngõ 3",) if n % 4 == 0 else (),
            street="Đường Bình Lư",
            hamlet="Bản Nà Ít",
        ),
        head=head or Head("Lường Văn Minh"),
        members=3,
    )
    return register_household(db, actor, registration, Rules())


@pytest.fixture(scope="package")
def read_url(database_url: str) -> str:
    """The test database as the read-only role (what the open-data server connects as)."""
    return as_role(database_url, ROLES.read)


@pytest.fixture(scope="package")
def planted(database_url: str, owner_engine: Engine) -> Iterator[Planted]:
    """23 addresses in :data:`COMMUNE` (one of them the unit of a building, one retired, three
    corrected later) and 6 in :data:`OTHER_COMMUNE`, committed; deleted afterwards."""
    engine = create_engine(database_url)
    planted = Planted()
    try:
        with Session(engine) as db:
            user = create_user(
                db,
                f"opendata-{uuid.uuid4().hex[:8]}",
                "correct horse battery",
                "official",
                [COMMUNE, OTHER_COMMUNE],
            )
            actor = Actor(user.id, user.username, user.role, frozenset([COMMUNE, OTHER_COMMUNE]))
            views = [_register(db, actor, COMMUNE, n) for n in range(22)]
            secret = _register(db, actor, COMMUNE, 22, HEAD)
            planted.household_id = str(secret.id)
            others = [_register(db, actor, OTHER_COMMUNE, n) for n in range(6)]
            building = views[5].address.code
            unit = Registration(
                location=Location(_point(COMMUNE, 5), accuracy_m=4.0),
                address=StructuredAddress(
                    commune_code=COMMUNE, house_number="6", unit="12A", building_code=building
                ),
                head=Head("Lường Thị Hoa"),
                members=2,
                confirm_distinct=True,  # a flat of the building: the same house number
            )
            unit_view = register_household(db, actor, unit, Rules())
            planted.unit_id = unit_view.address.code.canonical
            db.commit()
            time.sleep(0.05)
            planted.changed_after = datetime.now(UTC)
            time.sleep(0.05)
            for view in views[10:13]:
                correct_address(
                    db,
                    actor,
                    view.address.code,
                    Correction(fields={"street": "Đường Tả Lèng"}),
                    Precondition.forced(),
                )
                planted.corrected.append(view.address.code.canonical)
            gone = views[20]
            dissolve_household(db, actor, gone.id, Precondition.forced())
            retire_address(
                db, actor, gone.address.code, views[19].address.code, Precondition.forced()
            )
            planted.corrected.append(gone.address.code.canonical)
            planted.retired = gone.address.code.canonical
            db.commit()
        planted.codes = {
            COMMUNE: [
                *(v.address.code.canonical for v in views),
                secret.address.code.canonical,
                planted.unit_id,
            ],
            OTHER_COMMUNE: [v.address.code.canonical for v in others],
        }
        first, last = _point(COMMUNE, 0), _point(COMMUNE, 2)
        planted.bbox = (first.lon - 1e-5, first.lat - 1e-5, last.lon + 1e-5, last.lat + 1e-5)
        yield planted
    finally:
        for commune in (COMMUNE, OTHER_COMMUNE):
            delete_commune(owner_engine, commune)
        engine.dispose()


def database_ids(owner_engine: Engine, where: str, **values: Any) -> set[str]:
    """The ids of ``open_addresses`` rows matching ``where``: what the answers must hold."""
    with owner_engine.connect() as connection:
        rows = connection.execute(text(f"SELECT id FROM open_addresses WHERE {where}"), values)  # noqa: S608 -- the tests' own conditions
        return {row.id for row in rows}


def _free_port() -> int:
    """A port of 55100-55149 that can be bound now (the range is also one of ephemeral ports:
    a client connection may hold one without listening on it)."""
    for port in PORTS:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 55100-55149")


@dataclass(frozen=True)
class Server:
    """A running open-data server: its base URL and where its files are."""

    url: str
    state: Path
    env: dict[str, str]

    def get(self, path: str, accept: str = "application/json") -> tuple[int, str, bytes]:
        """Status, content type and body of GET ``path`` (errors too)."""
        request = urllib.request.Request(self.url + path, headers={"Accept": accept})  # noqa: S310 -- our server's http URL
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- our server
                return response.status, response.headers["Content-Type"], response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers["Content-Type"], error.read()

    def json(self, path: str) -> Any:
        """The JSON body of GET ``path`` (which must answer 200)."""
        status, _, body = self.get(path)
        assert status == 200, body[:500]
        return json.loads(body)


def server_environment(database_url: str, read_url: str, state: Path, port: int) -> dict[str, str]:
    """What `flask opendata config` (run by scripts/opendata.sh) reads: the test database."""
    settings = state / "registry.env"
    settings.write_text("")
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "REGISTRY_SETTINGS": str(settings),
        "REGISTRY_ENV": "test",
        "SECRET_KEY": TEST_SETTINGS["SECRET_KEY"],
        "PII_KEY": TEST_SETTINGS["PII_KEY"],
        "DATABASE_URL": database_url,
        "DATABASE_OWNER_URL": as_role(database_url, ROLES.owner),
        "DATABASE_READ_URL": read_url,
        "OPENDATA_PORT": str(port),
        "OPENDATA_STATE_DIR": str(state),
    }


def opendata_script(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``scripts/opendata.sh`` with ``args``."""
    return subprocess.run(  # noqa: S603 -- the project's own script
        ["/bin/bash", str(ROOT / "scripts" / "opendata.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="package")
def server(
    database_url: str, read_url: str, planted: Planted, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """pygeoapi on the test database, started and stopped as ``make run`` does it."""
    state = tmp_path_factory.mktemp("opendata")
    port = _free_port()
    env = server_environment(database_url, read_url, state, port)
    started = opendata_script(env, "start", str(os.getpid()))
    log = (state / "opendata.log").read_text() if (state / "opendata.log").exists() else ""
    assert started.returncode == 0, started.stderr + log
    assert started.stdout.strip() == f"open data: http://127.0.0.1:{port}/"
    try:
        yield Server(f"http://127.0.0.1:{port}", state, env)
    finally:
        opendata_script(env, "stop")
