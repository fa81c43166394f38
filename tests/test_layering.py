"""The dependency direction of DESIGN.md: geo <- registry <- api; qr alone; no Flask below api."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: For each package, the top-level modules it must never import.
FORBIDDEN = {
    "geo": {"flask", "flask_smorest", "sqlalchemy", "geoalchemy2", "registry", "api", "qr"},
    "registry": {"flask", "flask_smorest", "flask_limiter", "api", "werkzeug"},
    "qr": {"flask", "flask_smorest", "sqlalchemy", "registry", "api"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_the_layering(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no modules found in {package}/"
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
        for path in files
        if _imports(path) & FORBIDDEN[package]
    }
    assert offenders == {}
