"""CPU accounting: /proc/<pid>/stat read into process trees, children's time counted once.

A fake /proc tree checks the arithmetic; real child processes that burn a known amount of
processor time (measured by themselves, so the machine's speed does not matter) check that
the live tree, the reaped children and the load generator are all counted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench import cpu

#: A child that uses this many processor seconds (by its own clock) and then ends.
BURN_S = 0.3
BURN = f"import time\nwhile time.process_time() < {BURN_S}:\n    pass\n"


def stat_line(pid: int, ppid: int, name: str, times: tuple[int, int, int, int]) -> str:
    """A /proc/<pid>/stat line with the given parent and utime, stime, cutime, cstime."""
    fields = ["S", str(ppid), *["0"] * 9, *map(str, times), *["0"] * 30]
    return f"{pid} ({name}) {' '.join(fields)}\n"


def fake_proc(root: Path, processes: dict[int, tuple[int, str, tuple[int, int, int, int]]]) -> Path:
    for pid, (ppid, name, times) in processes.items():
        (root / str(pid)).mkdir()
        (root / str(pid) / "stat").write_text(stat_line(pid, ppid, name, times))
    (root / "self").mkdir()  # not a process id: ignored
    return root


def test_parse_stat_reads_times_after_the_command_name() -> None:
    stat = cpu.parse_stat(stat_line(42, 7, "post (gres) x", (11, 12, 13, 14)))
    assert stat == cpu.Stat(pid=42, ppid=7, utime=11, stime=12, cutime=13, cstime=14)


def test_a_tree_counts_its_live_processes_and_what_they_reaped(tmp_path: Path) -> None:
    proc = fake_proc(
        tmp_path,
        {
            100: (1, "postgres", (10, 5, 300, 30)),  # has reaped backends worth 330 ticks
            101: (100, "postgres: checkpointer", (1, 1, 0, 0)),
            102: (100, "postgres: bench registry", (20, 10, 0, 0)),
            103: (102, "child of a backend", (4, 0, 0, 0)),
            200: (1, "gunicorn", (50, 50, 0, 0)),  # another tree
        },
    )
    table = cpu.processes(proc)
    assert sorted(s.pid for s in cpu.tree(100, table)) == [100, 101, 102, 103]
    assert cpu.ticks_of(cpu.tree(100, table)) == 345 + 2 + 30 + 4
    assert cpu.tree(999, table) == []
    meter = cpu.Meter({"postgres": 100, "server": 200, "redis": None}, proc=proc, tick=0.01)
    sample = meter.sample()
    assert sample.seconds["postgres"] == pytest.approx(3.81)
    assert sample.seconds["server"] == pytest.approx(1.0)
    assert (sample.seconds["redis"], sample.sizes["redis"]) == (0.0, 0)
    assert sample.sizes["postgres"] == 4


def test_an_exited_backend_moves_into_its_parents_reaped_time(tmp_path: Path) -> None:
    proc = fake_proc(
        tmp_path,
        {100: (1, "postgres", (10, 0, 0, 0)), 102: (100, "backend", (40, 20, 0, 0))},
    )
    meter = cpu.Meter({"postgres": 100}, proc=proc, tick=0.01)
    before = meter.sample()
    # The backend works 30 more ticks, exits, and is reaped: its 90 ticks move to the parent.
    (proc / "102" / "stat").unlink()
    (proc / "102").rmdir()
    (proc / "100" / "stat").write_text(stat_line(100, 1, "postgres", (10, 0, 70, 20)))
    spent = meter.since(before, settle_s=0)
    assert spent["postgres"] == pytest.approx(0.3)


def test_a_process_started_during_a_run_counts_while_it_lives(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, {100: (1, "postgres", (10, 0, 0, 0))})
    meter = cpu.Meter({"postgres": 100}, proc=proc, tick=0.01)
    before = meter.sample()
    (proc / "101").mkdir()
    (proc / "101" / "stat").write_text(stat_line(101, 100, "backend", (5, 0, 0, 0)))
    spent = meter.since(before, settle_s=0)
    assert spent["postgres"] == pytest.approx(0.05)


def test_real_children_reaped_by_a_tree_are_counted() -> None:
    parent = subprocess.Popen(  # noqa: S603  # this interpreter, our own code
        [
            sys.executable,
            "-c",
            "import subprocess, sys\n"
            f"subprocess.run([sys.executable, '-c', {BURN!r}], check=True)\n"
            "print('done', flush=True)\n"
            "sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        meter = cpu.Meter({"server": parent.pid})
        before = meter.sample()
        assert parent.stdout is not None
        assert parent.stdout.readline() == "done\n"  # the child burned, ended, was reaped
        spent = meter.since(before, settle_s=0)
        assert spent["server"] >= BURN_S - 0.05
    finally:
        parent.communicate("\n", timeout=30)


def test_the_load_generator_is_counted_when_it_ends() -> None:
    meter = cpu.Meter({})
    before = meter.sample()
    subprocess.run([sys.executable, "-c", BURN], check=True)  # noqa: S603
    spent = meter.since(before, settle_s=0)
    assert spent["load_generator"] >= BURN_S - 0.05


def test_accounts_divide_by_the_requests_served() -> None:
    account = cpu.Account()
    assert account.per_request_us()["total"] is None
    account.add({"server": 0.9, "postgres": 0.05, "load_generator": 0.05}, 500)
    account.add({"server": 0.9, "postgres": 0.05, "redis": 0.02, "load_generator": 0.03}, 500)
    us = account.per_request_us()
    assert us == {
        "server": 1800.0,
        "pgbouncer": None,  # not metered: the run went straight to PostgreSQL
        "postgres": 100.0,
        "redis": 20.0,
        "load_generator": 80.0,
        "total": 2000.0,
    }
    assert cpu.share(us, "load_generator") == pytest.approx(0.04)
    assert cpu.line(us, "wrk") == (
        "CPU per request (µs): server 1,800, postgres 100, redis 20, wrk 80 (4% of all)"
    )


def test_a_run_through_pgbouncer_counts_it() -> None:
    account = cpu.Account()
    account.add({"server": 0.8, "pgbouncer": 0.1, "postgres": 0.05, "load_generator": 0.05}, 1000)
    us = account.per_request_us()
    assert (us["pgbouncer"], us["total"]) == (100.0, 1000.0)
    assert cpu.line(us, "wrk") == (
        "CPU per request (µs): server 800, pgbouncer 100, postgres 50, redis 0, wrk 50 (5% of all)"
    )
