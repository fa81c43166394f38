"""The address certificate: one A4 page stating an address's public facts when it was issued.

``content`` says what a certificate holds, ``words`` its fixed Vietnamese and English text,
``page`` lays it out and renders the PDF, ``map`` draws the commune's boundary with the point,
a scale bar and a north arrow as vectors (no tiles, no network).
"""

from qr.certificate.content import STATUSES, Certificate, Polygon, Ring
from qr.certificate.page import certificate_pdf
from qr.certificate.words import VIETNAM, issue_time

__all__ = ["STATUSES", "VIETNAM", "Certificate", "Polygon", "Ring", "certificate_pdf", "issue_time"]
