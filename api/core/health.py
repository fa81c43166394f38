"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from api.core.db import session
from api.core.problems import problem

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz() -> Response:
    """The process is up."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz() -> Response:
    """The database answers; 503 otherwise."""
    try:
        session().execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not ready"
        return problem(503, "the registry database is unavailable", headers={"Retry-After": "5"})
    return jsonify(status="ready")
