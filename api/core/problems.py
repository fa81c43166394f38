"""RFC 9457 problem details: the one place where errors become HTTP responses."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, json, request
from marshmallow import INCLUDE, Schema, fields
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from api.core.preconditions import etag
from geo import GeoError, InvalidCode
from qr import FontUnavailable, InvalidQRInput
from registry import errors as domain

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
UNIQUE_VIOLATION = "23505"
DUMPERS = "registry.problem_dumpers"
TYPE_BASE = "https://diachiso.example.vn/problems/"

STATUS_BY_ERROR: dict[type[domain.RegistryError], int] = {
    domain.NotFound: 404,
    domain.AuthenticationFailed: 401,
    domain.Forbidden: 403,
    domain.Conflict: 409,
    domain.PreconditionFailed: 412,
    domain.InvalidInput: 422,
    domain.OperationFailed: 422,  # a poison operation: not a 5xx, or the phone retries it forever
    domain.PreconditionRequired: 428,
}

_SLUG_BY_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    422: "validation-error",
    428: "precondition-required",
    429: "rate-limited",
    431: "header-fields-too-large",
    503: "unavailable",
}


class ProblemSchema(Schema):
    """RFC 9457 problem details; some problems add members (``code``, ``candidate``, ...)."""

    class Meta:
        unknown = INCLUDE  # documented as open: extension members are allowed (RFC 9457 3.2)

    type = fields.String(metadata={"description": "URI of the problem type"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String(metadata={"description": "What went wrong, for a person"})
    instance = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        metadata={"description": "Messages per invalid field, for validation errors"},
    )


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    kind: str | None = None,
    errors: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem+json response."""
    body = problem_body(status, detail, title=title, kind=kind, errors=errors, **extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)
    response.headers.extend(headers or {})
    return response


def problem_body(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    kind: str | None = None,
    errors: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The JSON document of a problem (also reported per operation of a sync batch)."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + (kind or _SLUG_BY_STATUS.get(status, "error")),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path if request else None,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def _status_of(error: domain.RegistryError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def _flatten(messages: Any) -> dict[str, Any]:
    """webargs nests errors by location (``{"json": {...}}``); callers want the fields."""
    if isinstance(messages, Mapping) and len(messages) == 1:
        ((location, inner),) = messages.items()
        if location in {"json", "query", "headers", "path", "view_args"}:
            return dict(inner) if isinstance(inner, Mapping) else {"_schema": inner}
    return dict(messages) if isinstance(messages, Mapping) else {"_schema": messages}


def handle_http_exception(error: HTTPException) -> Response:
    """Werkzeug and webargs errors (400, 404, 405, 413, 422, 429, ...) as problems."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    if status == 400 and messages and "json" in messages:
        return problem(400, "the request body is not valid JSON")
    if status == 422 and messages:
        return problem(
            422,
            "the request has invalid fields; see errors",
            errors=_flatten(messages),
        )
    detail = data.get("message") or error.description or HTTPStatus(status).phrase
    headers = dict(error.get_response().headers) if status in {405, 429} else {}
    headers.pop("Content-Type", None)
    headers.pop("Content-Length", None)
    return problem(status, str(detail), headers=headers)


def handle_registry_error(error: domain.RegistryError) -> Response:
    """Domain errors with their safe message and structured extras."""
    status, body, headers = registry_problem(error)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)
    response.headers.extend(headers)
    return response


def registry_problem(error: domain.RegistryError) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, problem document and headers of a domain error (a stale version: the ETag)."""
    status = _status_of(error)
    errors = error.errors if isinstance(error, domain.InvalidInput) else None
    extra = {key: value for key, value in error.extra.items() if value is not None}
    body = problem_body(
        status,
        error.detail,
        title=error.title,
        kind=error.kind,
        errors=errors,
        **{key: _public(value) for key, value in extra.items()},
    )
    version = error.extra.get("current_version")
    return status, body, {"ETag": etag(version)} if isinstance(version, int) else {}


def _public(value: Any) -> Any:
    """Extras may carry a record (a duplicate's candidate, a stale change's current record).

    Records are dumped by the schema registered for their type (see :func:`dump_records_with`).
    """
    dumpers: Mapping[type, Callable[[Any], Any]] = current_app.extensions.get(DUMPERS, {})
    dump = dumpers.get(type(value))
    return dump(value) if dump is not None else value


def dump_records_with(app: Flask, dumpers: Mapping[type, Callable[[Any], Any]]) -> None:
    """How records carried by domain errors appear in problems (the resources' own schemas)."""
    app.extensions.setdefault(DUMPERS, {}).update(dumpers)


def handle_geo_error(error: GeoError) -> Response:
    """An invalid code, point or CRS that reached the domain as a value error."""
    status, body = geo_problem(error)
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)


def geo_problem(error: GeoError) -> tuple[int, dict[str, Any]]:
    """Status and problem document of an invalid code, point or CRS."""
    if isinstance(error, InvalidCode):
        return 422, problem_body(
            422, str(error), title="Invalid address code", kind=f"invalid-code-{error.reason}"
        )
    return 422, problem_body(422, str(error), title="Invalid location", kind="invalid-location")


def handle_unprintable(error: InvalidQRInput) -> Response:
    """Text of an address that a plate or certificate cannot print (a glyph the font lacks)."""
    return problem(422, str(error), title="Cannot be printed")


def handle_fonts_unavailable(error: FontUnavailable) -> Response:
    """The plate fonts are missing on this server: a deployment fault, not the request's."""
    log.error("plate fonts unavailable: %s", domain.loggable(error))
    return problem(
        503, "plates cannot be printed on this server right now", headers={"Retry-After": "60"}
    )


def handle_database_unavailable(error: OperationalError) -> Response:
    """The database is down or unreachable: 503, never the driver's message."""
    log.error("database unavailable: %s", domain.loggable(error))
    return problem(
        503,
        "the registry database is unavailable; try again shortly",
        headers={"Retry-After": "5"},
    )


def handle_database_error(error: SQLAlchemyError) -> Response:
    """Any other database error: logged without its text (it holds row values), no SQL out."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return handle_database_unavailable(error)  # type: ignore[arg-type]  # same shape
    log.error("database error: %s", domain.loggable(error))
    if getattr(getattr(error, "orig", None), "pgcode", None) == UNIQUE_VIOLATION:
        # Two requests created the same record at once (the same client-made id): the
        # loser's answer is a conflict, as when it comes second.
        return problem(
            409,
            "the record was created by another request at the same moment; read it, or retry",
            title=domain.Conflict.title,
            kind=domain.Conflict.kind,
        )
    return problem(500, "the request could not be completed", title="Internal error")


def handle_unexpected(error: Exception) -> Response:
    """Last resort: log where it happened (not its text), answer without it."""
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.error("unhandled error: %s", domain.loggable(error))
    return problem(500, "the request could not be completed", title="Internal error")


def init_app(app: Flask) -> None:
    """Register the handlers (after flask-smorest, so these win)."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(domain.RegistryError, handle_registry_error)
    app.register_error_handler(GeoError, handle_geo_error)
    app.register_error_handler(InvalidQRInput, handle_unprintable)
    app.register_error_handler(FontUnavailable, handle_fonts_unavailable)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(SQLAlchemyError, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)
