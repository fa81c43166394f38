"""Shared fixtures: a fresh PostGIS test database built through the Alembic migrations.

The database is real PostgreSQL with PostGIS (the embedded cluster, or TEST_DATABASE_URL).
If it cannot be set up the whole run fails: nothing here ever skips.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from api import create_app
from api.core.config import embedded_database_url
from api.core.db import use_sessions
from registry import pii, roles
from registry.access import second_factor
from registry.access.users import create_user
from registry.admin_units import load_catalogue

ROLES = roles.Roles()


def pytest_configure(config: pytest.Config) -> None:
    """Never read a developer's settings file (``make run`` writes var/registry.env)."""
    empty = Path(tempfile.mkdtemp(prefix="registry-settings-")) / "registry.env"
    empty.write_text("")
    os.environ["REGISTRY_SETTINGS"] = str(empty)


def _test_database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or embedded_database_url(
        os.environ, "registry_test", role="postgres"
    )


def recreate_database(url: str) -> None:
    """Drop and create the database named in ``url`` (connecting to its server's postgres DB).

    The new database belongs to the owner role, with the extensions and the three roles of
    ``registry.roles`` (``url`` names a superuser, as TEST_DATABASE_URL does).
    """
    parsed = make_url(url)
    name = parsed.database
    if not name or not name.endswith("_test"):
        raise RuntimeError(f"refusing to recreate {name!r}: test database names end in _test")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    fresh = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with fresh.connect() as connection:
        roles.prepare(connection, ROLES)
    fresh.dispose()


def as_role(url: str, role: str) -> str:
    """``url`` connecting as ``role`` (the test clusters trust local connections)."""
    return make_url(url).set(username=role).render_as_string(hide_password=False)


def provision(url: str) -> str:
    """A fresh database as a deployment has it: migrated by the owner, granted, catalogued.

    :returns: the URL of the app role, which the service connects as.
    """
    recreate_database(url)
    urls = roles.provision(url, ROLES)
    engine = create_engine(urls.owner)
    with Session(engine) as session:
        load_catalogue(session)
        session.commit()
    engine.dispose()
    return urls.app


@pytest.fixture(scope="session")
def superuser_url() -> str:
    """URL of the test server's superuser (TEST_DATABASE_URL), for creating databases."""
    return _test_database_url()


@pytest.fixture(scope="session")
def owner_url(database_url: str) -> str:
    """URL of the test database as the schema's owner (migrations, bulk import, DDL)."""
    return as_role(database_url, ROLES.owner)


@pytest.fixture(scope="session")
def database_url() -> str:
    """URL of a test database, created fresh for this run, as the service's app role."""
    return provision(_test_database_url())


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The engine of the test database."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def owner_engine(owner_url: str) -> Iterator[Engine]:
    """An engine of the test database as the schema's owner."""
    engine = create_engine(owner_url)
    yield engine
    engine.dispose()


@pytest.fixture
def owner_connection(owner_engine: Engine) -> Iterator[Connection]:
    """A connection as the owner, inside a transaction rolled back after the test."""
    with owner_engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def connection(request: pytest.FixtureRequest, engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test.

    As the app role, as the service connects; as the owner for tests marked ``as_owner``
    (installation commands: the catalogue, the bulk import).
    """
    if request.node.get_closest_marker("as_owner"):
        engine = request.getfixturevalue("owner_engine")
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """A session whose commits only release savepoints of the rolled-back test transaction."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    yield session
    session.close()


TEST_SETTINGS = {
    "REGISTRY_ENV": "test",
    "SECRET_KEY": "test-only-" + "x" * 32,
    # base64url of the 32 bytes b"test-only key of sealed data 32b" (registry.pii)
    "PII_KEY": "dGVzdC1vbmx5IGtleSBvZiBzZWFsZWQgZGF0YSAzMmI=",
    "PUBLIC_BASE_URL": "https://diachi.example.vn",
    "RATELIMIT_STORAGE_URI": "memory://",
}


@pytest.fixture(scope="session", autouse=True)
def pii_key() -> None:
    """Domain tests seal personal data with the test master key, as the test app does."""
    pii.configure(TEST_SETTINGS["PII_KEY"])


@pytest.fixture
def pii_keys() -> Iterator[Callable[..., pii.Keyring]]:
    """``pii.configure`` for a test that changes the master keys; the test key is back after."""
    yield pii.configure
    pii.configure(TEST_SETTINGS["PII_KEY"])


@pytest.fixture
def app_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings of the app under test, with those of an ``app_config(...)`` marker."""
    marker = request.node.get_closest_marker("app_config")
    return {**TEST_SETTINGS, **(marker.kwargs if marker else {})}


@pytest.fixture
def app(database_url: str, connection: Connection, app_settings: dict[str, Any]) -> Flask:
    """The app, its sessions bound to the test's rolled-back transaction."""
    app = create_app({"DATABASE_URL": database_url, **app_settings})
    use_sessions(app, sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner of the app."""
    return app.test_cli_runner()


class Tester:
    """Helpers that let each test state only what matters to it."""

    __test__ = False  # a helper, not a test class

    def __init__(self, db: Session, client: FlaskClient) -> None:
        self.db = db
        self.client = client

    def user(
        self,
        role: str = "official",
        communes: tuple[str, ...] = ("07210",),
        provinces: tuple[str, ...] = (),
    ) -> str:
        """Create a user and return a bearer token for them (province staff: ``provinces``)."""
        username = f"{role}-{uuid.uuid4().hex[:8]}"
        user = create_user(self.db, username, "correct horse battery", role, communes, provinces)
        credentials = {"username": username, "password": "correct horse battery"}
        if role == "admin":  # admins log in with their second factor
            secret = second_factor.enrol(self.db, user, "test").secret
            credentials["totp"] = pyotp.TOTP(secret).now()
        self.db.flush()
        response = self.client.post("/v1/auth/token", json=credentials)
        assert response.status_code == 200, response.json
        return str(response.json["access_token"])  # type: ignore[index]

    def auth(self, token: str) -> dict[str, str]:
        """Headers authenticating with ``token``."""
        return {"Authorization": f"Bearer {token}"}

    def household_body(
        self,
        *,
        commune: str = "07210",
        lat: float = 21.2849,
        lon: float = 106.215,
        house_number: str | None = "12",
        **overrides: Any,
    ) -> dict[str, Any]:
        """A valid registration body, with top-level ``overrides``."""
        body: dict[str, Any] = {
            "location": {"lat": lat, "lon": lon, "accuracy_m": 5, "source": "gps"},
            "address": {
                "commune_code": commune,
                "house_number": house_number,
                "alley": ["ngõ 34", "ngách 5"],
                "street": "Nguyễn Văn Cừ",
                "hamlet": "Tổ dân phố Đông Thành",
            },
            "head": {
                "full_name": "Nguyễn Thị Lan",
                "citizen_id": "001199012345",
                "phone": "0912345678",
            },
            "members": 4,
        }
        body.update(overrides)
        return body

    def add_household(self, token: str | None = None, **fields: Any) -> dict[str, Any]:
        """Register a household through the API and return the response body."""
        token = token or self.user()
        response = self.client.post(
            "/v1/households", json=self.household_body(**fields), headers=self.auth(token)
        )
        assert response.status_code == 201, response.json
        return dict(response.json)  # type: ignore[arg-type]


@pytest.fixture
def tester(db: Session, client: FlaskClient) -> Tester:
    """A :class:`Tester` on the test's session and client."""
    return Tester(db, client)
