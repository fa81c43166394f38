"""Where the CPU goes: processor seconds of the server, PgBouncer (when a run goes through
one), PostgreSQL, Redis and the load generator.

A component is a process tree: its root (the server's master, pgbouncer, the postmaster,
redis-server) and every descendant alive. Its seconds are, from ``/proc/<pid>/stat``, the user
and system time of each live process plus the time of the children each has already reaped (a
backend that served pgbench and exited counts in the postmaster's ``cutime``/``cstime``). The load
generator is a child of the bench itself, reaped when it ends: its seconds are the growth of
the bench's own reaped-children times (``getrusage(RUSAGE_CHILDREN)``) over the run, and the
bench runs nothing else while it waits.

The difference of two samples, taken just before and after a load run, is what each
component spent on it; divided by the requests served, the CPU cost of one request. A pgbench
run's backends start and end with it, so their start (PostGIS readying itself, tens of
milliseconds each) is in the database's time, a few per cent of a ten-second run.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
#: Components in the order they are reported (a run meters "pgbouncer" only through one).
COMPONENTS = ("server", "pgbouncer", "postgres", "redis", "load_generator")
#: How long to wait for the backends of a finished load run to exit (and be counted).
SETTLE_S = 3.0


@dataclass(frozen=True, slots=True)
class Stat:
    """The fields of ``/proc/<pid>/stat`` this module reads (times in clock ticks)."""

    pid: int
    ppid: int
    utime: int
    stime: int
    cutime: int
    cstime: int


def parse_stat(text: str) -> Stat:
    """A ``/proc/<pid>/stat`` line (the command name may hold spaces and parentheses)."""
    head, _, tail = text.rpartition(")")
    pid = int(head.split("(", 1)[0])
    fields = tail.split()
    # fields[0] is field 3 (state): ppid is field 4, utime..cstime fields 14 to 17.
    return Stat(pid, int(fields[1]), *(int(fields[i]) for i in range(11, 15)))


def processes(proc: Path = PROC) -> dict[int, Stat]:
    """Every process readable now, by id (processes that exit while being read are left out)."""
    found = {}
    for path in proc.glob("[0-9]*/stat"):
        try:
            stat = parse_stat(path.read_text())
        except (OSError, ValueError, IndexError):
            continue
        found[stat.pid] = stat
    return found


def tree(root: int, table: Mapping[int, Stat]) -> list[Stat]:
    """``root`` and its live descendants (empty when ``root`` is gone)."""
    children: dict[int, list[int]] = {}
    for stat in table.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    if root not in table:
        return []
    found, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        found.append(table[pid])
        waiting += children.get(pid, [])
    return found


def ticks_of(stats: Iterable[Stat]) -> int:
    """Clock ticks of a process tree: live processes and the children they have reaped."""
    return sum(s.utime + s.stime + s.cutime + s.cstime for s in stats)


def reaped_children_seconds() -> float:
    """Processor seconds of this process's children that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class Sample:
    """Seconds per component so far, and how many processes each tree had."""

    seconds: dict[str, float]
    sizes: dict[str, int]


@dataclass
class Meter:
    """Samples the components' processor seconds; roots are process ids (None: not running)."""

    roots: dict[str, int | None]
    proc: Path = PROC
    tick: float = field(default_factory=lambda: 1.0 / os.sysconf("SC_CLK_TCK"))

    def sample(self) -> Sample:
        """The seconds of every component now."""
        table = processes(self.proc)
        seconds: dict[str, float] = {}
        sizes: dict[str, int] = {}
        for name, root in self.roots.items():
            stats = tree(root, table) if root is not None else []
            seconds[name] = ticks_of(stats) * self.tick
            sizes[name] = len(stats)
        seconds["load_generator"] = reaped_children_seconds()
        return Sample(seconds, sizes)

    def since(self, before: Sample, settle_s: float = SETTLE_S) -> dict[str, float]:
        """Seconds each component spent since ``before``.

        Waits (up to ``settle_s``) until no tree has more processes than at ``before``: the
        backends of a finished pgbench must have exited, or their time is not counted yet.
        """
        deadline = time.monotonic() + settle_s
        after = self.sample()
        while time.monotonic() < deadline and any(
            after.sizes[name] > before.sizes[name] for name in before.sizes
        ):
            time.sleep(0.02)
            after = self.sample()
        return {
            name: max(after.seconds[name] - before.seconds[name], 0.0) for name in after.seconds
        }


@dataclass
class Account:
    """Processor seconds and requests served, summed over the runs of one kind."""

    seconds: dict[str, float] = field(default_factory=dict)
    requests: int = 0

    def add(self, seconds: Mapping[str, float], requests: int) -> None:
        """Count one run."""
        for name, value in seconds.items():
            self.seconds[name] = self.seconds.get(name, 0.0) + value
        self.requests += requests

    def per_request_us(self) -> dict[str, float | None]:
        """Microseconds of processor time per request, per component and in all.

        PgBouncer is None in runs that do not go through one (the other components are always
        metered, at zero when not running).
        """
        if not self.requests:
            return dict.fromkeys([*COMPONENTS, "total"])
        us: dict[str, float | None] = {
            name: round(self.seconds.get(name, 0.0) / self.requests * 1e6, 1) for name in COMPONENTS
        }
        if "pgbouncer" not in self.seconds:
            us["pgbouncer"] = None
        return {**us, "total": round(sum(value for value in us.values() if value), 1)}


def share(per_request: Mapping[str, float | None], component: str) -> float | None:
    """The share of all processor time per request that ``component`` took."""
    total, part = per_request.get("total"), per_request.get(component)
    if not total or part is None:
        return None
    return part / total


def line(per_request: Mapping[str, float | None], generator: str) -> str:
    """One run's processor time per request, for the log."""

    def us(component: str) -> str:
        value = per_request.get(component)
        return "-" if value is None else f"{value:,.0f}"

    taken = share(per_request, "load_generator")
    pooler = "" if per_request.get("pgbouncer") is None else f", pgbouncer {us('pgbouncer')}"
    return (
        f"CPU per request (µs): server {us('server')}{pooler}, postgres {us('postgres')},"
        f" redis {us('redis')}, {generator} {us('load_generator')}"
        + ("" if taken is None else f" ({taken:.0%} of all)")
    )
