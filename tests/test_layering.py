"""The architecture of DESIGN.md, checked on the source: arrows one way, rooms behind doors.

- geo <- registry <- api; qr alone; no Flask below api; opendata (pygeoapi's plugin) between
  registry and api, without Flask.
- Each package's ``__init__`` states its public surface (``__all__``): code outside a package
  imports the package, or a module the package lists, never another of its modules.
- Sub-packages that are separate subsystems do not import each other.
- Raw DB-API connections are handled in ``registry/db.py`` and ``registry/lookups/`` only.
- Every view of /v1 is a ``ResourceView``, so every write commits in that one place.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ("geo", "registry", "api", "qr", "opendata", "bench", "migrations")

#: For each package, the top-level modules it must never import.
FORBIDDEN = {
    "geo": {"flask", "flask_smorest", "sqlalchemy", "geoalchemy2", "registry", "api", "qr"},
    "registry": {
        "flask",
        "flask_smorest",
        "flask_limiter",
        "api",
        "werkzeug",
        "marshmallow",
        "opendata",
        "pygeoapi",
    },
    "qr": {"flask", "flask_smorest", "sqlalchemy", "registry", "api"},
    # The open-data server's plugin and configuration: pygeoapi loads them in its own process.
    "opendata": {"flask", "flask_smorest", "flask_limiter", "api", "werkzeug", "marshmallow", "qr"},
}

#: Sub-packages that must not import each other (either way), or must not import the other.
APART = [
    ("registry.importing", "registry.sync"),
    ("registry.importing", "registry.lookups"),
    ("registry.sync", "registry.lookups"),
]
BELOW = {
    # api.core is what the resources share: it knows none of them.
    "api.core": {"api.v1", "api.scan", "api.field", "api.dashboard", "api.cli", "api.auth"},
    "api.auth": {"api.v1", "api.scan", "api.field", "api.dashboard", "api.cli"},
    # The field app is static files on the public API: it imports no other part of the service.
    "api.field": {"api.v1", "api.scan", "api.cli", "api.auth", "registry"},
    "api.dashboard": {"api.v1", "api.scan", "api.field", "api.cli", "api.auth", "registry"},
    "registry.access": {"registry.sync", "registry.importing", "registry.lookups"},
    "registry.address_text": {"registry.sync", "registry.importing", "registry.lookups"},
}
RAW_DBAPI = ("dbapi_connection", "raw_connection")
RAW_DBAPI_HOMES = ("registry/db.py", "registry/lookups/")


def _modules(*roots: str) -> Iterator[tuple[str, Path]]:
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
            yield ".".join(parts), path


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _imported(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of each absolute import in ``path``."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


@cache
def _packages() -> dict[str, set[str]]:
    """Every package of ours with the names its ``__init__`` lists in ``__all__``."""
    surfaces: dict[str, set[str]] = {}
    for name, path in _modules(*SOURCE):
        if path.name != "__init__.py":
            continue
        listed: set[str] = set()
        for node in _tree(path).body:
            if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
            ):
                listed = set(ast.literal_eval(node.value))
        surfaces[name] = listed
    return surfaces


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_the_layering(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(top & FORBIDDEN[package])
        for _, path in _modules(package)
        if (top := {module.split(".")[0] for module, _ in _imported(path)}) & FORBIDDEN[package]
    }
    assert offenders == {}


def test_packages_are_entered_through_their_public_surface() -> None:
    packages = _packages()
    offenders = []
    for importer, path in [*_modules(*SOURCE), ("wsgi", ROOT / "wsgi.py")]:
        for module, _ in _imported(path):
            owner, _, leaf = module.rpartition(".")
            if module in packages or owner not in packages or _inside(importer, owner):
                continue
            if leaf not in packages[owner]:
                offenders.append(f"{importer} imports {module}")
    assert offenders == []


@pytest.mark.parametrize(("one", "other"), APART)
def test_separate_subsystems_do_not_import_each_other(one: str, other: str) -> None:
    crossing = [
        f"{importer} imports {module}"
        for first, second in ((one, other), (other, one))
        for importer, path in _modules(first.replace(".", "/"))
        for module, _ in _imported(path)
        if _inside(module, second)
    ]
    assert crossing == []


@pytest.mark.parametrize("package", sorted(BELOW))
def test_shared_rooms_do_not_import_what_builds_on_them(package: str) -> None:
    upward = [
        f"{importer} imports {module}"
        for importer, path in _modules(package.replace(".", "/"))
        for module, _ in _imported(path)
        if any(_inside(module, above) for above in BELOW[package])
    ]
    assert upward == []


def test_raw_dbapi_connections_stay_in_their_two_homes() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for _, path in _modules("api", "registry", "qr", "geo")
        if not str(path.relative_to(ROOT)).startswith(RAW_DBAPI_HOMES)
        and (
            any(word in path.read_text(encoding="utf-8") for word in RAW_DBAPI)
            or any(module.split(".")[0] == "psycopg2" for module, _ in _imported(path))
        )
    ]
    assert offenders == []


def test_every_v1_view_commits_in_the_one_place() -> None:
    plain = []
    for module, path in _modules("api/v1"):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(base, ast.Name) and base.id == "MethodView" for base in node.bases
            ):
                plain.append(f"{module}.{node.name}")
            if isinstance(node, ast.Attribute) and node.attr in {"commit", "rollback"}:
                plain.append(f"{module} calls .{node.attr}() itself")
    assert plain == []
