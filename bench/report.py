"""The bench's result: one table on the terminal and ``bench/results/latest.json``."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: The goals of issue 6, per figure: ("min" or "max", bound on the service, bound on the ratio).
GOALS: dict[str, tuple[str, float | None, float | None]] = {
    "import_rows_per_s": ("min", 100_000, 0.2),
    "lookup_rps": ("min", None, 0.15),
    "lookup_p99_ms": ("max", 20, None),
    "reverse_rps": ("min", None, 0.3),
    "reverse_p99_ms": ("max", 20, None),
    "validate_batch_1000_ms": ("max", 50, None),
    "search_p95_ms": ("max", 30, None),
    "qr_png_ms": ("max", 10, None),
    "plate_pdf_ms": ("max", 50, None),
    "worker_rss_mb": ("max", 200, None),
    "bytes_per_address": ("max", 1000, None),
}


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure; ``ratio`` is service / ceiling."""

    name: str
    unit: str
    service: float | None
    ceiling: float | None = None
    ratio: float | None = None

    @classmethod
    def of(
        cls, name: str, unit: str, service: float | None, ceiling: float | None = None
    ) -> Figure:
        """A figure with its ratio computed (None without a ceiling)."""
        ratio = service / ceiling if service is not None and ceiling else None
        return cls(name, unit, service, ceiling, ratio)


def verdict(figure: Figure) -> str:
    """ "met", "missed" or "" (no goal for this figure) for the figure's goal."""
    goal = GOALS.get(figure.name)
    if goal is None:
        return ""
    if figure.service is None:
        return "not measured"
    direction, bound, ratio_bound = goal
    ok = True
    if bound is not None:
        ok &= figure.service >= bound if direction == "min" else figure.service <= bound
    if ratio_bound is not None:
        ok &= figure.ratio is not None and figure.ratio >= ratio_bound
    return "met" if ok else "missed"


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if abs(value) >= 1 or value == 0 else f"{value:.3f}"


def table(figures: Sequence[Figure]) -> str:
    """The figures as a fixed-width table."""
    header = ("figure", "unit", "service", "ceiling", "ratio", "goal")
    rows = [
        (
            f.name,
            f.unit,
            _number(f.service),
            _number(f.ceiling),
            "-" if f.ratio is None else f"{f.ratio:.3f}",
            verdict(f),
        )
        for f in figures
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


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
