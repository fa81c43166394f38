"""What every resource's module is made of: a blueprint that documents problems, and views.

Two rules live here so that no view can forget them:

- **Problems are documented one way.** ``@blp.problems(401, 404)`` documents the problem
  responses a view can answer, each with its usual meaning on that blueprint (:data:`USUAL`),
  or with its own words: ``@blp.problems((409, "Possible duplicate"))``.
- **A write commits in one place.** :class:`ResourceView` ends every POST, PUT, PATCH and
  DELETE: a response below 400 commits the request's session, anything else rolls it back.
  A view (and ``@idempotent``) never commits the change itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from flask import Response, make_response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api.core.db import session
from api.core.problems import PROBLEM_MEDIA_TYPE, ProblemSchema

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

Problem = int | tuple[int, str]


class ResourceBlueprint(Blueprint):  # type: ignore[misc]  # flask-smorest is untyped
    """A flask-smorest blueprint whose views document their problems with :meth:`problems`."""

    #: The meaning of each status on this blueprint's views, unless a view says otherwise.
    usual: ClassVar[Mapping[int, str]] = USUAL

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

    def dispatch_request(self, **kwargs: Any) -> Response:
        """Run the method; commit a write that succeeded, roll back one that did not."""
        response = make_response(super().dispatch_request(**kwargs))
        if request.method in WRITE_METHODS:
            finish_write(response)
        return response


def finish_write(response: Response) -> None:
    """Commit the request's session when ``response`` is a success, else roll it back."""
    if response.status_code < 400:
        session().commit()
    else:
        session().rollback()
