"""The README's command-line block runs as written, in a clean shell, after the set-up.

The set-up is the one ``make run`` does (``scripts/settings.sh`` writes ``var/registry.env``);
then every line of the README's "Command line" block runs with nothing exported but ``PATH``
and ``HOME``, from a checkout-like directory whose ``var/`` is the test's own.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import ROLES, as_role, recreate_database

ROOT = Path(__file__).resolve().parents[3]
LINKED = (
    "api",
    "registry",
    "geo",
    "qr",
    "opendata",
    "migrations",
    "docs",
    "scripts",
    "wsgi.py",
    ".venv",
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
CLEAN_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")}


def readme_block() -> str:
    """The shell block of the README's "Command line" section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the Command line section has a sh block"
    return match.group(1)


@pytest.fixture
def checkout(tmp_path: Path, superuser_url: str) -> Path:
    """A directory laid out like the checkout, set up as ``make run`` sets it up.

    Its database is new and empty, owned by the owner role, as ``make db`` leaves it.
    """
    for name in LINKED:
        (tmp_path / name).symlink_to(ROOT / name)
    # Named after the suite's own database, so that suites on one server do not share it.
    suite = (make_url(superuser_url).database or "registry_test").removesuffix("_test")
    url = make_url(superuser_url).set(database=f"{suite}_readme_test")
    recreate_database(url.render_as_string(hide_password=False))
    setup = {
        **CLEAN_ENV,
        "DATABASE_URL": as_role(url.render_as_string(hide_password=False), ROLES.app),
        "DATABASE_OWNER_URL": as_role(url.render_as_string(hide_password=False), ROLES.owner),
        "RATELIMIT_STORAGE_URI": REDIS_URL,
    }
    subprocess.run(
        ["/bin/bash", "scripts/settings.sh", "var/registry.env"],
        cwd=tmp_path,
        env=setup,
        check=True,
    )
    return tmp_path


def test_every_readme_command_works_from_a_clean_shell(checkout: Path) -> None:
    result = subprocess.run(  # noqa: S603 (the README's own commands)
        ["/bin/bash", "-euo", "pipefail", "-c", readme_block()],
        cwd=checkout,
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "database at head" in result.stdout
    assert "Shop X" in result.stdout
    assert (checkout / "plates.pdf").read_bytes().startswith(b"%PDF")
    assert "addresses-24.gpkg: 24 addresses" in result.stdout  # the demo commune, exported
    assert (checkout / "exports" / "manifest.json").is_file()
    assert (checkout / "var" / "pygeoapi.yml").stat().st_mode & 0o077 == 0
    settings = (checkout / "var" / "registry.env").read_text()
    assert re.search(r"^SECRET_KEY=.{32,}$", settings, re.M)
    assert (checkout / "var" / "registry.env").stat().st_mode & 0o077 == 0


def test_a_configuration_error_is_one_line_and_exit_2(checkout: Path) -> None:
    settings = checkout / "var" / "registry.env"
    kept = [line for line in settings.read_text().splitlines() if "SECRET_KEY" not in line]
    settings.write_text("\n".join(kept) + "\n")
    result = subprocess.run(
        [".venv/bin/flask", "--app", "wsgi", "api-keys", "list"],
        cwd=checkout,
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("configuration error: SECRET_KEY must be set")
