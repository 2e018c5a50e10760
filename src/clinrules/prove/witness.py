"""Prove: a counterexample patient from a z3 model, made small, and replayed through the evaluator.

A model is first minimised (`z3.Optimize`, soft constraints: no session,
each parameter at its default, each field unknown), then read back as the
model's JSON: every field the encoding made, null when unknown, times as
ISO 8601 text at a fixed calendar date with the model's time of day, each
session in its own UTC offset. The patient is then evaluated by the real
evaluator (`decision.combine.decide`); the verdict it gives must be the
verdict the encoding predicted, or the disagreement is reported as a bug in
clinrules, since then one of the two semantics is wrong.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import z3

from clinrules import ir
from clinrules.base.errors import ClinrulesError
from clinrules.decision.combine import decide
from clinrules.decision.result import Decision, RulesetInfo
from clinrules.engine import interpret
from clinrules.engine.evaluator import Evaluator
from clinrules.prove.kleene import DAY, MICROS
from clinrules.prove.queries import Encoding, Refutation
from clinrules.prove.values import Value, exact
from clinrules.prove.verdicts import RANK
from clinrules.schema import types as t

BASE_DATE = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
"""The calendar date of every counterexample's evaluation time; only its time of day varies."""
_NAMES = {rank: verdict for verdict, rank in RANK.items()}


@dataclass
class Witness:
    """A counterexample: the patient, its parameters and time, and what the encoding and the evaluator say."""

    promise: str
    exercise: str
    patient: dict[str, Any]
    parameters: dict[str, Any]
    as_of: str
    predicted: str
    replayed: str | None = None
    triage: str | None = None
    agrees: bool = False
    problem: str | None = None
    sessions: list[str] = field(default_factory=list)
    """Each session in words, its time relative to the evaluation time."""
    relative: dict[str, str] = field(default_factory=dict)
    """Each known time of the patient, by path, relative to the evaluation time (`now - 7 d`)."""


def minimal(encoding: Encoding, refutation: Refutation, rounds: int = 12) -> Any:
    """A model of the refutation with few sessions, parameters at their defaults and few known fields.

    Each wish (no session here, this parameter at its default, this field
    unknown, a round time) is an assumption; while the wishes together
    contradict the refutation, the solver's unsat core names some that do,
    and those are given up. What is left is a model that keeps every other
    wish: small, though not always the smallest.
    """
    patient = encoding.patient
    wishes: list[Any] = []
    for slots in patient.slots.values():
        for slot in reversed(slots):  # the oldest first: a history keeps its newest sessions
            wishes.append(z3.Not(slot.present))
            wishes.append(slot.offset == 0)
            wishes.append(slot.at % (3600 * MICROS) == 0)
    wishes.append(patient.tod == 8 * 3600 * MICROS)
    for name, value in patient.params.items():
        wishes.append(value == exact(encoding.program.parameters[name].default))
    wishes += [z3.Not(v.known) for v in [*patient.fields.values(), *patient.session_values.values()]]
    for value in patient.fields.values():
        if isinstance(value.type, t.DateTimeType):
            wishes.append(value.value % (3600 * MICROS) == 0)
    encoding.sync()
    solver = encoding.solver
    solver.push()
    try:
        solver.add(refutation.broken)
        flags = [z3.Bool(f"wish:{i}") for i in range(len(wishes))]
        solver.add(*[z3.Implies(f, w) for f, w in zip(flags, wishes, strict=True)])
        kept = list(flags)
        for _ in range(rounds):
            result = solver.check(*kept)
            if result == z3.sat:
                return solver.model()
            if result != z3.unsat:
                break
            core = {str(c) for c in solver.unsat_core()}
            if not core:
                break
            kept = [f for f in kept if str(f) not in core]
        if solver.check() == z3.sat:
            return solver.model()
    finally:
        solver.pop()
    return refutation.model


def witness(encoding: Encoding, refutation: Refutation, model: Any) -> Witness:
    """The patient a model describes, and the verdict the encoding predicts for it."""
    patient = encoding.patient
    tod = _int(model, patient.tod)
    now = BASE_DATE + dt.timedelta(microseconds=tod)
    data: dict[str, Any] = {"as_of": now.isoformat()}
    schema = encoding.program.schema
    for path, value in sorted(patient.fields.items()):
        _put(data, path.split("."), _json(model, value, now, schema.fields[path].type))
    sessions, words = [], []
    for exercise, slots in patient.slots.items():
        for slot in slots:
            if not z3.is_true(model.eval(slot.present, model_completion=True)):
                continue
            offset = dt.timezone(dt.timedelta(minutes=_int(model, slot.offset)))
            at = (now + dt.timedelta(microseconds=_int(model, slot.at))).astimezone(offset)
            session: dict[str, Any] = {"exercise": exercise, "at": at.isoformat()}
            for (ex, index, leaf), value in sorted(patient.session_values.items()):
                if ex == exercise and index == slot.index:
                    session[leaf] = _json(model, value, now, schema.session_fields[leaf].type)
            sessions.append(session)
            words.append(f"{exercise} at now - {_ago(now - at)} (UTC offset {at.strftime('%z')})")
    data["sessions"] = sorted(sessions, key=lambda s: dt.datetime.fromisoformat(s["at"]), reverse=True)
    relative: dict[str, str] = {}
    for path, made in sorted(patient.fields.items()):
        known = z3.is_true(model.eval(made.known, model_completion=True))
        if known and isinstance(made.type, t.DateTimeType | t.DateType):
            relative[path] = f"now - {_ago(dt.timedelta(microseconds=-_int(model, made.value)))}"
    for index, session in enumerate(data["sessions"]):
        relative[f"sessions[{index}].at"] = f"now - {_ago(now - dt.datetime.fromisoformat(session['at']))}"
    parameters = {name: _number(model, value) for name, value in sorted(patient.params.items())}
    final = encoding.verdicts.terms(refutation.exercise).final
    predicted = _NAMES[_int(model, final)]
    return Witness(
        refutation.promise,
        refutation.exercise,
        data,
        parameters,
        now.isoformat(),
        predicted,
        sessions=words,
        relative=relative,
    )


