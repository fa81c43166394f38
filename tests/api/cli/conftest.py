"""Fixtures of the CLI tests: household lists written to files, an importing official."""

from tests.support.importing import importer, run, write

__all__ = ["importer", "run", "write"]
