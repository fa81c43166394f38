"""Liveness and readiness probes.

``/readyz`` is 200 while the primary answers, and reports the read replica beside it: a
replica that is down or behind takes nothing out of service (public reads then go to the
primary, ``api.core.replicas``), so it never makes the service unready. Without the primary
it is 503 (a problem, with ``Retry-After``), the replica's state still in the body.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from api.core import replicas
from api.core.db import session
from api.core.problems import problem

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz() -> Response:
    """The process is up."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz() -> Response:
    """The primary answers (503 otherwise); the replica's state and lag (null: none)."""
    replica = replicas.report(current_app)
    try:
        session().execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not ready"
        return problem(
            503,
            "the registry database is unavailable",
            headers={"Retry-After": "5"},
            primary={"state": "down"},
            replica=replica,
        )
    return jsonify(status="ready", primary={"state": "up"}, replica=replica)