def replay(program: ir.Program, evaluator: Evaluator, found: Witness) -> Witness:
    """Evaluate the witness with the real evaluator; `agrees` when it gives the predicted verdict."""
    info = RulesetInfo(id=program.id, version=program.version, status=program.status, sha256="0" * 64)
    try:
        decision: Decision = decide(
            evaluator, info, found.patient, None, found.parameters, found.as_of, explain=False, recheck=None
        )
    except ClinrulesError as error:
        found.problem = f"the evaluator refused the counterexample: {error}"
        return found
    got = decision.exercises[found.exercise]
    found.replayed = got.verdict.value
    found.triage = decision.triage.value
    found.agrees = found.replayed == found.predicted
    permitted = {
        x for x, e in decision.exercises.items() if e.verdict.value in ("allow", "modify", "progress")
    }
    offered = [*got.instead, *(x for x in (got.progress_to, got.regress_to) if x is not None)]
    if any(x not in permitted for x in offered):
        found.agrees = False
        found.problem = "the evaluator offered an alternative or target that is not permitted"
    if not found.agrees and found.problem is None:
        found.problem = f"the encoding predicted '{found.predicted}', the evaluator gave '{found.replayed}'"
    return found


def premise_holds(
    program: ir.Program, evaluator: Evaluator, found: Witness, condition: ir.Condition
) -> bool | None:
    """A requirement's premise for the witness's exercise, by the interpreter."""
    inputs, _ = evaluator.checked(found.patient, found.parameters, found.as_of)
    patient, params, now, sessions, by_ex = inputs
    named = dict(zip(program.parameters, params, strict=True))
    env = interpret.Env(
        program.schema,
        patient,
        named,
        now,
        by_ex.get(found.exercise, ()),
        by_ex,
        target=found.exercise,
        log=sessions,
        program=program,
    )
    return interpret.condition(condition, env)[0]


def _put(data: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


def _int(model: Any, term: Any) -> int:
    return int(model.eval(term, model_completion=True).as_long())


def _number(model: Any, term: Any) -> Any:
    value = model.eval(term, model_completion=True)
    if z3.is_bool(value):
        return z3.is_true(value)
    if z3.is_int_value(value):
        return value.as_long()
    exact = Fraction(value.numerator_as_long(), value.denominator_as_long())
    return int(exact) if exact.denominator == 1 else float(exact)


def _json(model: Any, value: Value, now: dt.datetime, kind: t.RuleType) -> Any:
    if not z3.is_true(model.eval(value.known, model_completion=True)):
        return None
    if isinstance(kind, t.BoolType | t.NumberType):
        return _number(model, value.value)
    if isinstance(kind, t.EnumType):
        return _member(kind, kind.members[_int(model, value.value)])
    if isinstance(kind, t.EnumListType):
        return [
            _member(kind.item, m)
            for m, bit in zip(kind.item.members, value.value, strict=True)
            if z3.is_true(model.eval(bit, model_completion=True))
        ]
    if isinstance(kind, t.DateTimeType):
        return (now + dt.timedelta(microseconds=_int(model, value.value))).isoformat()
    if isinstance(kind, t.DateType):
        midnight = now - dt.timedelta(microseconds=(now - BASE_DATE) // dt.timedelta(microseconds=1))
        return (midnight + dt.timedelta(microseconds=_int(model, value.var) * DAY)).date().isoformat()
    return "text"


def _member(kind: t.EnumType, member: str) -> Any:
    found = kind.value_of(member)
    return getattr(found, "value", found)


def _ago(delta: dt.timedelta) -> str:
    micros = delta // dt.timedelta(microseconds=1)
    days, rest = divmod(micros, DAY)
    hours, rest = divmod(rest, 3600 * MICROS)
    minutes, rest = divmod(rest, 60 * MICROS)
    seconds = rest / MICROS
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    if seconds:
        parts.append(f"{seconds:g} s")
    return " ".join(p for p in parts if p) or "0 s"
