"""The public scan pages (``/a/{code}``): what a phone shows after scanning a plate.

``views`` serves them, ``pages`` renders, ``errors`` turns problems into pages, ``text`` holds
the words in Vietnamese and English, ``assets`` the inlined style and script with their policy.
"""

from api.scan.views import blp

__all__ = ["blp"]
