"""`clinrules test PATH... [--min-coverage PCT]`: run case files, show failures, report coverage.

Stage: the command line over `cases.py`. Design decision: one bad case file
never hides the others. Every file runs (or says on stderr why it cannot),
every failing case prints its differences and the trace behind them, and the
last line always reads `N cases: P passed, F failed`.

Exit codes: 0 every case passes (and the coverage reaches the minimum), 1 a
case fails, a case file or its ruleset is bad, or the coverage is too low,
2 usage (no such path, a directory without case files, a bad option).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from clinrules.authoring.cases import (
    CaseFile,
    CaseFileError,
    CaseResult,
    ChosenModel,
    Coverage,
    check_against,
    load_ruleset,
    read_case_file,
    run_case,
)
from clinrules.base.diagnostics import render
from clinrules.base.errors import RulesetError
from clinrules.base.files import read_bounded
from clinrules.base.limits import MAX_FILE_BYTES
from clinrules.cli.args import chosen_model, with_model_hint
from clinrules.cli.common import EXIT_FAILED, EXIT_OK, expand_paths
from clinrules.decision.result import Decision, TraceEntry
from clinrules.models import UnknownModelError, find_model
from clinrules.ruleset import RuleSet

PATTERN = "*.cases.yaml"

# A ruleset is loaded once for each model it is tested with: (its path, the model class or None).
_Key = tuple[Path, type | None]


@dataclass
class _Tally:
    passed: int = 0
    failed: int = 0
    bad_files: int = 0
    rulesets: dict[_Key, RuleSet | None] = field(default_factory=dict)
    shown: dict[_Key, str] = field(default_factory=dict)
    coverage: dict[_Key, Coverage] = field(default_factory=dict)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run `test` with parsed arguments."""
    chosen = chosen_model(args)
    files = case_files(args.paths)
    tally = _Tally()
    for path in files:
        _run_file(path, chosen, tally, out, err)
    mark = "✓" if _can_write(out, "✓") else "yes"
    total = _Totals()
    for key, coverage in tally.coverage.items():
        _table(tally.shown[key], coverage, mark, out)
        total.add(coverage)
    low = args.min_coverage is not None and total.percent < args.min_coverage
    if low:
        print(
            f"\ncoverage {_pct(total.percent)} is below --min-coverage {_pct(args.min_coverage)}; not reached:",
            file=out,
        )
        for key, coverage in tally.coverage.items():
            for item in coverage.items.values():
                if item.missing:
                    kind = item.kind.replace("_", " ")
                    print(
                        f"  {tally.shown[key]}: {kind} {item.id}: {', '.join(_words(item.missing))}", file=out
                    )
    count = tally.passed + tally.failed
    summary = f"{count} case{'' if count == 1 else 's'}: {tally.passed} passed, {tally.failed} failed"
    if tally.bad_files:
        summary += f"; {tally.bad_files} case file{'' if tally.bad_files == 1 else 's'} could not be run"
    if total.required:
        summary += f"; coverage {_pct(total.percent)}" + (" (too low)" if low else "")
    print(("\n" if tally.coverage else "") + summary, file=out)
    return EXIT_FAILED if tally.failed or tally.bad_files or low else EXIT_OK


def case_files(paths: Sequence[str]) -> list[Path]:
    """Expand the command-line paths: a directory means every `*.cases.yaml` below it.

    Raises:
        UsageError: a path does not exist, or a directory holds no case file.
    """
    return expand_paths(paths, PATTERN)


def _run_file(path: Path, chosen: ChosenModel | None, tally: _Tally, out: TextIO, err: TextIO) -> None:
    shown = str(path)
    try:
        case_file = read_case_file(path, shown)
        model = _model(case_file, chosen)
    except CaseFileError as error:
        _problems(error, err)
        tally.bad_files += 1
        return
    key = (case_file.ruleset.resolve(), model[0] if model else None)
    if key not in tally.rulesets:
        tally.rulesets[key] = _ruleset(case_file, model, shown, err)
        tally.shown[key] = case_file.ruleset_shown
    ruleset = tally.rulesets[key]
    if ruleset is None:
        print(f"{shown}: not run: the ruleset '{case_file.ruleset_shown}' cannot be loaded", file=err)
        tally.bad_files += 1
        return
    try:
        check_against(case_file, ruleset)
    except CaseFileError as error:
        _problems(error, err)
        tally.bad_files += 1
        return
    coverage = tally.coverage.setdefault(key, Coverage(ruleset.program))
    failed = 0
    for case in case_file.cases:
        result = run_case(ruleset, case)
        if result.decision is not None:
            coverage.add(result.decision)
        if result.passed:
            tally.passed += 1
        else:
            failed += 1
            tally.failed += 1
            _failure(shown, result, out)
    count = len(case_file.cases)
    print(
        f"{shown}: {count} case{'' if count == 1 else 's'}, {count - failed} passed, {failed} failed",
        file=out,
    )


