"""The bench's result: one table on the terminal and ``bench/results/latest.json``.

Each figure is the service's, with its ceiling and their ratio where the database's own does
the same work, and ``scaled``: the figure at the machine speed of the day the goals were set
(this machine's speed swings about fourfold between days, the ratios do not), which is what
the goals on milliseconds are judged on.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

#: pgbench lookups per second on the day the goals were set: ``scaled`` figures are this
#: run's figures as they would be on a machine that fast (speed swings fourfold between days).
REFERENCE_LOOKUP_RPS = 38_473


@dataclass(frozen=True, slots=True)
class Goal:
    """A figure's goal: a bound on the service ("min" or "max"), on ratios to the ceilings."""

    direction: Literal["min", "max"]
    bound: float | None = None
    ratio: float | None = None
    fair_ratio: float | None = None


#: The goals, per figure. A bound on milliseconds (or seconds) is judged on the scaled figure.
GOALS: dict[str, Goal] = {
    "import_rows_per_s": Goal("min", 50_000, fair_ratio=0.5),
    "lookup_rps": Goal("min", ratio=0.15),
    "lookup_p99_ms": Goal("max", 20),
    "reverse_rps": Goal("min", ratio=0.3),
    "reverse_p99_ms": Goal("max", 20),
    "validate_batch_1000_ms": Goal("max", 30),
    "search_p95_ms": Goal("max", 30),
    "search_recall": Goal("min", 0.95),
    "qr_png_ms": Goal("max", 3),
    "dashboard_p95_ms": Goal("max", 200),
    "worker_rss_mb": Goal("max", 200),
    "bytes_per_address": Goal("max", 1000),
    "opendata_page_1000_ms": Goal("max", 300),
    "opendata_page_1000_p95_ms": Goal("max", 300),
    # At 1,000,000 addresses in the province (the smoke run exports 3,000).
    "opendata_export_province_s": Goal("max", 60),
}

#: Units of latencies (and durations): scaled like a latency, judged on the scaled figure.
TIME_UNITS = ("ms", "s")


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure; ``ratio`` is service / ceiling, ``fair_ratio`` service / fair one.

    ``scaled`` is the service figure at the reference machine speed (:func:`scaled`).
    """

    name: str
    unit: str
    service: float | None
    ceiling: float | None = None
    ratio: float | None = None
    fair_ceiling: float | None = None
    fair_ratio: float | None = None
    scaled: float | None = None

    @classmethod
    def of(
        cls,
        name: str,
        unit: str,
        service: float | None,
        ceiling: float | None = None,
        fair_ceiling: float | None = None,
    ) -> Figure:
        """A figure with its ratios computed (None without a ceiling)."""
        return cls(
            name,
            unit,
            service,
            ceiling,
            _ratio(service, ceiling),
            fair_ceiling,
            _ratio(service, fair_ceiling),
        )

    @property
    def goal_name(self) -> str:
        """The figure's name without the server set-up it was measured on."""
        return self.name.rpartition(".")[2]


def _ratio(service: float | None, ceiling: float | None) -> float | None:
    return service / ceiling if service is not None and ceiling else None


def scale_factor(figure: Figure, lookup_rps: float | None) -> float | None:
    """What ``figure`` is multiplied by to give it at :data:`REFERENCE_LOOKUP_RPS`.

    Latencies and durations shrink on a faster machine (x rate / reference), the import rate grows
    (x reference / rate); other figures are not scaled (None).
    """
    if not lookup_rps:
        return None
    if figure.unit in TIME_UNITS:
        return lookup_rps / REFERENCE_LOOKUP_RPS
    if figure.goal_name == "import_rows_per_s":
        return REFERENCE_LOOKUP_RPS / lookup_rps
    return None


def scaled(figure: Figure, lookup_rps: float | None) -> Figure:
    """``figure`` with its ``scaled`` value, given this run's pgbench lookup rate."""
    factor = scale_factor(figure, lookup_rps)
    if factor is None or figure.service is None:
        return figure
    return replace(figure, scaled=figure.service * factor)


def verdict(figure: Figure) -> str:
    """ "met", "missed" or "" (no goal for this figure) for the figure's goal."""
    goal = GOALS.get(figure.name)
    if goal is None:
        return ""
    if figure.service is None:
        return "not measured"
    judged = figure.service
    if figure.unit in TIME_UNITS and figure.scaled is not None:
        judged = figure.scaled
    ok = True
    if goal.bound is not None:
        ok &= judged >= goal.bound if goal.direction == "min" else judged <= goal.bound
    for bound, ratio in ((goal.ratio, figure.ratio), (goal.fair_ratio, figure.fair_ratio)):
        if bound is not None:
            ok &= ratio is not None and ratio >= bound
    return "met" if ok else "missed"


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if abs(value) >= 1 or value == 0 else f"{value:.3f}"


def _ratio_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def table(figures: Sequence[Figure]) -> str:
    """The figures as a fixed-width table (an import's fair ceiling on a line of its own)."""
    header = ("figure", "unit", "service", "scaled", "ceiling", "ratio", "goal")
    rows: list[tuple[str, ...]] = []
    for f in figures:
        rows.append(
            (
                f.name,
                f.unit,
                _number(f.service),
                _number(f.scaled),
                _number(f.ceiling),
                _ratio_text(f.ratio),
                verdict(f),
            )
        )
        if f.fair_ceiling is not None:
            fair = (_number(f.fair_ceiling), _ratio_text(f.fair_ratio))
            rows.append(("  fair ceiling", "", "", "", *fair, ""))
    return _aligned(header, rows)


def _aligned(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _microseconds(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def cpu_table(per_request: dict[str, dict[str, float | None]]) -> str:
    """Processor microseconds per request of each load run kind, by component."""
    header = (
        "cpu per request",
        "server",
        "pgbouncer",
        "postgres",
        "redis",
        "load gen.",
        "total",
        "load gen. %",
    )
    rows = []
    for name, us in per_request.items():
        total, generator = us.get("total"), us.get("load_generator")
        share = f"{generator / total:.0%}" if total and generator is not None else "-"
        rows.append(
            (
                name,
                *(
                    _microseconds(us.get(component))
                    for component in (
                        "server",
                        "pgbouncer",
                        "postgres",
                        "redis",
                        "load_generator",
                        "total",
                    )
                ),
                share,
            )
        )
    return _aligned(header, rows)


def machine(extra: dict[str, Any]) -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        memory_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        **extra,
    }


def write(
    path: Path,
    machine_info: dict[str, Any],
    n: int,
    figures: Sequence[Figure],
    details: dict[str, Any],
) -> None:
    """Write the JSON result (figures in the issue's shape, then the details)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "machine": machine_info,
        "n": n,
        "figures": [asdict(figure) for figure in figures],
        "goals": {f.name: verdict(f) for f in figures if f.name in GOALS},
        "details": details,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
