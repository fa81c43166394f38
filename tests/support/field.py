"""Helpers for the field-sync tests: officials, households and requests with versions."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from registry.models import Address, AuditEvent, Household
from tests.conftest import Tester


class Field:
    """An official in the field: their token, device, and helpers for their requests."""

    __test__ = False

    def __init__(self, tester: Tester, token: str, device: str = "phone-1") -> None:
        self.tester = tester
        self.client: FlaskClient = tester.client
        self.token = token
        self.device = device

    def headers(self, **extra: str) -> dict[str, str]:
        """Bearer token, device id and ``extra`` headers (``If_Match`` -> ``If-Match``)."""
        headers = {"Authorization": f"Bearer {self.token}", "X-Device-Id": self.device}
        headers.update({name.replace("_", "-"): value for name, value in extra.items()})
        return headers

    def register(self, **fields: Any) -> dict[str, Any]:
        """Register a household (tester defaults) and return its body."""
        return self.tester.add_household(self.token, **fields)

    def get(self, url: str, **headers: str) -> TestResponse:
        return self.client.get(url, headers=self.headers(**headers))

    def post(self, url: str, body: Any = None, **headers: str) -> TestResponse:
        return self.client.post(url, json=body, headers=self.headers(**headers))

    def patch(self, url: str, body: Any, **headers: str) -> TestResponse:
        return self.client.patch(url, json=body, headers=self.headers(**headers))

    def delete(self, url: str, **headers: str) -> TestResponse:
        return self.client.delete(url, headers=self.headers(**headers))

    def sync(self, *operations: dict[str, Any], **headers: str) -> TestResponse:
        return self.post("/v1/sync", {"operations": list(operations)}, **headers)


@pytest.fixture
def official(tester: Tester) -> Field:
    """An official of commune 07210 (Phường Bắc Giang)."""
    return Field(tester, tester.user(communes=("07210",)))


@pytest.fixture
def colleague(tester: Tester) -> Field:
    """A second official of 07210, on another phone."""
    return Field(tester, tester.user(communes=("07210",)), device="phone-2")


@pytest.fixture
def outsider(tester: Tester) -> Field:
    """An official of another commune (07228, Phường Đa Mai) only."""
    return Field(tester, tester.user(communes=("07228",)), device="phone-x")


@pytest.fixture
def admin(tester: Tester) -> Field:
    """An administrator (every commune)."""
    return Field(tester, tester.user(role="admin", communes=()), device="desk")


def counts(db: Session) -> tuple[int, int, int]:
    """Rows in addresses, households and audit events."""
    return (
        db.scalar(select(func.count()).select_from(Address)) or 0,
        db.scalar(select(func.count()).select_from(Household)) or 0,
        db.scalar(select(func.count()).select_from(AuditEvent)) or 0,
    )


def json_of(response: TestResponse) -> dict[str, Any]:
    """The JSON body of a response (fails the test if there is none)."""
    body = response.get_json()
    assert isinstance(body, dict), response.get_data(as_text=True)
    return body
