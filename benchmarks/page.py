"""The tables of docs/performance.md, made from a results file, so that the page and the run agree.

`python -m benchmarks.page` (and every full `make bench`, which calls
`write`) replaces the text between `BEGIN` and `END` in the page with
`render(results)`: the machine and the run, the goals of issue 20 each met or
missed, and every measurement of the run. `tests/test_benchmarks_page.py`
checks that the committed page holds exactly what the committed
`benchmarks/results/latest.json` renders to.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.timing import Row

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "performance.md"
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
BEGIN = "<!-- the tables below are made by benchmarks/page.py from benchmarks/results/latest.json -->"
END = "<!-- end of the tables made by benchmarks/page.py -->"

_PEERS = ("pydantic", "lark", "rule-engine", "json-logic-qubit")


def _row(data: Mapping[str, Any]) -> Row:
    return Row(
        data["section"],
        data["name"],
        data["value"],
        data["unit"],
        data["goal"] or "",
        data["ok"],
        data["key"] or "",
    )


def _machine(env: Mapping[str, Any], seconds: float) -> str:
    packages = ", ".join(f"{name} {env['packages'][name]}" for name in _PEERS)
    load = env.get("load_average")
    loaded = (
        ""
        if load is None
        else f" The load average was {load[0]:.1f} when it started (other work shared the cores)."
    )
    return (
        f"Measured with `make bench` at {env['when']} (every section in one run, {seconds:.0f} s), on "
        f"{env['cpu_count']} cores of an {env['cpu']}, {env['platform']}, {env['implementation']} "
        f"{env['python']}, {packages}. Every timing is the median of {env['repeats']} repeats after a "
        f"warm-up.{loaded}"
    )


def _goals(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["| point | goal | measured | bound | result |", "| --- | --- | ---: | ---: | --- |"]
    for e in entries:
        value = "-" if e["value"] is None else f"{e['value']:.2f}"
        bound = "" if e["bound"] is None else f"<= {e['bound']:g}"
        lines.append(f"| {e['point']} | {e['what']} | {value} | {bound} | {e['verdict']} |")
    return lines


def _measurements(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["| measurement | figure | goal | result |", "| --- | ---: | --- | --- |"]
    section = None
    for data in rows:
        row = _row(data)
        if row.section != section:
            section = row.section
            lines.append(f"| **{section}** | | | |")
        result = "" if row.ok is None else "met" if row.ok else "MISSED"
        lines.append(f"| {row.name} | {row.figure()} | {row.goal} | {result} |")
    return lines


def render(results: Mapping[str, Any]) -> str:
    """The generated part of the page, from a results document `benchmarks.run` wrote."""
    parts = [
        BEGIN,
        "",
        _machine(results["environment"], results["seconds"]),
        "",
        "### The goals of issue 20",
        "",
        *_goals(results["goals"]),
        "",
        "### Every measurement of the run",
        "",
        *_measurements(results["rows"]),
        "",
        END,
    ]
    return "\n".join(parts)


def replaced(page: str, rendered: str) -> str:
    """The page with its generated part replaced by `rendered`."""
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{PAGE.name} has no generated part between the markers of benchmarks/page.py")
    return page[:start] + rendered + page[end + len(END) :]


def generated(page: str) -> str:
    """The generated part of a page, markers included."""
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{PAGE.name} has no generated part between the markers of benchmarks/page.py")
    return page[start : end + len(END)]


def write(results: Mapping[str, Any], page: Path = PAGE) -> None:
    """Regenerate the tables of the page from `results`."""
    page.write_text(replaced(page.read_text(encoding="utf-8"), render(results)), encoding="utf-8")


def main() -> int:
    write(json.loads(RESULTS.read_text(encoding="utf-8")))
    print(f"{PAGE} regenerated from {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
