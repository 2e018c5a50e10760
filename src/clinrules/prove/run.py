"""Prove: one run, from the program to the report; every refutation replayed before it is reported.

A refutation is reported only with a counterexample the evaluator confirms.
When the evaluator disagrees, the encoding is wrong (CR609, a bug, loud);
unless a declaration holds a construct prove does not encode, whose outcome
was left free: then the promise is unproved (CR607), not refuted.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from clinrules import ir
from clinrules.engine.evaluator import Evaluator
from clinrules.prove.queries import Encoding, Outcome, Queries
from clinrules.prove.report import PROMISES, Finding, ProofReport, finding
from clinrules.prove.witness import minimal, premise_holds, replay, witness

_REPLAY_HINT = (
    "the counterexample is in the report on standard output; write it as a case with --write-cases FILE "
    "and look at it with clinrules eval --explain"
)


def run(
    program: ir.Program, fix_params: bool, complete: bool, extra_slots: int, timeout_ms: int
) -> ProofReport:
    """Every query of the program; see `clinrules.prove.prove`."""
    encoding = Encoding(program, fix_params, False, extra_slots, timeout_ms)
    queries = Queries(encoding)
    queries.promises()
    queries.requires()
    queries.dead_and_masked()
    report = ProofReport(slots=dict(encoding.slots), fixed_params=fix_params, complete=complete)
    # Compiled on the first counterexample: a run that refutes nothing needs no evaluator.
    evaluator = functools.cache(lambda: Evaluator(program))
    unsupported = encoding.verdicts.unsupported
    outcomes = list(queries.found)
    if complete:
        gaps = Encoding(program, fix_params, True, extra_slots, timeout_ms)
        found = Queries(gaps)
        found.gaps()
        report.findings += [_gap(program, gaps, evaluator, o) for o in found.found]
    for outcome in outcomes:
        report.findings.append(_finding(program, encoding, evaluator, outcome, bool(unsupported)))
    report.findings += [_unsupported(program, name, missing) for name, missing in unsupported.items()]
    report.findings.sort(key=lambda f: f.diagnostic.sort_key())
    if not unsupported:
        report.proved = _proved(program, outcomes)
    return report


def _proved(program: ir.Program, outcomes: list[Outcome]) -> list[str]:
    failed = {(o.subject, o.exercise) for o in outcomes if o.kind in ("promise", "require", "unproved")}
    proved = []
    every = list(program.exercises)
    for name, words in PROMISES.items():
        held = [x for x in every if (name, x) not in failed]
        if held:
            proved.append(f"{words} ({len(held)} of {len(every)} exercises)")
    for requirement in program.requirements:
        held = [x for x in requirement.targets.exercises if (requirement.id, x) not in failed]
        if len(held) == len(requirement.targets.exercises):
            proved.append(f"require {requirement.id} ({', '.join(held)})")
    return proved


def _finding(
    program: ir.Program,
    encoding: Encoding,
    evaluator: Callable[[], Evaluator],
    outcome: Outcome,
    approximated: bool,
) -> Finding:
    subject, where = outcome.subject, outcome.where
    if outcome.kind == "dead":
        return finding(
            "CR603",
            f"{outcome.detail or 'rule'} '{subject}' can never fire: no patient within the model's bounds makes "
            "its condition true",
            where,
            program,
            "look for parts that contradict each other or a bound of the model; fix the condition or remove the rule",
        )
    if outcome.kind == "only_unknown":
        rule = next(r for r in program.rules if r.id == subject)
        return finding(
            "CR604",
            f"rule '{subject}' is never true: it decides only through 'when unknown {rule.when_unknown}'",
            where,
            program,
            "its own verdict never shows; fix the condition, or say what it is for in a comment",
        )
    if outcome.kind == "masked":
        maskers = ", ".join(outcome.maskers) or "the other rules together"
        return finding(
            "CR605",
            f"rule '{subject}' is masked: whenever it applies, a stricter verdict wins ({maskers})",
            where,
            program,
            "its advice never reaches a patient; remove it, or change the rules that mask it",
        )
    if outcome.kind == "unproved":
        return finding(
            "CR608",
            f"the solver could not settle '{subject}' for '{outcome.exercise}' in time ({outcome.detail}): it is not proved",
            where or (program.exercises[outcome.exercise].where if outcome.exercise else None),
            program,
            "raise the time per query, or fix the parameters (--fix-params) to make the query smaller",
        )
    refutation = outcome.refutation
    assert refutation is not None
    assert outcome.exercise is not None
    found = witness(encoding, refutation, minimal(encoding, refutation))
    found = replay(program, evaluator(), found)
    if found.agrees and outcome.kind == "require":
        requirement = next(q for q in program.requirements if q.id == subject)
        if premise_holds(program, evaluator(), found, requirement.condition) is not True:
            found.agrees = False
            found.problem = "the evaluator does not find the requirement's premise true"
    exercise = outcome.exercise
    place = where or program.exercises[exercise].where
    if not found.agrees:
        if approximated:
            return finding(
                "CR607",
                f"'{subject}' for '{exercise}' is not proved: it depends on a construct prove does not encode",
                place,
                program,
                "see the other CR607 finding for the construct",
                exercise,
                found,
            )
        return finding(
            "CR609",
            f"the counterexample to '{subject}' for '{exercise}' disagrees with the evaluator ({found.problem}): "
            "this is a bug in clinrules",
            place,
            program,
            "please report it with the rule files and this output; the promise is not proved",
            exercise,
            found,
        )
    if outcome.kind == "require":
        return finding(
            "CR602",
            f"require '{subject}' is refuted for '{exercise}': a patient for whom its condition is true gets '{found.replayed}'",
            place,
            program,
            _REPLAY_HINT,
            exercise,
            found,
        )
    return finding(
        "CR601",
        f"the promise that {PROMISES[subject]} is refuted for '{exercise}': a patient gets '{found.replayed}'",
        place,
        program,
        _REPLAY_HINT,
        exercise,
        found,
    )


def _gap(
    program: ir.Program, encoding: Encoding, evaluator: Callable[[], Evaluator], outcome: Outcome
) -> Finding:
    exercise = outcome.exercise or ""
    if outcome.refutation is None:
        return finding(
            "CR608",
            f"the solver could not settle whether '{exercise}' has a gap in time: it is not known",
            program.exercises[exercise].where,
            program,
            "raise the time per query, or fix the parameters (--fix-params)",
        )
    found = replay(
        program, evaluator(), witness(encoding, outcome.refutation, minimal(encoding, outcome.refutation))
    )
    return finding(
        "CR606",
        f"gap: no rule decides '{exercise}' for some fully known patients; 'otherwise {program.otherwise}' does",
        program.exercises[exercise].where,
        program,
        "a ruleset meant to decide every known patient needs a rule for this one (the counterexample below)",
        exercise,
        found,
    )


def _unsupported(program: ir.Program, name: str, missing: object) -> Finding:
    construct = getattr(missing, "construct", str(missing))
    span = getattr(missing, "span", None)
    declarations: list[ir.RedFlag | ir.Rule | ir.Requirement] = [
        *program.red_flags,
        *program.rules,
        *program.requirements,
    ]
    where = next((d.where for d in declarations if d.id == name), None)
    return finding(
        "CR607",
        f"prove does not support {construct} (in '{name}'): the promises it reaches are not proved",
        where,
        program,
        "rewrite it with a form prove encodes (docs/prove.md lists them), or check it with case files",
        span=span,
    )
