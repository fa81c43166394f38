"""Headless Chromium driven over the DevTools protocol on a pipe: no Python dependency needed.

Chromium started with ``--remote-debugging-pipe`` reads protocol messages (JSON, each ended by
a NUL byte) on file descriptor 3 and writes its answers and events on descriptor 4. That is
enough to load a page on a phone-sized screen, read what it shows (``innerText`` counts only
rendered text), click like a finger and take a screenshot.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

#: The flags a root session needs on this kind of machine (no sandbox, no background network).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
)
TIMEOUT_S = 30.0
#: Puts the two pipe ends given as arguments on descriptors 3 and 4, then runs the rest of the
#: arguments (whatever numbers the ends had: they are first moved above 10 so none is clobbered).
_TRAMPOLINE = """
import fcntl, os, sys
ends = [fcntl.fcntl(int(fd), fcntl.F_DUPFD_CLOEXEC, 10) for fd in sys.argv[1:3]]
for fd in sys.argv[1:3]:
    os.close(int(fd))
os.dup2(ends[0], 3)
os.dup2(ends[1], 4)
os.execv(sys.argv[3], sys.argv[3:])
"""


class BrowserError(RuntimeError):
    """Chromium is missing, died, timed out or answered a command with an error."""


class Browser:
    """One headless Chromium with one page, emulating a phone screen."""

    def __init__(self, width: int = 412, height: int = 915, scale: float = 1.0) -> None:
        executable = shutil.which("chromium")
        if executable is None:
            raise BrowserError("chromium is required (apt-get install chromium)")
        self._profile = tempfile.TemporaryDirectory(prefix="scan-chromium-")
        self._log = Path(self._profile.name, "chromium.log").open("wb")  # noqa: SIM115 (closed in close())
        to_browser, commands = os.pipe()
        answers, from_browser = os.pipe()
        self._process = subprocess.Popen(  # noqa: S603 (fixed programs, arguments made here)
            [
                sys.executable,
                "-c",
                _TRAMPOLINE,
                str(to_browser),
                str(from_browser),
                executable,
                *CHROMIUM_FLAGS,
                "--remote-debugging-pipe",
                f"--user-data-dir={self._profile.name}",
                f"--window-size={width},{height}",
            ],
            pass_fds=(to_browser, from_browser),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._commands = commands
        self._answers = answers
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self._url = "about:blank"
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        attached = self.send("Target.attachToTarget", targetId=target, flatten=True)
        self._session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.page(f"{domain}.enable")
        self.page(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=scale,
            mobile=True,
        )
        self.page("Emulation.setFocusEmulationEnabled", enabled=True)

    # --- protocol ----------------------------------------------------------------------

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            self.events.append(answer)

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        """A command to the page's session."""
        return self.send(method, self._session, **params)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError(f"no answer from chromium within {TIMEOUT_S} s")
            ready, _, _ = select.select([self._answers], [], [], remaining)
            if ready:
                data = os.read(self._answers, 1 << 16)
                if not data:
                    raise BrowserError(f"chromium exited: {self.log()[-2000:]}")
                self._buffer += data
        message, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def wait_for(self, event: str) -> dict[str, Any]:
        """The next page event called ``event`` (one already received counts)."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            for index, message in enumerate(self.events):
                if message.get("method") == event and message.get("sessionId") == self._session:
                    del self.events[index]
                    params: dict[str, Any] = message.get("params", {})
                    return params
            self.events.append(self._read(deadline))

    # --- what a person does and sees -----------------------------------------------------

    def open(self, url: str) -> int:
        """Load ``url`` and wait until it has loaded; returns the HTTP status of the document."""
        self.events.clear()
        self._url = url
        self.page("Network.enable")
        navigation = self.page("Page.navigate", url=url)
        if "errorText" in navigation:
            raise BrowserError(f"{url}: {navigation['errorText']}")
        self.wait_for("Page.loadEventFired")
        status = 0
        for message in self.events:
            params = message.get("params", {})
            if message.get("method") == "Network.responseReceived" and params.get("type") == (
                "Document"
            ):
                status = int(params["response"]["status"])
        self.page("Network.disable")
        return status

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        result = self.page(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_until(self, expression: str, timeout: float = 5.0) -> Any:
        """The first truthy value of ``expression``, polled in the page until ``timeout``."""
        deadline = time.monotonic() + timeout
        while not (value := self.evaluate(expression)):
            if time.monotonic() > deadline:
                raise BrowserError(f"{expression} stayed {value!r} for {timeout} s")
            time.sleep(0.05)
        return value

    def text(self) -> str:
        """The text the page shows (rendered text only, as a person reads it)."""
        return str(self.evaluate("document.body.innerText"))

    def tap(self, selector: str) -> None:
        """Press and release at the centre of the element, like a finger or a mouse."""
        box = self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.page("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self, path: Path, *, full_page: bool = False) -> bytes:
        """Save a PNG of the screen (or the whole page) to ``path`` and return it."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            height = self.evaluate("document.documentElement.scrollHeight")
            width = self.evaluate("window.innerWidth")
            params.update(
                captureBeyondViewport=True,
                clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            )
        png = base64.b64decode(self.page("Page.captureScreenshot", **params)["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        return png

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and blocked resources (e.g. CSP) seen so far.

        The error status of the page itself (an error page's 404) is not a problem.
        """
        found = []
        for message in self.events:
            method, params = message.get("method"), message.get("params", {})
            entry = params.get("entry", {})
            if (
                entry.get("source") == "network"
                and entry.get("url", "").upper() == self._url.upper()
            ):
                continue
            if method == "Runtime.exceptionThrown":
                found.append(str(params["exceptionDetails"].get("text")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(" ".join(str(arg.get("value")) for arg in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(str(params["entry"].get("text")))
        return found

    def log(self) -> str:
        """What Chromium wrote to its standard output and error."""
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")

    # --- lifetime ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the browser (politely, then firmly) and remove its profile."""
        with contextlib.suppress(BrowserError, OSError):
            self.send("Browser.close")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        for fd in (self._commands, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._log.close()
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
