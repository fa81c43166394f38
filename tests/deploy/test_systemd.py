"""The systemd units of deploy/systemd/ and the settings file they read.

``systemd-analyze verify`` checks the units as systemd would load them (with the install
directory, /srv/registry, standing for this checkout, so that the commands it checks exist);
the rest reads them and checks what they name against the repository: the scripts and
commands they run, the settings they set, serve.sh's kill timeout they wait longer than.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import click
import pytest
from flask import Flask

from api import cli
from api.core import config
from tests.deploy.support import tool

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
INSTALLED = "/srv/registry"
SETTINGS = "/etc/registry/registry.env"
EXAMPLE = ROOT / "deploy" / "registry.env.example"
SERVE = ROOT / "scripts" / "serve.sh"
SERVICES = ("registry-api.service", "registry-maintenance.service", "registry-opendata.service")


def unit(name: str) -> configparser.ConfigParser:
    """A unit file read as systemd's ini dialect (no interpolation, keys as written)."""
    parser = configparser.ConfigParser(interpolation=None, strict=True, empty_lines_in_values=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string((UNITS / name).read_text(encoding="utf-8"), source=name)
    return parser


class Recorder(Mapping[str, str]):
    """An empty environment that notes every name the configuration looks up."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.seen.add(key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def known_settings() -> set[str]:
    """The names the service reads: api/core/config.py's, and scripts/serve.sh's."""
    recorder = Recorder()
    config.from_environment(recorder)
    served = set(re.findall(r"\$\{([A-Z_]+):-", SERVE.read_text()))
    return recorder.seen | served | {"REGISTRY_SETTINGS"}


def test_the_units_are_what_systemd_accepts(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    for path in UNITS.iterdir():
        text = path.read_text(encoding="utf-8").replace(INSTALLED, str(ROOT))
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    result = subprocess.run(  # noqa: S603  # systemd's own checker on our files
        [analyze, "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # verify warns about a bad value and still exits 0: nothing at all may be said.
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_there_are_the_api_open_data_and_maintenance_units_only() -> None:
    assert sorted(p.name for p in UNITS.iterdir()) == [
        "registry-api.service",
        "registry-maintenance.service",
        "registry-maintenance.timer",
        "registry-opendata.service",
    ]


def test_the_open_data_service_serves_pygeoapi_in_the_foreground_from_its_runtime_dir() -> None:
    service = unit("registry-opendata.service")["Service"]
    assert service["ExecStart"] == f"{INSTALLED}/scripts/opendata.sh serve"
    assert service["RuntimeDirectory"] == "registry-opendata"
    script = (ROOT / "scripts" / "opendata.sh").read_text()
    serve = script.split("serve() {", 1)[1].split("\n}\n", 1)[0]
    assert "exec" in serve and "pygeoapi.flask_app:APP" in serve and "&" not in serve


def test_the_api_runs_serve_sh_and_outlasts_its_kill_timeout() -> None:
    service = unit("registry-api.service")["Service"]
    assert service["ExecStart"] == f"{INSTALLED}/scripts/serve.sh"
    assert os.access(SERVE, os.X_OK)
    kill_timeout = re.search(r"--workers-kill-timeout (\d+)", SERVE.read_text())
    assert kill_timeout is not None
    assert int(service["TimeoutStopSec"]) > int(kill_timeout.group(1))
    assert service["KillSignal"] == "SIGTERM"
    # SIGTERM to granian's main process, as tests/faults/test_shutdown.py sends it.
    assert service["KillMode"] == "mixed"
    assert service["Restart"] == "on-failure"


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_runs_unprivileged_and_hardened_from_the_checkout(name: str) -> None:
    service = unit(name)["Service"]
    assert service["User"] == service["Group"] == "registry"
    assert service["WorkingDirectory"] == INSTALLED
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
    }
    assert {key: service.get(key) for key in expected} == expected
    # The service writes nothing: a writable path would need a reason.
    assert "ReadWritePaths" not in service


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_reads_the_settings_file_the_cli_reads(name: str) -> None:
    service = unit(name)["Service"]
    assert service["EnvironmentFile"] == SETTINGS
    assert service["Environment"] == f"REGISTRY_SETTINGS={SETTINGS}"


def test_the_maintenance_service_runs_the_retention_command() -> None:
    service = unit("registry-maintenance.service")["Service"]
    assert service["Type"] == "oneshot"
    program, *words = shlex.split(service["ExecStart"])
    assert program == f"{INSTALLED}/.venv/bin/flask"
    assert (Path(sys.executable).parent / "flask").exists()  # what the venv installs
    assert words[:2] == ["--app", "wsgi"]
    assert (ROOT / "wsgi.py").is_file()
    app = Flask("units")
    cli.init_app(app)
    command: click.Command | None = app.cli
    for word in words[2:]:
        assert isinstance(command, click.Group), word
        command = command.commands.get(word)
    assert command is not None and not isinstance(command, click.Group), words


def test_the_timer_starts_the_maintenance_service_daily() -> None:
    timer = unit("registry-maintenance.timer")
    assert timer["Timer"]["OnCalendar"] == "daily"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    # No Unit=: the timer starts the service of its own name.
    assert "Unit" not in timer["Timer"]
    assert (UNITS / "registry-maintenance.service").is_file()


def test_the_settings_named_are_settings_of_the_service() -> None:
    known = known_settings()
    lines = [
        line
        for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for line in lines:
        # One plain NAME=value: no quotes or trailing comment, which systemd and
        # python-dotenv would read differently.
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*=[^\s#'\"]*", line), line
    names = {line.split("=", 1)[0] for line in lines}
    assert names <= known, names - known
    for name in SERVICES:
        for assignment in shlex.split(unit(name)["Service"]["Environment"]):
            assert assignment.split("=", 1)[0] in known
    # The secrets are left empty: the service refuses to start until they are set.
    assert {"SECRET_KEY=", "PII_KEY="} <= set(lines)
    assert "TRUSTED_PROXY_HOPS=1" in lines
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        config.validate(config.from_environment(dict(line.split("=", 1) for line in lines)))
