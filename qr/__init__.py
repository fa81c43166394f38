"""QR codes, printable plates and address certificates for digital household addresses.

Plain values in, bytes out: this package knows nothing of Flask or the database.
"""

from qr.certificate import Certificate, certificate_pdf
from qr.codes import (
    MAX_SCALE,
    MIN_SCALE,
    QUIET_ZONE,
    QRSymbol,
    make_qr,
    qr_matrix,
    qr_png,
    qr_svg,
    scan_url,
)
from qr.errors import FontUnavailable, InvalidQRInput, PdfJoinError, QRError
from qr.fonts import DEFAULT_FONT_DIR, VIETNAMESE_LETTERS, PlateFonts, load_fonts
from qr.layout import Plate
from qr.plates import MAX_PER_PAGE, iter_plates, plate_pdf, write_plates

__all__ = [
    "DEFAULT_FONT_DIR",
    "MAX_PER_PAGE",
    "MAX_SCALE",
    "MIN_SCALE",
    "QUIET_ZONE",
    "VIETNAMESE_LETTERS",
    "Certificate",
    "FontUnavailable",
    "InvalidQRInput",
    "PdfJoinError",
    "Plate",
    "PlateFonts",
    "QRError",
    "QRSymbol",
    "certificate_pdf",
    "iter_plates",
    "load_fonts",
    "make_qr",
    "plate_pdf",
    "qr_matrix",
    "qr_png",
    "qr_svg",
    "scan_url",
    "write_plates",
]
