"""The benchmark entry point: runs every section, prints one table, writes `benchmarks/results/latest.json`.

Usage: `python -m benchmarks [SECTION ...]` with sections `flat`, `evaluate`,
`load`, `large`, `streaming`, `recheck`, `service` and `shipped` (default: all). `BENCH_QUICK=1`
shrinks every count for a smoke run. A disagreement between evaluators fails
the run; a missed goal is a finding, reported as MISSED, and the run still
succeeds. After the table, the goals of issue 20 (`benchmarks.goals`), each
met or missed by how much; a full run (not `BENCH_QUICK`, every section)
then regenerates the tables of docs/performance.md (`benchmarks.page`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import evaluate, flat, goals, large, load, page, recheck, service, shipped, streaming
from benchmarks.timing import QUICK, REPEATS, Row

SECTIONS: dict[str, Callable[[], tuple[list[Row], dict[str, Any]]]] = {
    "flat": flat.run,
    "evaluate": evaluate.run,
    "load": load.run,
    "large": large.run,
    "streaming": streaming.run,
    "recheck": recheck.run,
    "service": service.run,
    "shipped": shipped.run,
}
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
"""A full run's results (committed: the page's tables are made from it)."""
SCRATCH = RESULTS.with_name("scratch.json")
"""Where a quick run, or a run of some sections, writes its results (not committed)."""


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict[str, Any]:
    """What the figures were measured on."""
    packages = ["clinrules", "pydantic", "pydantic-core", "lark", "rule-engine", "json-logic-qubit"]
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": _cpu(),
        "cpu_count": os.cpu_count(),
        "packages": {name: metadata.version(name) for name in packages},
        "quick": QUICK,
        "repeats": REPEATS,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def table(rows: Sequence[Row]) -> str:
    """One line per measurement: its figure, its goal and OK or MISSED, under a line per section."""
    width = max(len(r.name) for r in rows) + 2
    lines = [f"{'measurement':<{width}}{'figure':>18}  {'goal':<9} result", "-" * (width + 38)]
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            lines.append(section)
        result = "" if row.ok is None else "OK" if row.ok else "MISSED"
        lines.append(f"  {row.name:<{width - 2}}{row.figure():>18}  {row.goal:<9} {result}".rstrip())
    judged = [r for r in rows if r.ok is not None]
    lines.append("-" * (width + 38))
    lines.append(f"goals met: {sum(bool(r.ok) for r in judged)} of {len(judged)}")
    return "\n".join(lines)


def goals_table(entries: Sequence[dict[str, Any]]) -> str:
    """The goals of issue 20: the ratio measured, the bound, and met or missed by how much."""
    width = max(len(e["what"]) for e in entries) + 2
    lines = ["", f"{'goal of issue 20 (point)':<{width + 6}}{'measured':>10}  {'bound':<8} result"]
    for e in entries:
        value = "-" if e["value"] is None else f"{e['value']:.2f}"
        bound = "" if e["bound"] is None else f"<= {e['bound']:g}"
        lines.append(f"  {e['point']:<3} {e['what']:<{width}}{value:>10}  {bound:<8} {e['verdict']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    names = list(argv if argv is not None else sys.argv[1:]) or list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        print(f"unknown section {', '.join(unknown)}; the sections: {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    rows: list[Row] = []
    sections: dict[str, Any] = {}
    machine = environment()
    started = time.perf_counter()
    for name in names:
        print(f"running {name}...", file=sys.stderr, flush=True)
        section_start = time.perf_counter()
        section_rows, details = SECTIONS[name]()
        rows += section_rows
        sections[name] = {**details, "seconds": round(time.perf_counter() - section_start, 1)}
    print(table(rows))
    row_dicts = [
        {
            "section": r.section,
            "name": r.name,
            "value": r.value,
            "unit": r.unit,
            "goal": r.goal or None,
            "ok": r.ok,
            "key": r.key or None,
        }
        for r in rows
    ]
    verdicts = goals.verdicts(row_dicts)
    print(goals_table(verdicts))
    results = {
        "environment": machine,
        "seconds": round(time.perf_counter() - started, 1),
        "sections": sections,
        "rows": row_dicts,
        "goals": verdicts,
    }
    full = not QUICK and names == list(SECTIONS)
    target = RESULTS if full else SCRATCH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {target}")
    if full:
        page.write(results)
        print(f"the tables of {page.PAGE} regenerated from it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
