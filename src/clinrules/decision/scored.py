"""The scores and assessments of a decision (language-2.md sections 5, 6), and the trace entries.

The compiled code gives each score's range and each assessment's value
and possible values; the interpreter, run only for a decision that holds
assessments or a trace, says why: the branch that decided, the fields that
would settle an open one, each item's and branch's outcome. Every entry is
keyed by id, sorted, so the JSON does not depend on the order of the files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from clinrules import ir
from clinrules.decision.made import built
from clinrules.decision.missing import Missing
from clinrules.decision.result import AssessmentResult, ScoreRange, TraceEntry, TracePart, Where
from clinrules.engine import interpret
from clinrules.engine.evaluator import Evaluator, Inputs

__all__ = ["count_entries", "entry", "results", "score_entries", "trace"]

_OUTCOME = {True: "fired", False: "not_fired", None: "unknown"}


def results(
    evaluator: Evaluator, inputs: Inputs, env: interpret.Env
) -> tuple[dict[str, ScoreRange], dict[str, AssessmentResult], dict[str, str]]:
    """Every score's range and every assessment's result by id, and their titles."""
    program = evaluator.program
    if not (program.scores or program.assessments):
        return {}, {}, {}
    ranges, found = evaluator.scored(inputs)
    scores = {
        name: built(ScoreRange, low=low, high=high)
        for name, (low, high) in sorted(zip(program.scores, ranges, strict=True))
    }
    assessments = {}
    for name, (value, possible, _open) in sorted(zip(program.assessments, found, strict=True)):
        assessment = program.assessments[name]
        why = interpret.assessment_of(assessment, env)
        branches = assessment.branches
        if value is not None and why.deciding is not None:
            chosen = branches[why.deciding]
            because, say, notes = [chosen.text], chosen.say, [chosen.note] if chosen.note else []
        else:
            open_ones = [
                b.text for b, o in zip(branches, why.outcomes, strict=True) if o is None or o is True
            ]
            because, say, notes = open_ones, None, []
        assessments[name] = built(
            AssessmentResult,
            value=value,
            possible=list(possible),
            because=because,
            missing=sorted(why.missing),
            say=say,
            notes=notes,
            cite=list(assessment.cite),
        )
    declared: list[ir.Score | ir.Assessment] = [*program.scores.values(), *program.assessments.values()]
    titles = {d.id: d.title for d in declared if d.id is not None and d.title}
    return scores, assessments, titles


def score_entries(program: ir.Program, env: interpret.Env) -> list[TraceEntry]:
    """A trace entry for every score and assessment, by id: each item's and branch's outcome."""
    out = []
    for name in sorted(program.scores):
        score = program.scores[name]
        reading = interpret.Reading()
        tally = interpret.score_of(score, _reading(env, reading))
        out.append(_score_entry("score", name, None, score, tally, reading, ir.Where(score.file, score.span)))
        out.extend(count_entries(reading, None, own=score))
    for name in sorted(program.assessments):
        assessment = program.assessments[name]
        reading = interpret.Reading()
        why = interpret.assessment_of(assessment, _reading(env, reading))
        value, possible, _open = why.result
        parts = [
            built(
                TracePart,
                text=b.text,
                outcome="not_tried" if isinstance(o, str) else _OUTCOME[o],
                points=None,
            )
            for b, o in zip(assessment.branches, why.outcomes, strict=True)
        ]
        out.append(
            entry(
                "assessment",
                name,
                None,
                "known" if value is not None else "unknown",
                reading,
                why.missing,
                ir.Where(assessment.file, assessment.span),
                None,
                value=value,
                possible=list(possible),
                parts=parts,
            )
        )
        out.extend(count_entries(reading, None, own=assessment))
    return out


def count_entries(
    reading: interpret.Reading,
    exercise: str | None,
    program: ir.Program | None = None,
    own: ir.Score | ir.Assessment | None = None,
) -> list[TraceEntry]:
    """An entry for each `count of` an evaluation counted, in the order met.

    For a red flag or rule (`program`), those inside a declared score or
    assessment are left out; for a score or assessment (`own`), all but its
    own: each follows the entry of the declaration it is written in.
    """
    if not reading.counts:
        return []
    if own is not None:
        keep = {
            id(n.score)
            for root in _roots(own)
            for n in ir.nodes(root, into_scores=False)
            if isinstance(n, ir.ScoreValue)
        }
        chosen = [v for k, v in reading.counts.items() if k in keep]
    else:
        declared: list[ir.Score | ir.Assessment] = (
            [*program.scores.values(), *program.assessments.values()] if program else []
        )
        inside = {
            id(n.score)
            for d in declared
            for root in _roots(d)
            for n in ir.nodes(root)
            if isinstance(n, ir.ScoreValue)
        }
        chosen = [v for k, v in reading.counts.items() if k not in inside]
    return [
        _score_entry("count_of", score.title or "count of", exercise, score, tally, None, _where(score))
        for score, tally in chosen
    ]


def _roots(node: ir.Score | ir.Assessment) -> list[ir.Condition]:
    if isinstance(node, ir.Score):
        return [item.condition for item in node.items]
    return [b.condition for b in node.branches if b.condition is not None]


def _where(score: ir.Score) -> ir.Where:
    return ir.Where(score.file, score.span)


def _score_entry(
    kind: str,
    name: str,
    exercise: str | None,
    score: ir.Score,
    tally: interpret.Tally,
    reading: interpret.Reading | None,
    where: ir.Where,
) -> TraceEntry:
    texts = score.text or tuple(f"item {i + 1}" for i in range(len(score.items)))
    parts = [
        built(TracePart, text=text, outcome=_OUTCOME[o], points=item.points)
        for text, item, o in zip(texts, score.items, tally.outcomes, strict=True)
    ]
    return entry(
        kind,
        name,
        exercise,
        "known" if tally.low == tally.high else "unknown",
        reading or interpret.Reading(),
        tally.missing,
        where,
        None,
        range=[tally.low, tally.high],
        parts=parts,
    )


def _reading(env: interpret.Env, reading: interpret.Reading) -> interpret.Env:
    """A fresh env over the same inputs that records into `reading` (every session, no target)."""
    return interpret.Env(
        env.schema,
        env.patient,
        env.params,
        env.now,
        env.sessions,
        env.by_exercise,
        reading,
        None,
        env.log,
        env.program,
    )


def entry(
    kind: str,
    name: str,
    exercise: str | None,
    result: bool | str | None,
    reading: interpret.Reading,
    missed: Iterable[str],
    where: ir.Where,
    note: str | None,
    **extra: object,
) -> TraceEntry:
    """One trace entry; `result` is an outcome (True, False, None) or, for a score or assessment, its word."""
    outcome = result if isinstance(result, str) else _OUTCOME[result]
    span = where.span
    return built(
        TraceEntry,
        kind=kind,
        id=name,
        exercise=exercise,
        outcome=outcome,
        values=dict(sorted(reading.values.items())),
        missed=sorted(missed),
        where=built(
            Where,
            file=where.file,
            line=span.line,
            column=span.column,
            end_line=span.end_line,
            end_column=span.end_column,
        ),
        note=note,
        **{"range": None, "value": None, "possible": None, "parts": None, **extra},
    )


def trace(
    ev: Evaluator,
    flags: tuple[bool | None, ...],
    outcomes: Any,
    wanted: tuple[str, ...],
    why: Missing,
    notes: Mapping[tuple[int, str], str],
) -> list[TraceEntry]:
    """The `--explain` trace: every red flag, score and assessment, then every wanted exercise's rules.

    `notes`: the combination's, by (rule, exercise): why a move was not advised.
    """
    program = ev.program
    entries: list[TraceEntry] = []
    for flag, value in zip(program.red_flags, flags, strict=True):
        reading = interpret.Reading()
        env = dataclasses.replace(why.env, reading=reading)
        _, missed = interpret.condition(flag.condition, env)
        entries.append(entry("red_flag", flag.id, None, value, reading, missed, flag.where, None))
        entries.extend(count_entries(reading, None, program))
    entries.extend(score_entries(program, why.env))
    for ex in wanted:
        for index in ev.rules_for[ex]:
            rule = program.rules[index]
            reading = interpret.Reading()
            _, missed = interpret.condition(rule.condition, why.env_for(ex, reading))
            outcome = outcomes[index]
            value = outcome[ex] if type(outcome) is dict else outcome  # a rule that reads its own sessions
            entries.append(
                entry("rule", rule.id, ex, value, reading, missed, rule.where, notes.get((index, ex)))
            )
            entries.extend(count_entries(reading, ex, program))
    return entries
