"""Helpers of the tests of sealed personal data at rest: a database of its own, a real app on it.

These tests commit, as a server does, and change the master keys: they run on a database of
their own (provisioned as a deployment has it), through apps that are not bound to a test's
transaction.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api import create_app
from registry import roles
from registry.access.users import create_user
from registry.admin_units import load_catalogue
from tests.conftest import ROLES, TEST_SETTINGS, recreate_database

CITIZEN_ID, PHONE = "001299887766", "0987654321"
PASSWORD = "correct horse battery staple"
OFFICIAL = "sealed-official"
KEY_A = base64.urlsafe_b64encode(b"master key A of the tests, 32 b!").decode()
KEY_B = base64.urlsafe_b64encode(b"master key B of the tests, 32 b!").decode()


def own_database(superuser_url: str, suffix: str) -> roles.Urls:
    """A fresh database ``<test db>_<suffix>_test``: migrated, granted, catalogued, an official."""
    name = (make_url(superuser_url).database or "registry_test").removesuffix("_test")
    url = make_url(superuser_url).set(database=f"{name}_{suffix}_test")
    superuser = url.render_as_string(hide_password=False)
    recreate_database(superuser)
    urls = roles.provision(superuser, ROLES)
    engine = create_engine(urls.owner, poolclass=pool.NullPool)
    with Session(engine) as db:
        load_catalogue(db)
        create_user(db, OFFICIAL, PASSWORD, "official", ["07210", "07228"])
        db.commit()
    engine.dispose()
    return urls


def body(head: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """A registration in Phường Bắc Giang at its own point, with the planted head by default."""
    return {
        "location": {
            "lat": 21.2849 + uuid.uuid4().int % 1000 * 1e-6,
            "lon": 106.215,
            "accuracy_m": 5,
            "source": "gps",
        },
        "address": {"commune_code": "07210", "house_number": "7", "street": "Lê Lợi"},
        "head": head or {"full_name": "Trịnh Thị Lan", "citizen_id": CITIZEN_ID, "phone": PHONE},
        "members": 3,
        "confirm_distinct": True,
        **overrides,
    }


@dataclass
class Service:
    """The app on a database of its own with some master keys, and an official's headers."""

    app: Flask
    client: FlaskClient
    headers: dict[str, str]

    @classmethod
    def start(cls, urls: roles.Urls, **settings: str) -> Service:
        """Create the app (which configures its master keys) and log the official in."""
        app = create_app(
            {
                **TEST_SETTINGS,
                "DATABASE_URL": urls.app,
                "DATABASE_OWNER_URL": urls.owner,
                **settings,
            }
        )
        client = app.test_client()
        answer = client.post("/v1/auth/token", json={"username": OFFICIAL, "password": PASSWORD})
        token = answer.get_json()
        assert answer.status_code == 200 and isinstance(token, dict), token
        headers = {"Authorization": f"Bearer {token['access_token']}", "X-Device-Id": "p1"}
        return cls(app, client, headers)

    def post(self, url: str, json: Any, **headers: str) -> Any:
        """POST ``json``; the response."""
        return self.client.post(url, json=json, headers={**self.headers, **headers})

    def get(self, url: str) -> Any:
        """GET; the response."""
        return self.client.get(url, headers=self.headers)

    def register(self, **fields: Any) -> dict[str, Any]:
        """Register a household (see :func:`body`); its body."""
        headers = fields.pop("headers", {})
        response = self.post("/v1/households", body(**fields), **headers)
        assert response.status_code == 201, response.json
        return dict(response.json)

    def cli(self, *args: str) -> Any:
        """Run ``flask <args>`` with this app's settings; the result."""
        return self.app.test_cli_runner().invoke(args=list(args))
