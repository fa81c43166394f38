"""The registry's HTTP API: the Flask application factory."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request
from flask_smorest import Api

from api import cli, dashboard, field, hot, scan, v1
from api.auth import current_actor
from api.core import (
    bounds,
    config,
    db,
    docs,
    headers,
    health,
    idempotency,
    limits,
    problems,
    reads,
    replicas,
    strict_json,
)
from api.core.fields import register_code_converter
from api.core.problems import ProblemSchema
from registry import pii

__all__ = ["create_app", "create_app_or_exit"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class RegistryApi(Api):  # type: ignore[misc]  # flask-smorest's Api is untyped
    """flask-smorest's Api answering errors as RFC 9457 problems."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: Any) -> Response:
        """Werkzeug/webargs errors as problem+json."""
        return problems.handle_http_exception(error)

    def _register_responses(self) -> None:
        """The default and per-status error responses of the document, as problem+json."""
        docs.register_problem_responses(
            self.spec, self.ERROR_SCHEMA, self.DEFAULT_ERROR_RESPONSE_NAME
        )


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment, with ``overrides`` (tests) applied on top."""
    app = Flask(__name__)
    app.config.update(config.load(overrides))
    app.config.update(docs.api_settings())
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # DefaultJSONProvider
    if app.config["PII_KEY"]:  # sealed personal data; production refuses to start without it
        pii.configure(app.config["PII_KEY"], app.config["PII_PREVIOUS_KEYS"])
    db.init_app(app)
    replicas.init_app(app)  # public reads on a hot standby, when DATABASE_REPLICA_URL names one
    bounds.init_app(app)  # the first before_request hook: no over-long header or query after it
    limits.init_app(app)
    api = RegistryApi(app)
    register_code_converter(app, api)  # <code:...> in URLs, before any blueprint
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "POST /v1/auth/token"}
    )
    v1.init_app(app, api)
    api.register_blueprint(scan.blp)
    idempotency.init_app(
        app,
        owner=lambda: str(current_actor().user_id),
        on_replay=lambda reply: reads.record_replayed(current_actor(), reply.body),
    )
    app.register_blueprint(field.blp)
    app.register_blueprint(dashboard.blp)
    app.register_blueprint(health.blp)
    app.register_blueprint(docs.blp)
    problems.init_app(app)
    cli.init_app(app)
    app.before_request(_before_request)
    strict_json.init_app(app)  # after _before_request: strict JSON bodies, URLs, headers
    app.after_request(_after_request)
    headers.init_app(app)  # HSTS when PUBLIC_BASE_URL is https
    hot.init_app(app)  # in front of Flask: the 200s and 304s of the two hottest GETs
    limits.trust_proxies(app)  # outermost, TRUSTED_PROXY_HOPS: who the client is, for the limits
    return app


def create_app_or_exit() -> Flask:
    """The app of ``wsgi.py``: a configuration error is one line on stderr and exit status 2."""
    try:
        return create_app()
    except config.ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _before_request() -> Response | None:
    """Tag the request with an id; refuse bodies that are not JSON (415)."""
    g.request_id = headers.request_id(request.headers.get("X-Request-Id", ""))
    if request.method in _BODY_METHODS and request.content_length and not request.is_json:
        return problems.problem(
            415, f"send the body as application/json, not {request.mimetype or 'nothing'}"
        )
    return None


def _after_request(response: Response) -> Response:
    # A request refused by the bounds check never got an id: it gets a new one (its own
    # header may be what was too long).
    response.headers["X-Request-Id"] = g.get("request_id") or headers.request_id("")
    response.headers.setdefault("X-Content-Type-Options", headers.NOSNIFF)
    return response
