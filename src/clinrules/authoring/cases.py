"""Running case files: evaluate each case, compare it with `expect`, and measure coverage.

Stage: after loading. `clinrules test` loads the ruleset a case file names
(whatever its status: drafts are what case files are for), evaluates each
case with its trace, compares `expect` as a subset of the decision JSON, and
counts which outcomes of every red flag and rule the cases reached.

Design decision: coverage is read from the decision's trace, not from a
second evaluation, so it counts exactly what the cases exercised: a red flag
that fires still leaves every rule's own outcome in the trace, and counts it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from clinrules import ir
from clinrules.authoring.casefile import Case, CaseFile, CaseFileError, read_case_file, show
from clinrules.base.diagnostics import Diagnostic, make
from clinrules.base.errors import ClinrulesError, PatientDataError, RulesetError
from clinrules.base.shown import short_repr
from clinrules.base.span import Span
from clinrules.check.checker import check
from clinrules.check.loader import load_files
from clinrules.decision.result import Decision, TraceEntry
from clinrules.ruleset import RuleSet
from clinrules.syntax import ast

__all__ = [
    "OUTCOMES",
    "Case",
    "CaseFile",
    "CaseFileError",
    "CaseResult",
    "ChosenModel",
    "Coverage",
    "CoverageItem",
    "Mismatch",
    "can_be_unknown",
    "check_against",
    "check_program",
    "compare",
    "load_ruleset",
    "read_case_file",
    "run_case",
    "show",
]

OUTCOMES = ("fired", "not_fired", "unknown")
"""A red flag's or rule's outcomes in a trace."""


@dataclass(frozen=True)
class Mismatch:
    """One place where the decision differs from `expect`."""

    path: str
    expected: object
    actual: object
    absent: bool = False

    def __str__(self) -> str:
        got = "nothing: the decision has no such key" if self.absent else show(self.actual)
        return f"{self.path}: expected {show(self.expected)}, got {got}"


@dataclass(frozen=True)
class CaseResult:
    """How one case came out: its mismatches, or the error that stopped its evaluation."""

    case: Case
    mismatches: tuple[Mismatch, ...] = ()
    error: str | None = None
    decision: Decision | None = None

    @property
    def passed(self) -> bool:
        """True when the decision matched `expect`."""
        return self.error is None and not self.mismatches


# ---------------------------------------------------------------- the ruleset


ChosenModel = tuple[type[BaseModel], str]
"""A model given instead of the header's `model` line (`--model`, a case file's `model`), and its name."""


def check_program(
    path: Path, shown: str, *, beneath: Path | None = None, model: ChosenModel | None = None
) -> tuple[ir.Program, list[Diagnostic]]:
    """Check a ruleset (or a library) of any status: its program and warnings.

    Args:
        path: the rule file.
        shown: the name its diagnostics use.
        beneath: a directory tree the file must lie in (`CaseFile.root`).
        model: the model to check against instead of the header's.

    Raises:
        RulesetError: the file cannot be read or has errors, or lies outside `beneath`.
    """
    try:
        files = load_files(path, shown, beneath=beneath)
    except OSError as error:
        raise RulesetError(
            [make("CR215", f"cannot read '{shown}': {error.strerror or error}", shown, Span(1, 1, 1, 1))]
        ) from None
    library = files[0].rule_file.header.kind is ast.FileKind.LIBRARY
    model_class, model_name = model or (None, None)
    program, reporters = check(files, model_class, model_name, standalone=library)
    return program, [d for r in reporters for d in r.diagnostics]


def load_ruleset(
    path: Path, shown: str, *, beneath: Path | None = None, model: ChosenModel | None = None
) -> RuleSet:
    """Load a ruleset for testing, whatever its status (drafts, reviews and retired ones).

    Args:
        path: the rule file.
        shown: the name its diagnostics use.
        beneath: a directory tree the file must lie in (`CaseFile.root`).
        model: the model to use instead of the header's.

    Raises:
        RulesetError: the file has errors, is a library, or lies outside `beneath`.
    """
    program, warnings = check_program(path, shown, beneath=beneath, model=model)
    if program.kind == ast.FileKind.LIBRARY.value:
        header = program.where
        raise RulesetError(
            [
                make(
                    "CR420",
                    "a library cannot be tested on its own",
                    header.file,
                    header.span,
                    "name the ruleset that includes it in the case file's 'ruleset'",
                )
            ]
        )
    return RuleSet(program, warnings)


def check_against(case_file: CaseFile, ruleset: RuleSet) -> None:
    """Check the ids a case file names against its ruleset.

    Raises:
        CaseFileError: an exercise, red flag or parameter the ruleset does not have.
    """
    flags = {f.id for f in ruleset.program.red_flags}
    problems: list[str] = []
    for case in case_file.cases:
        found: list[str] = []
        found += _not_in("exercise", case.exercises or (), ruleset.exercises, "in 'exercises'")
        found += _not_in("parameter", case.parameters or {}, ruleset.program.parameters, "in 'parameters'")
        wanted = case.expect.get("exercises") or {}
        reported = case.exercises if case.exercises is not None else ruleset.exercises
        found += _not_in("exercise", wanted, ruleset.exercises, "in 'expect.exercises'")
        found += [
            f"'expect.exercises' names '{ex}', which the case's 'exercises' leaves out"
            for ex in wanted
            if ex in ruleset.exercises and ex not in reported
        ]
        found += _not_in("red flag", case.expect.get("red_flags") or {}, flags, "in 'expect.red_flags'")
        problems += [f"{case_file.shown}:{case.line}: {case.label}: {p}" for p in found]
    if problems:
        raise CaseFileError(problems)


def _not_in(what: str, names: Iterable[Any], known: Iterable[str], where: str) -> list[str]:
    known = sorted(known)
    out = []
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(str(name)[:200], known, n=1)
            hint = (
                f"did you mean '{close[0]}'?" if close else f"the {what}s are: {', '.join(known) or 'none'}"
            )
            named = short_repr(name, 80) if isinstance(name, str) and len(name) > 80 else f"'{name}'"
            out.append(f"the ruleset has no {what} {named} {where}; {hint}")
    return out


# ---------------------------------------------------------------- running


def run_case(ruleset: RuleSet, case: Case) -> CaseResult:
    """Evaluate one case with its trace and compare the decision with `expect`."""
    refused = case.expect.get("refused")
    try:
        decision = ruleset.evaluate(case.patient, case.exercises, case.parameters, case.as_of, explain=True)
    except PatientDataError as error:
        if refused is None:  # bad patient data the case did not expect: the case fails
            return CaseResult(case, error=str(error))
        paths = sorted({path for path, _ in error.problems})
        return CaseResult(case, tuple(compare({"refused": sorted(refused)}, {"refused": paths})))
    except ClinrulesError as error:  # a parameter or an exercise: the case fails
        return CaseResult(case, error=str(error))
    if refused is not None:  # data the engine should have refused was used for a decision
        return CaseResult(
            case,
            (Mismatch("refused", sorted(refused), "a decision: the data was not refused"),),
            None,
            decision,
        )
    actual = decision.model_dump(mode="json")
    actual.pop("trace", None)
    return CaseResult(case, tuple(compare(case.expect, actual)), None, decision)


def compare(expected: object, actual: object, path: str = "") -> list[Mismatch]:
    """Every place where `expected` is not a subset of `actual`.

    Mappings compare key by key (keys `actual` has and `expected` leaves out
    are ignored); everything else, lists included, compares whole.
    """
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Mismatch(path or "the decision", expected, actual)]
        out: list[Mismatch] = []
        for key, value in expected.items():
            where = f"{path}.{key}" if path else str(key)
            if key in actual:
                out.extend(compare(value, actual[key], where))
            else:
                out.append(Mismatch(where, value, None, absent=True))
        return out
    return [] if _same(expected, actual) else [Mismatch(path, expected, actual)]


def _same(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


# ---------------------------------------------------------------- coverage


def can_be_unknown(node: ir.Condition | ir.Expr) -> bool:
    """Whether a condition may come out unknown: it reads a field outside `is known`/`is unknown`.

    The walk keeps its own stack and goes into each defined phrase once, so
    it is linear in the program and never deep, however the defines nest.
    """
    stack: list[ir.Condition | ir.Expr] = [node]
    shared: set[int] = set()  # ids of the phrase conditions walked; `node` keeps them alive
    while stack:
        match stack.pop():
            case ir.FieldRef():
                return True
            case ir.Known() | ir.ParamRef() | ir.Const() | ir.EnumConst() | ir.Now():
                pass
            case ir.Scale(expr=e) | ir.Truth(value=e) | ir.Member(value=e) | ir.Contains(value=e):
                stack.append(e)
            case ir.Empty(value=e):
                stack.append(e)
            case ir.Arith(left=a, right=b) | ir.Compare(left=a, right=b):
                stack.extend((a, b))
            case ir.Between(value=v, low=lo, high=hi):
                stack.extend((v, lo, hi))
            case ir.And(items=items) | ir.Or(items=items):
                stack.extend(items)
            case ir.Not(item=c):
                stack.append(c)
            case ir.Phrase(condition=c):
                if id(c) not in shared:
                    shared.add(id(c))
                    stack.append(c)
            case ir.History(condition=c, window=w):
                stack.append(c)
                if w is not None:
                    stack.append(w)
            case ir.ScoreValue(score=score):
                if id(score) not in shared:
                    shared.add(id(score))
                    stack.extend(item.condition for item in score.items)
            case ir.Assessed(assessment=assessment):
                if id(assessment) not in shared:
                    shared.add(id(assessment))
                    stack.extend(b.condition for b in assessment.branches if b.condition is not None)
            case _:
                return True  # a node this function does not know: ask for the unknown branch too
    return False


@dataclass
class CoverageItem:
    """A red flag or a rule, and the outcomes some case saw it reach."""

    kind: str
    id: str
    unknown_possible: bool
    seen: set[str] = field(default_factory=set)

    @property
    def required(self) -> tuple[str, ...]:
        """The outcomes a thorough set of cases reaches."""
        return OUTCOMES if self.unknown_possible else OUTCOMES[:2]

    @property
    def missing(self) -> tuple[str, ...]:
        """The required outcomes no case reached yet."""
        return tuple(o for o in self.required if o not in self.seen)


class Coverage:
    """Which outcomes of a ruleset's red flags and rules its cases reached."""

    def __init__(self, program: ir.Program) -> None:
        """Start with nothing seen, for every red flag and rule of `program`."""
        flags = sorted(program.red_flags, key=lambda f: f.id)
        rules = sorted(program.rules, key=lambda r: r.id)
        self._branch_values = {
            a.id: tuple(b.value for b in a.branches if b.condition is not None)
            for a in program.assessments.values()
        }
        self.items: dict[tuple[str, str], CoverageItem] = {
            **{
                ("red_flag", f.id): CoverageItem("red_flag", f.id, can_be_unknown(f.condition)) for f in flags
            },
            **{("rule", r.id): CoverageItem("rule", r.id, can_be_unknown(r.condition)) for r in rules},
        }
        # A score by its items and an assessment by its branches, each seen counting, not and unknown.
        for score in program.scores.values():
            for index, item in enumerate(score.items, 1):
                key = f"{score.id} item {index}"
                self.items[("score", key)] = CoverageItem("score", key, can_be_unknown(item.condition))
        for assessment in program.assessments.values():
            for index, branch in enumerate(assessment.branches, 1):
                if branch.condition is None:  # `otherwise`, always last: no condition to cover
                    continue
                key = _branch_key(assessment.id, index, branch.value)
                self.items[("assessment", key)] = CoverageItem(
                    "assessment", key, can_be_unknown(branch.condition)
                )

    def add(self, decision: Decision) -> None:
        """Count the outcomes in a decision's trace."""
        for entry in decision.trace or ():
            if entry.kind in ("score", "assessment"):
                self._parts(entry)
                continue
            item = self.items.get((entry.kind, entry.id))
            if item is not None and entry.outcome in OUTCOMES:
                item.seen.add(entry.outcome)

    def _parts(self, entry: TraceEntry) -> None:
        values = self._branch_values.get(entry.id, ()) if entry.kind == "assessment" else ()
        for index, part in enumerate(entry.parts or (), 1):
            if entry.kind == "score":
                key = f"{entry.id} item {index}"
            elif index <= len(values):
                key = _branch_key(entry.id, index, values[index - 1])
            else:
                continue  # the `otherwise` branch: it has no condition to cover
            item = self.items.get((entry.kind, key))
            # A branch after the one that decided gave no result: for coverage it did not fire.
            outcome = "not_fired" if part.outcome == "not_tried" else part.outcome
            if item is not None and outcome in OUTCOMES:
                item.seen.add(outcome)

    @property
    def required(self) -> int:
        """How many outcomes a thorough set of cases reaches."""
        return sum(len(i.required) for i in self.items.values())

    @property
    def covered(self) -> int:
        """How many of them some case reached."""
        return sum(len(i.required) - len(i.missing) for i in self.items.values())


def _branch_key(assessment: str, index: int, value: str) -> str:
    return f"{assessment} branch {index} ({value})"
