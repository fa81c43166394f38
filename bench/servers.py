"""Starting the registry under a WSGI server for the bench, and reading its workers' memory.

The production set-up is scripts/serve.sh (granian), as `make run` starts it; its variants
change only the number of processes and threads. Every set-up logs each request as production
does (gunicorn, the alternative, in the same fields, from ``gunicorn.conf.py``, which it reads
from the working directory): the log is work a production server does per request, so every
set-up pays for it. A server's output goes to a file of the run.
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


#: The production set-up (`make run`: scripts/serve.sh); the others are measured beside it.
PRODUCTION = "granian"
#: The production server's command; options given after it override its defaults.
SERVE = ("bash", str(ROOT / "scripts" / "serve.sh"))


def granian(workers: int, threads: int) -> tuple[str, ...]:
    """scripts/serve.sh with ``workers`` processes of ``threads`` blocking threads."""
    return (
        *SERVE,
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--port",
        "{port}",
    )


def setups(workers: int) -> dict[str, ServerSetup]:
    """The server set-ups the bench knows (:data:`PRODUCTION` is the one `make run` starts)."""
    return {
        "gunicorn": ServerSetup(
            "gunicorn",
            f"gunicorn, {workers} gthread workers x 4 threads, access log on",
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
        **{
            name: ServerSetup(
                name,
                f"granian (Rust), WSGI, {count} workers x {threads} blocking thread"
                f"{'s' if threads > 1 else ''}{' (as make run)' if name == PRODUCTION else ''},"
                " access log on",
                granian(count, threads),
            )
            for name, count, threads in (
                ("granian", workers, 4),
                ("granian-2", workers, 2),
                ("granian-1", workers, 1),
                ("granian-procs", 2 * workers, 1),
            )
        },
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
