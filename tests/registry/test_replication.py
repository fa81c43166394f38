"""The replica's lag, without a replica: WAL positions, the bound, the per-second cache.

Measuring a real standby (paused, behind, down, promoted) is tested on clusters of its own in
``tests/cluster/``.
"""

from __future__ import annotations

import threading
import time

from registry.replication import LagMonitor, StandbyState, lsn


def test_wal_positions_are_byte_numbers() -> None:
    assert lsn("0/0") == 0
    assert lsn("0/3000148") == 0x3000148
    assert lsn("16/B374D848") - lsn("16/B374D800") == 0x48
    assert lsn("1/0") == 1 << 32


def test_reads_go_to_a_standby_only_while_it_is_up_a_standby_and_within_the_bound() -> None:
    assert StandbyState(True, True, 0.0).within(5)
    assert StandbyState(True, True, 5.0).within(5)
    assert not StandbyState(True, True, 5.1).within(5)
    assert not StandbyState(True, True, None).within(5)  # behind, nothing replayed yet
    assert not StandbyState(True, False, 0.0).within(5)  # promoted
    assert not StandbyState(False).within(5)


def test_a_measurement_is_kept_for_a_while_and_made_by_one_thread_at_a_time() -> None:
    calls: list[float] = []
    started, release = threading.Event(), threading.Event()

    def measure() -> StandbyState:
        calls.append(time.monotonic())
        if len(calls) == 2:  # the second measurement is slow
            started.set()
            release.wait(5)
        return StandbyState(True, True, float(len(calls)), at=time.monotonic())

    monitor = LagMonitor(measure, every=0.2)
    first = monitor.state()
    assert first is not None and first.lag_seconds == 1.0
    assert monitor.state() is first and len(calls) == 1  # kept
    time.sleep(0.25)
    slow = threading.Thread(target=monitor.state)
    slow.start()
    assert started.wait(5)
    assert monitor.state() is first  # another thread is measuring: the previous state
    release.set()
    slow.join(5)
    second = monitor.state()
    assert second is not None and second.lag_seconds == 2.0 and len(calls) == 2
    monitor.mark_down()
    down = monitor.state()
    assert down is not None and not down.reachable and len(calls) == 2  # until the next check
    assert monitor.last is down
