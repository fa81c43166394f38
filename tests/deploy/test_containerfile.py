"""deploy/Containerfile, checked without building it (no container engine on the test machine).

What can be checked from the file: every file it copies exists and is in the build context
that .dockerignore leaves, every first-party package the service imports is copied, the
Debian packages it installs are Python and the runtime part of scripts/apt-packages.txt, and
it runs scripts/serve.sh as an unprivileged user on every interface, checked by /readyz.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from api.core.config import from_environment
from api.field.views import VENDOR
from tests.deploy.support import tool

ROOT = Path(__file__).resolve().parents[2]
CONTAINERFILE = ROOT / "deploy" / "Containerfile"
IGNORE = ROOT / ".dockerignore"
APT_LIST = ROOT / "scripts" / "apt-packages.txt"
WORKDIR = "/srv/registry"
#: Debian's Python, which the development machines bring with them (not in the apt list).
PYTHON = {"python3", "python3-venv"}


@dataclass(frozen=True)
class Instruction:
    """One instruction of a stage, its continuation lines joined."""

    keyword: str
    arguments: str


def stages() -> list[list[Instruction]]:
    """The instructions of each build stage, in order."""
    text = re.sub(r"\\\n", " ", CONTAINERFILE.read_text(encoding="utf-8"))
    found: list[list[Instruction]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, arguments = line.strip().partition(" ")
        if keyword == "FROM":
            found.append([])
        found[-1].append(Instruction(keyword, arguments.strip()))
    return found


def final() -> list[Instruction]:
    """The instructions of the image's own (last) stage."""
    return stages()[-1]


def of(instructions: list[Instruction], keyword: str) -> list[str]:
    """The arguments of every ``keyword`` instruction."""
    return [i.arguments for i in instructions if i.keyword == keyword]


def ignored(path: str) -> bool:
    """Whether .dockerignore leaves ``path`` (relative to the root) out of the context.

    The last pattern that matches the path or a directory above it decides, as Docker does.
    """
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for raw in IGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        pattern = line.lstrip("!").rstrip("/")
        anywhere = pattern.startswith("**/")
        if anywhere:
            hit = any(fnmatch.fnmatchcase(part, pattern[3:]) for part in parts)
        else:
            hit = any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes)
        if hit:
            verdict = not keep
    return verdict


def copies(instructions: list[Instruction]) -> list[tuple[list[str], str]]:
    """(sources, destination) of every COPY from the build context (not from a stage)."""
    found = []
    for arguments in of(instructions, "COPY"):
        words = shlex.split(arguments)
        if any(word.startswith("--from=") for word in words):
            continue
        *sources, destination = words
        found.append((sources, destination))
    return found


def test_it_builds_on_debian_bookworm_whose_python_is_3_11() -> None:
    assert all(
        of(stage, "FROM")[0].split()[0] == "docker.io/library/debian:bookworm-slim"
        for stage in stages()
    )


def test_every_file_it_copies_exists_and_is_in_the_build_context() -> None:
    for stage in stages():
        for sources, _ in copies(stage):
            for source in sources:
                assert (ROOT / source).exists(), source
                assert not ignored(source), f"{source} is left out by .dockerignore"
    # ... and what must never be sent to a builder is left out.
    for secret in ("var/registry.env", "var/pg/PG_VERSION", ".venv/bin/python", ".git"):
        assert ignored(secret), secret
    assert ignored("api/__pycache__/x.pyc")


#: Run in a fresh interpreter: every module of ``api`` imported, then where each import lives.
IMPORT_ALL = """
import importlib, pkgutil, sys
import api
for found in pkgutil.walk_packages(api.__path__, "api."):
    importlib.import_module(found.name)
for module in list(sys.modules.values()):
    print(getattr(module, "__file__", None) or "")
"""


def first_party_imports() -> set[str]:
    """The top-level files and directories of the checkout whose code the service imports."""
    files = subprocess.run(  # noqa: S603  # this interpreter on our own code
        [sys.executable, "-c", IMPORT_ALL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    tops = set()
    for name in files:
        path = Path(name).resolve()
        if path.is_relative_to(ROOT):
            tops.add(path.relative_to(ROOT).parts[0])
    return tops - {".venv"}


def test_every_first_party_package_the_service_imports_is_copied() -> None:
    imported = first_party_imports()
    assert {"api", "registry", "geo", "qr"} <= imported
    copied = {source for sources, _ in copies(final()) for source in sources}
    assert imported <= copied, imported - copied
    # The migrations run from the image too (flask db upgrade), and the field app's Leaflet.
    assert "migrations" in copied
    vendor = [a for a in of(final(), "COPY") if a.startswith("--from=")]
    assert vendor == [
        "--from=field-vendor /build/node_modules/leaflet/dist "
        + str(VENDOR.relative_to(ROOT.resolve()))
    ]


def test_the_debian_packages_are_python_and_the_runtime_part_of_the_apt_list() -> None:
    listed = {
        line.strip()
        for line in APT_LIST.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    (install,) = [a for a in of(final(), "RUN") if "apt-get install" in a]
    words = shlex.split(install.split("apt-get install", 1)[1].split("&&")[0])
    packages = {word for word in words if not word.startswith("-")}
    assert packages - PYTHON <= listed, packages - PYTHON - listed
    assert packages >= PYTHON
    # The plates' font: the default PLATE_FONT_DIR is what fonts-dejavu-core installs.
    assert "fonts-dejavu-core" in packages
    files = subprocess.run(  # noqa: S603  # Debian's package database, read
        [tool("dpkg"), "-L", "fonts-dejavu-core"], capture_output=True, text=True, check=True
    ).stdout
    font_dir = from_environment({})["PLATE_FONT_DIR"]
    assert f"{font_dir}/DejaVuSans.ttf" in files.splitlines()


def test_the_venv_has_the_pinned_requirements() -> None:
    (pip,) = [a for a in of(final(), "RUN") if "pip install" in a]
    assert "-r requirements.txt -c constraints.txt" in " ".join(pip.split())
    assert of(final(), "WORKDIR") == [WORKDIR]


def test_it_serves_with_serve_sh_as_a_user_on_every_interface() -> None:
    instructions = final()
    assert of(instructions, "CMD") == ['["scripts/serve.sh"]']
    assert os.access(ROOT / "scripts" / "serve.sh", os.X_OK)
    (user,) = of(instructions, "USER")
    assert user not in {"root", "0"}
    assert any(f"--system --user-group --home-dir {WORKDIR}" in r for r in of(instructions, "RUN"))
    env = dict(word.split("=", 1) for line in of(instructions, "ENV") for word in line.split())
    assert env["HOST"] == "0.0.0.0"  # noqa: S104  # inside the container, behind nginx
    (check,) = of(instructions, "HEALTHCHECK")
    assert "/readyz" in check
    # USER comes before CMD, after everything is installed.
    keywords = [i.keyword for i in instructions]
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k in {"RUN", "COPY"})
