"""docs/performance.md shows the committed benchmark results, and the harness reports every goal of issue 20.

Nothing here is timed: the tests read the committed results
(`benchmarks/results/latest.json`, written by a full `make bench`) and the
page made from them by `benchmarks/page.py`.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from benchmarks import goals, instructions, page

ROOT = Path(__file__).resolve().parent.parent


def _results() -> dict[str, Any]:
    results: dict[str, Any] = json.loads(page.RESULTS.read_text(encoding="utf-8"))
    return results


def test_the_performance_page_shows_the_committed_results() -> None:
    shown = page.generated(page.PAGE.read_text(encoding="utf-8"))
    assert shown == page.render(_results()), "run `python -m benchmarks.page` after `make bench`"


def test_the_committed_results_are_of_one_full_run() -> None:
    results = _results()
    assert results["environment"]["quick"] is False
    sections = {row["section"].split(".")[0] for row in results["rows"]}
    assert sections == {str(n) for n in range(1, 9)}


def test_the_harness_reports_every_goal_of_issue_20_with_its_figure() -> None:
    reported = _results()["goals"]
    assert [entry["key"] for entry in reported] == [goal.key for goal in goals.GOALS]
    for entry in reported:
        assert entry["value"] is not None, entry["key"]
        assert entry["verdict"] == goals.verdict(entry["value"], entry["bound"]), entry["key"]
    points = {goal.point for goal in goals.GOALS if goal.bound is not None}
    assert {"1", "2", "3", "4", "5"} <= points


def test_every_goal_is_measured_by_a_row_of_the_results() -> None:
    keys = {row["key"] for row in _results()["rows"] if row["key"]}
    assert {goal.key for goal in goals.GOALS} <= keys


def test_a_goal_is_met_or_missed_by_how_far_above_its_bound() -> None:
    assert goals.verdict(2.0, 2) == "met"
    assert goals.verdict(1.2, 2) == "met"
    assert goals.verdict(2.5, 2) == "missed by 25%"
    assert goals.verdict(4.5, 1.5) == "missed by 200%"
    assert goals.verdict(1.4, None) == "shown"
    assert goals.verdict(None, 3) == "not measured"


def test_a_goal_whose_section_did_not_run_is_not_measured_never_met() -> None:
    rows = [{"key": "startup_cached", "value": 2.5, "unit": "x"}, {"key": None, "value": 1.0, "unit": "x"}]
    by_key = {entry["key"]: entry for entry in goals.verdicts(rows)}
    assert by_key["startup_cached"]["verdict"] == "met"
    assert by_key["startup_uncached"]["verdict"] == "not measured"
    assert by_key["decision_flat"]["value"] is None


def test_the_page_part_is_replaced_between_its_markers_only() -> None:
    before, after = "# Title\n\nintro\n\n", "\n\nthe rest\n"
    text = before + page.BEGIN + "\nold\n" + page.END + after
    assert (
        page.replaced(text, page.BEGIN + "\nnew\n" + page.END)
        == before + page.BEGIN + "\nnew\n" + page.END + after
    )


def test_the_instruction_counter_refuses_an_unknown_workload_and_runs_each_known_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m benchmarks.instructions` (valgrind itself is not run here: nothing in `make test` is timed)."""
    monkeypatch.setattr(instructions.shutil, "which", lambda name: "/usr/bin/valgrind")
    assert instructions.main(["no_such_workload"]) == 2
    assert "flat-evaluate" in capsys.readouterr().err
    # The 30-rule benchmark's module imports the peer engines (the `bench` extra, not installed by
    # `make test`); the shipped ruleset's workloads need nothing more and always run.
    peers = all(importlib.util.find_spec(m) is not None for m in ("rule_engine", "json_logic"))
    for name, workload in instructions.WORKLOADS.items():
        if not peers and not name.startswith("shipped-"):
            continue
        call, inputs = workload()
        assert inputs, name
        call(inputs[0])
    monkeypatch.setattr(instructions.shutil, "which", lambda name: None)
    assert instructions.main([]) == 2
