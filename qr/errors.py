"""Errors raised by the QR and plate modules."""


class QRError(Exception):
    """Base class for every error raised by the ``qr`` package."""


class InvalidQRInput(QRError, ValueError):
    """A base URL, code, payload or option that cannot be turned into a QR code or plate."""


class FontUnavailable(QRError):
    """The plate fonts are missing, unreadable or lack Vietnamese glyphs.

    Plates are never drawn with a fallback font: the PDF base fonts have no glyphs for
    Vietnamese letters such as ``ệ`` or ``ữ`` and would print the address wrongly.
    """


class PdfJoinError(QRError):
    """A PDF handed to the streaming joiner is not shaped like reportlab's output."""
