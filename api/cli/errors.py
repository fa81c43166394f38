"""How a command says it failed: one message (and the invalid fields) on standard error, exit 1.

:func:`committed` is the frame of a command that changes records: commit, or fail changing nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

import click
from sqlalchemy.orm import Session

from api.core import session
from registry.errors import InvalidInput, RegistryError
from registry.pii import PiiError


class CommandFailed(click.ClickException):
    """The command could not do what was asked (nothing was changed)."""

    exit_code = 1

    def __init__(self, detail: str, errors: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(detail)
        self.errors = dict(errors or {})

    @classmethod
    def of(cls, error: RegistryError) -> CommandFailed:
        """The failure of a domain error: its safe message and, if invalid input, its fields."""
        return cls(error.detail, error.errors if isinstance(error, InvalidInput) else None)

    def format_message(self) -> str:
        """``error: <detail>``, then one line per invalid field."""
        lines = [f"error: {self.message}"]
        lines += [f"  {field}: {'; '.join(messages)}" for field, messages in self.errors.items()]
        return "\n".join(lines)

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the message to standard error (click's own prefix would say ``Error:``)."""
        click.echo(self.format_message(), err=True, file=file)


@contextlib.contextmanager
def committed(db: Session | None = None) -> Iterator[Session]:
    """The session of a command's change (this app's unless given), committed when it is done.

    A domain error, or sealed data that cannot be sealed or read (no ``PII_KEY``), becomes the
    command's failure with nothing changed.
    """
    db = db if db is not None else session()
    try:
        yield db
    except RegistryError as error:
        db.rollback()
        raise CommandFailed.of(error) from error
    except PiiError as error:
        db.rollback()
        raise CommandFailed(str(error)) from error
    db.commit()
