"""Fixtures of the bench tests that need imported addresses: an importer and household lists."""

from tests.support.importing import importer, run, write

__all__ = ["importer", "run", "write"]
