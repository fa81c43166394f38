"""A throwaway redis-server for one run (the limiter store of the bench, the soak, fault tests).

It listens on 127.0.0.1 on a free port, keeps nothing on disk, and runs as a daemon whose
process id is in its own directory, so :meth:`Redis.stop` ends that process and no other.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bench.cluster import free_port

HOST = "127.0.0.1"


class Redis:
    """A redis-server of our own on a free port, without persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="registry-redis-"))
        self.url = f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it answers PING."""
        subprocess.run(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--dir",
                str(self.dir),
                "--pidfile",
                str(self.dir / "redis.pid"),
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.command("PING") == "+PONG":
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not answer; see {self.dir}")

    def pid(self) -> int | None:
        """Process id of the running redis-server (None: not started)."""
        pid_file = self.dir / "redis.pid"
        return int(pid_file.read_text()) if pid_file.exists() else None

    def command(self, *words: str) -> str | None:
        """One command in RESP; the first line of the answer, None when nothing listens."""
        request = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
        try:
            with socket.create_connection((HOST, self.port), timeout=2) as connection:
                connection.sendall(request.encode())
                return connection.recv(65536).decode().split("\r\n", 1)[0]
        except OSError:
            return None

    def stop(self) -> None:
        """Shut it down (no save) and wait until the port is closed."""
        pid = self.pid()
        self.command("SHUTDOWN", "NOSAVE")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.command("PING") is not None:
            time.sleep(0.05)
        if pid is not None and self.command("PING") is not None:
            os.kill(pid, signal.SIGKILL)  # our own redis-server, by its id

    def remove(self) -> None:
        """Stop it and delete its directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