def _model(case_file: CaseFile, chosen: ChosenModel | None) -> ChosenModel | None:
    """The model the cases run with: the case file's `model`, or `--model`; both only if they agree.

    Refusing a disagreement is the safer reading: the expected decisions
    were written for the case file's model, and a silent override could
    pass or fail them for reasons nobody reviewed.

    Raises:
        CaseFileError: the case file's model cannot be found or imported, or
            `--model` names another.
    """
    if case_file.model is None:
        return chosen
    directory = case_file.root or Path(case_file.shown).resolve().parent
    try:
        named = find_model(case_file.model, directory, only_beside=True)
    except UnknownModelError as error:
        raise CaseFileError([f"{case_file.shown}: 'model': {error}"]) from None
    if chosen is not None and chosen[0] is not named:
        raise CaseFileError(
            [
                f"{case_file.shown}: 'model' names {case_file.model!r} but --model names {chosen[1]!r}; "
                "the cases are written for their own model: leave out --model, or change 'model'"
            ]
        )
    return named, case_file.model


_HOW = "give the case file a 'model' key (NAME or module:Class) or pass --model (docs/models.md)"


def _ruleset(case_file: CaseFile, model: ChosenModel | None, named_by: str, err: TextIO) -> RuleSet | None:
    path, shown, root = case_file.ruleset, case_file.ruleset_shown, case_file.root
    if not path.is_file():
        print(
            f"{named_by}: 'ruleset': cannot read '{shown}': no such file (the path is relative to the case file)",
            file=err,
        )
        return None
    try:
        return load_ruleset(path, shown, beneath=root, model=model)
    except RulesetError as error:
        texts: dict[str, str | None] = {}
        for diagnostic in with_model_hint(error.diagnostics, _HOW):
            if diagnostic.file not in texts:
                texts[diagnostic.file] = _read(diagnostic.file, root)
            print(render(diagnostic, texts[diagnostic.file]), file=err)
        return None


def _problems(error: CaseFileError, err: TextIO) -> None:
    for problem in error.problems:
        print(problem, file=err)


def _failure(shown: str, result: CaseResult, out: TextIO) -> None:
    case = result.case
    print(f"FAIL {shown}:{case.line}: {case.label}", file=out)
    if result.error is not None:
        print(f"  could not evaluate: {result.error}", file=out)
        return
    for mismatch in result.mismatches:
        print(f"  {mismatch}", file=out)
    if result.decision is not None:
        entries = _relevant(result.decision, [m.path for m in result.mismatches])
        if entries:
            print("  trace:", file=out)
            for line in _trace_lines(entries):
                print(f"    {line}", file=out)


def _relevant(decision: Decision, paths: list[str]) -> list[TraceEntry]:
    """The trace entries behind the mismatches: every red flag, and the rules of the exercises that differ.

    A mismatch outside one exercise (triage, missing, ...) shows the whole trace.
    """
    trace = decision.trace or []
    parts = [p.split(".") for p in paths]
    if any(len(p) < 2 or p[0] != "exercises" for p in parts):
        return list(trace)
    exercises = {p[1] for p in parts}
    return [e for e in trace if e.kind != "rule" or e.exercise in exercises]


def _trace_lines(entries: list[TraceEntry]) -> list[str]:
    lines = []
    for entry in entries:
        target = f" for {entry.exercise}" if entry.exercise else ""
        lines.append(
            f"{entry.kind} {entry.id}{target}: {entry.outcome} ({entry.where.file}:{entry.where.line})"
        )
        lines.extend(f"    read {path} = {value}" for path, value in entry.values.items())
        if entry.missed:
            lines.append(f"    missing {', '.join(entry.missed)}")
        if entry.note:
            lines.append(f"    note: {entry.note}")
    return lines


@dataclass
class _Totals:
    covered: int = 0
    required: int = 0

    def add(self, coverage: Coverage) -> None:
        self.covered += coverage.covered
        self.required += coverage.required

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.required if self.required else 100.0


def _table(shown: str, coverage: Coverage, mark: str, out: TextIO) -> None:
    percent = 100.0 * coverage.covered / coverage.required if coverage.required else 100.0
    print(
        f"\ncoverage of {shown}: {coverage.covered} of {coverage.required} outcomes ({_pct(percent)})",
        file=out,
    )
    items = list(coverage.items.values())
    width = max([len("id"), *(len(i.id) for i in items)])
    print(f"  {'id':<{width}}  {'kind':<10}  {'fired':<5}  {'not fired':<9}  unknown", file=out)
    for item in items:
        cells = [mark if o in item.seen else "-" for o in ("fired", "not_fired", "unknown")]
        if not item.unknown_possible:
            cells[2] = "n/a"
        kind = item.kind.replace("_", " ")
        print(
            f"  {item.id:<{width}}  {kind:<10}  {cells[0]:<5}  {cells[1]:<9}  {cells[2]}".rstrip(), file=out
        )


def _words(outcomes: Sequence[str]) -> list[str]:
    return [o.replace("_", " ") for o in outcomes]


def _pct(value: float) -> str:
    text = f"{value:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def _can_write(out: TextIO, text: str) -> bool:
    encoding = getattr(out, "encoding", None)
    if not encoding:
        return True
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _read(file: str, root: Path | None) -> str | None:
    """A rule file's text for the source lines of its diagnostics: only from inside the case
    file's tree (never the content of a file outside it), bounded like every read."""
    try:
        real = Path(file).resolve()
        if root is not None and not real.is_relative_to(root):
            return None
        return read_bounded(real, MAX_FILE_BYTES, beneath=root).decode("utf-8", errors="replace")
    except (OSError, ValueError, RuntimeError):
        return None
