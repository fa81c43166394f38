"""Starting the registry under a WSGI server for the bench, and reading its workers' memory.

Every set-up logs each request as production does (gunicorn's access log to standard output,
in ``gunicorn.conf.py``'s format, which gunicorn reads from the working directory; granian's
in the same fields): the log is work a production server does per request, so every set-up
pays for it. A server's output goes to a file of the run.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True, slots=True)
class ServerSetup:
    """How to start one server set-up; ``{port}`` and ``{workers}`` are filled in."""

    name: str
    description: str
    command: tuple[str, ...]


#: The production set-up (`make run`); the others are measured as alternatives to it.
PRODUCTION = "gunicorn"
#: granian's access log in the fields of gunicorn.conf.py's: the path, never the query string.
GRANIAN_ACCESS_LOG = (
    '%(addr)s [%(time)s] "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).3fms'
)


def setups(workers: int) -> dict[str, ServerSetup]:
    """The server set-ups the bench knows (:data:`PRODUCTION` is the one `make run` starts)."""
    return {
        "gunicorn": ServerSetup(
            "gunicorn",
            f"gunicorn, {workers} gthread workers x 4 threads (as make run), access log on",
            (
                str(BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--timeout",
                "120",
                "--bind",
                "127.0.0.1:{port}",
                "--access-logfile",
                "-",
                "wsgi:app",
            ),
        ),
        "gunicorn-sync": ServerSetup(
            "gunicorn-sync",
            f"gunicorn, {workers} sync workers (no keep-alive), access log on",
            (
                str(BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                "127.0.0.1:{port}",
                "--access-logfile",
                "-",
                "wsgi:app",
            ),
        ),
        "granian": ServerSetup(
            "granian",
            f"granian (Rust), WSGI, {workers} workers, 1 blocking thread each, access log on",
            (
                str(BIN / "granian"),
                "--interface",
                "wsgi",
                "--workers",
                str(workers),
                "--blocking-threads",
                "1",
                "--host",
                "127.0.0.1",
                "--port",
                "{port}",
                "--access-log",
                "--access-log-fmt",
                GRANIAN_ACCESS_LOG,
                "wsgi:app",
            ),
        ),
    }


class Server:
    """A running server set-up (its output goes to a log file)."""

    def __init__(self, setup: ServerSetup, port: int, env: dict[str, str], log: Path) -> None:
        self.setup = setup
        self.port = port
        self.log = log
        command = [part.format(port=port) for part in setup.command]
        self._log = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603  # our own command line
            command,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()  # a server that never got ready must not outlive the run
            raise

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.setup.name} exited; see {self.log}")
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", "/readyz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                connection.close()
            time.sleep(0.2)
        raise RuntimeError(f"{self.setup.name} not ready after {timeout:.0f} s; see {self.log}")

    def worker_pids(self) -> list[int]:
        """Process ids of the workers (the children of the server's main process)."""
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(
                    line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
                )
            except OSError:
                continue
            if int(fields.get("PPid", "0").strip()) == self.process.pid:
                found.append(int(status.parent.name))
        return found

    def peak_worker_rss_mb(self) -> float | None:
        """The largest peak resident memory (VmHWM) of a worker, in MiB."""
        peaks = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                continue
        return max(peaks) if peaks else None

    def stop(self) -> None:
        """Stop the server and its workers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()
