"""What every resource's module is made of: a blueprint that documents problems, and views.

Two rules live here so that no view can forget them:

- **Problems are documented one way.** ``@blp.problems(401, 404)`` documents the problem
  responses a view can answer, each with its usual meaning on that blueprint (:data:`USUAL`),
  or with its own words: ``@blp.problems((409, "Possible duplicate"))``. An operation secured
  by a scheme of :data:`LIMITED_SCHEMES` (every bearer-token request counts against its
  user's rate limit) documents its 429 without being told.
- **A write commits in one place.** :class:`ResourceView` ends every POST, PUT, PATCH and
  DELETE: a response below 400 commits the request's session, anything else rolls it back.
  A view (and ``@idempotent``) never commits the change itself. A read that left a trace
  (``api.core.reads``: who read which households' personal data) ends the same way. What a
  streamed response records once its body is sent (a print run) commits through
  :func:`finish_stream`.
- **Public reads say so.** A resource lists in :attr:`ResourceView.replica_reads` the methods
  that are public reads; they may read from a hot standby (``api.core.replicas``), every other
  request uses the primary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from flask import Response, make_response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.utils import prepare_response
from sqlalchemy.orm import Session

from api.core import replicas
from api.core.db import session
from api.core.problems import PROBLEM_MEDIA_TYPE, ProblemSchema
from api.core.reads import read_recorded

F = TypeVar("F", bound=Callable[..., Any])
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: What an error status means unless a view says otherwise.
USUAL: dict[int, str] = {
    401: "No or bad token",
    403: "Commune not assigned",
    404: "No address has this code",
    412: "Stale `If-Match`",
    422: "Invalid fields",
    428: "No `If-Match`",
    429: "Rate limit exceeded",
}

#: The 403 of an endpoint that works on households or addresses, to province staff's tokens.
PROVINCE_STAFF = "A province staff's token: they follow the campaign on the dashboard"

#: Security schemes whose every request is rate limited, and what their 429 means.
LIMITED_SCHEMES: dict[str, str] = {
    "bearerAuth": "Rate limit of the account exceeded (see Retry-After)",
}

Problem = int | tuple[int, str]


class ResourceBlueprint(Blueprint):  # type: ignore[misc]  # flask-smorest is untyped
    """A flask-smorest blueprint whose views document their problems with :meth:`problems`."""

    #: The meaning of each status on this blueprint's views, unless a view says otherwise.
    usual: ClassVar[Mapping[int, str]] = USUAL

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._document_rate_limit)

    @staticmethod
    def _document_rate_limit(
        doc: dict[str, Any], doc_info: Mapping[str, Any], *, spec: Any, **_: Any
    ) -> dict[str, Any]:
        """A flask-smorest doc callback: the 429 of an operation under a limited scheme."""
        security = doc_info.get("manual_doc", {}).get("security") or []
        limited = [
            LIMITED_SCHEMES[name] for entry in security for name in entry if name in LIMITED_SCHEMES
        ]
        responses = doc.setdefault("responses", {})
        if limited and "429" not in responses and 429 not in responses:
            response: dict[str, Any] = {"description": limited[0], "schema": ProblemSchema}
            prepare_response(response, spec, PROBLEM_MEDIA_TYPE)
            responses[429] = response
        return doc

    def problems(self, *problems: Problem) -> Callable[[F], F]:
        """Document problem responses: a status (its :data:`USUAL` meaning) or (status, words)."""

        def document(view: F) -> F:
            for problem in problems:
                status, description = problem if isinstance(problem, tuple) else (problem, "")
                view = self.alt_response(
                    status,
                    schema=ProblemSchema,
                    description=description or self.usual[status],
                    content_type=PROBLEM_MEDIA_TYPE,
                )(view)
            return view

        return document


class ResourceView(MethodView):
    """A resource's HTTP methods; the unit of work of a write ends here, and only here."""

    #: The methods that are public reads of public records, which a read replica may answer
    #: (through ``api.core.replicas.fresh``); every other method reads from the primary.
    replica_reads: ClassVar[frozenset[str]] = frozenset()

    def dispatch_request(self, **kwargs: Any) -> Response:
        """Run the method; commit a write (or a traced read) that succeeded, else roll back."""
        public_read = request.method in self.replica_reads
        if public_read:
            replicas.begin()
        response = make_response(super().dispatch_request(**kwargs))
        if public_read:
            replicas.tag(response)
        if request.method in WRITE_METHODS or read_recorded():
            finish_write(response)
        return response


def finish_write(response: Response) -> None:
    """Commit the request's session when ``response`` is a success, else roll it back."""
    if response.status_code < 400:
        session().commit()
    else:
        session().rollback()


def finish_stream(db: Session, record: Callable[[Session], None]) -> None:
    """After a streamed body was sent in full: ``record`` on the stream's session, committed.

    A stream runs after its view returned (and its request's session closed), so its own
    session (``api.core.db.new_session``) holds what it writes; an error rolls it back.
    """
    try:
        record(db)
        db.commit()
    except BaseException:
        db.rollback()
        raise
