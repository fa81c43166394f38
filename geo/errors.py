"""Errors raised by the pure geography and code modules."""


class GeoError(ValueError):
    """Base class: an input value that is not a valid geographic value."""


class InvalidPoint(GeoError):
    """A coordinate out of range, not finite, or outside the supported area."""


class InvalidCRS(GeoError):
    """A coordinate reference system that is unknown or not accepted for input."""


class InvalidCode(GeoError):
    """A digital address code that cannot be accepted.

    ``reason`` is a stable machine-readable word (``format``, ``check``, ``recovery``);
    ``str(error)`` is a message safe to show to a user.
    """

    def __init__(self, message: str, reason: str = "format") -> None:
        super().__init__(message)
        self.reason = reason
