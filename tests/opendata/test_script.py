"""`scripts/opendata.sh`, as `make run` uses it: a stale server is replaced, and the server
stops when the process it watches (make run's make) ends."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.opendata.conftest import Planted, _free_port, opendata_script, server_environment


@pytest.fixture
def script_env(
    database_url: str, read_url: str, planted: Planted, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """The environment of a server of this test's own (stopped afterwards whatever happens)."""
    env = server_environment(database_url, read_url, tmp_path, _free_port())
    yield env
    opendata_script(env, "stop")


def answers(env: dict[str, str]) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", int(env["OPENDATA_PORT"]))) == 0


def server_pid(env: dict[str, str]) -> int:
    return int((Path(env["OPENDATA_STATE_DIR"]) / "opendata.pid").read_text())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return "Z"


def wait_until(condition: object, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]  # a callable
            return True
        time.sleep(0.2)
    return False


def test_a_second_start_replaces_a_stale_server(script_env: dict[str, str]) -> None:
    first = opendata_script(script_env, "start")
    assert first.returncode == 0, first.stderr
    stale = server_pid(script_env)
    second = opendata_script(script_env, "start")
    assert second.returncode == 0, second.stderr
    assert second.stdout == f"open data: http://127.0.0.1:{script_env['OPENDATA_PORT']}/\n"
    assert server_pid(script_env) != stale and not alive(stale)
    assert answers(script_env)
    stopped = opendata_script(script_env, "stop")
    assert stopped.returncode == 0
    assert wait_until(lambda: not answers(script_env))


def test_the_server_stops_when_the_watched_process_ends(script_env: dict[str, str]) -> None:
    watched = subprocess.Popen(["sleep", "600"])  # noqa: S607 -- stands in for make
    try:
        started = opendata_script(script_env, "start", str(watched.pid))
        assert started.returncode == 0, started.stderr
        server = server_pid(script_env)
        time.sleep(2)
        assert alive(server) and answers(script_env)
    finally:
        watched.terminate()
        watched.wait()
    assert wait_until(lambda: not alive(server))
    assert not answers(script_env)
    assert not (Path(script_env["OPENDATA_STATE_DIR"]) / "opendata.pid").exists()


def test_a_port_taken_by_another_program_is_refused(script_env: dict[str, str]) -> None:
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past a stopped server's
        other.bind(("127.0.0.1", int(script_env["OPENDATA_PORT"])))
        other.listen()
        started = opendata_script(script_env, "start")
    assert started.returncode == 1
    assert "something else listens on" in started.stderr
