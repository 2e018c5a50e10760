"""Interpreter: evaluates the IR directly, recording what it read and what was missing.

The compiled functions answer true, false or unknown as fast as Python can.
A decision also needs to say *why*: which fields were missing when an
outcome was unknown, and, for `--explain`, every value a rule read. This
module walks the same IR with the same semantics to find that out, only for
the outcomes that need it. Tests check that it agrees with the compiled
code on every outcome.

Missing fields follow language.md section 5: a field is missing when its
absence left the outcome unknown; a value that did not matter (`false and
unknown`) is not missing.

A defined phrase's result is kept in `Env.phrases` for the rest of the
evaluation (per session inside `had`), so a phrase used many times, through
other phrases too, is evaluated once: the work is linear in the program. The
walk recurses as conditions nest, which the checker bounds with the phrases
expanded (CR006), far below Python's recursion limit.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any

from clinrules import ir
from clinrules.engine import runtime
from clinrules.schema import types as t
from clinrules.syntax.ast import Quantifier, ScopeKind

Truth = bool | None
_NONE: frozenset[str] = frozenset()
_COMPARE = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
}


@dataclass
class Reading:
    """What one evaluation read: field path -> value (JSON-ready), and each `count of` it counted."""

    values: dict[str, Any] = field(default_factory=dict)
    counts: dict[int, tuple[ir.Score, Tally]] = field(default_factory=dict)
    """id of a `count of` -> it and how it came out (outside `had`; the first time it was counted)."""


@dataclass(frozen=True, slots=True)
class Tally:
    """How a score came out: its range, each item's outcome, and the fields that left it open."""

    low: int | float
    high: int | float
    outcomes: tuple[Truth, ...]
    missing: frozenset[str]


@dataclass(frozen=True, slots=True)
class Verdicts:
    """How an assessment came out (language-2.md section 6).

    Attributes:
        result: `(value, possible, open)`, as the compiled code gives it.
        outcomes: each branch's outcome in order, or "not tried" after the
            branch that decided (`otherwise` is True when tried).
        deciding: the index of the branch that decided, else None.
        missing: the fields of the unknown branches tried, whose answers would settle it.
    """

    result: runtime.Assessed
    outcomes: tuple[Truth | str, ...]
    deciding: int | None
    missing: frozenset[str]


@dataclass(frozen=True, slots=True)
class Env:
    """The inputs of one evaluation."""

    schema: Any
    patient: Any
    params: Mapping[str, Any]
    now: dt.datetime
    sessions: Sequence[Any]  # the sessions of the rule's exercise (all, in a red flag)
    by_exercise: Mapping[str, Sequence[Any]]
    reading: Reading | None = None
    target: str | None = None  # the rule's exercise; None in a red flag
    log: Sequence[Any] | None = None  # every session, newest first (None: merged from `by_exercise`)
    program: ir.Program | None = None  # for the scopes `tagged` and the ladder ones
    phrases: dict[tuple[int, int], tuple[Truth, frozenset[str]]] = field(
        default_factory=dict, init=False, repr=False
    )
    scored: dict[int, Any] = field(default_factory=dict, init=False, repr=False)
    """Results of declared scores and assessments by id, and (-1) the env they are read in."""
    """Results of defined phrases: (id of the phrase's condition, id of the session) -> result.

    Both are alive for as long as the evaluation, so their ids stay theirs.
    Each `Env` has its own (not an argument, so `dataclasses.replace` makes a
    new one): a phrase reads the same values each time, so its first
    evaluation recorded in this env's `reading` everything a later one would.
    """


def condition(node: ir.Condition, env: Env, session: Any = None) -> tuple[Truth, frozenset[str]]:
    """The value of a condition and, when it is unknown, the fields that made it so."""
    match node:
        case ir.Compare(kind=ir.CompareKind.SCORE):
            return _score_test(node, env, session)
        case ir.Between(kind=ir.CompareKind.SCORE):
            return _score_test(node, env, session)
        case ir.Assessed(assessment=assessment, members=members, negated=negated):
            verdicts = assessment_of(assessment, env)
            got = runtime.assessed(verdicts.result, members, negated)
            return got, (verdicts.missing if got is None else _NONE)
        case ir.Compare(op=op, kind=kind, left=left, right=right):
            (a, ma), (b, mb) = _operand(kind, left, env, session), _operand(kind, right, env, session)
            if a is None or b is None:
                return None, ma | mb
            return _compare(op, a, b), _NONE
        case ir.Between(kind=kind, value=value, low=low, high=high):
            parts = [_operand(kind, e, env, session) for e in (value, low, high)]
            if any(v is None for v, _ in parts):
                return None, frozenset().union(*(m for _, m in parts))
            (v, _), (lo, _), (hi, _) = parts
            return bool(lo <= v <= hi), _NONE
        case ir.Truth(value=value):
            v, missing = expr(value, env, session)
            return (None, missing) if v is None else (bool(v), _NONE)
        case ir.Member(value=value, members=members, negated=negated):
            v, missing = expr(value, env, session)
            if v is None:
                return None, missing
            return (_name(v) in members) != negated, _NONE
        case ir.Contains(value=value, members=members):
            v, missing = expr(value, env, session)
            if v is None:
                return None, missing
            return any(_name(x) in members for x in v), _NONE
        case ir.Empty(value=value, negated=negated):
            v, missing = expr(value, env, session)
            if v is None:
                return None, missing
            return (len(v) == 0) != negated, _NONE
        case ir.Known(value=value, negated=negated):
            inner = _value_of(value, env, session)
            return (inner is None) if negated else (inner is not None), _NONE
        case ir.And(items=items):
            return _kleene(items, env, session, stop=False)
        case ir.Or(items=items):
            return _kleene(items, env, session, stop=True)
        case ir.Not(item=item):
            v, missing = condition(item, env, session)
            return (None, missing) if v is None else (not v, _NONE)
        case ir.Phrase(condition=inner):
            key = (id(inner), id(session))
            found = env.phrases.get(key)
            if found is None:
                found = env.phrases[key] = condition(inner, env, session)
            return found
        case ir.History():
            return _history(node, env)
    raise TypeError(node)


def _kleene(
    items: tuple[ir.Condition, ...], env: Env, session: Any, stop: bool
) -> tuple[Truth, frozenset[str]]:
    missing: set[str] = set()
    unknown = False
    for item in items:
        v, m = condition(item, env, session)
        if v is stop:
            return stop, _NONE
        if v is None:
            unknown = True
            missing |= m
    return (None, frozenset(missing)) if unknown else (not stop, _NONE)


def selected(node: ir.History, env: Env) -> Sequence[Any]:
    """The sessions a session form reads in `env`, newest first (language-2.md section 1)."""
    if node.scope is None:
        return env.sessions
    if node.scope is ScopeKind.EXERCISE:
        return env.by_exercise.get(node.exercise or "", ())
    log = env.log if env.log is not None else runtime.merged(env.by_exercise)
    if node.scope is ScopeKind.ANY:
        return log
    if env.program is None:
        raise TypeError("a scope that needs the program, in an Env without one")
    ids = ir.scope_exercises(env.program.exercises, env.program.ladders, node, env.target)
    return log if ids is None else [s for s in log if s.exercise in ids]


def _history(node: ir.History, env: Env) -> tuple[Truth, frozenset[str]]:
    sessions = selected(node, env)
    if node.days:
        return _days(node, runtime.days(sessions, node.last or 0), env)
    if node.quantifier is Quantifier.LAST:
        if not sessions:
            return False, _NONE
        return condition(node.condition, env, sessions[0])
    if node.quantifier in (Quantifier.ANY_WITHIN, Quantifier.NONE_WITHIN):
        assert node.window is not None
        seconds = expr(node.window, env, None)[0]
        cutoff = env.now - dt.timedelta(seconds=seconds)
        chosen = [s for s in sessions if s.at >= cutoff]
    else:
        chosen = list(sessions[: node.last])
    results = [condition(node.condition, env, s) for s in chosen]
    unknown = frozenset().union(*(m for v, m in results if v is None))
    values = [v for v, _ in results]
    if node.quantifier in (Quantifier.ANY_OF_LAST, Quantifier.ANY_WITHIN, Quantifier.NONE_WITHIN):
        found: Truth = True if True in values else (None if None in values else False)
        if node.quantifier is Quantifier.NONE_WITHIN and found is not None:
            found = not found
        return found, (unknown if found is None else _NONE)
    if node.quantifier is Quantifier.EVERY_OF_LAST:
        if len(sessions) < (node.last or 0):
            return False, _NONE
        every: Truth = False if False in values else (None if None in values else True)
        return every, (unknown if every is None else _NONE)
    yes, maybe = values.count(True), values.count(None)
    count = node.count or 0
    if yes >= count:
        return True, _NONE
    return (None, unknown) if yes + maybe >= count else (False, _NONE)


def _days(node: ir.History, days: list[list[Any]], env: Env) -> tuple[Truth, frozenset[str]]:
    """The `last N days` forms: a day holds C when any (every, for `every one of`) session does."""
    every = node.quantifier is Quantifier.EVERY_OF_LAST
    if every and len(days) < (node.last or 0):
        return False, _NONE
    values: list[Truth] = []
    unknown: set[str] = set()
    for day in days:
        results = [condition(node.condition, env, s) for s in day]
        found = [v for v, _ in results]
        value: Truth = (
            (False if False in found else (None if None in found else True))
            if every
            else (True if True in found else (None if None in found else False))
        )
        values.append(value)
        if value is None:
            unknown.update(*(m for v, m in results if v is None))
    if every:
        result: Truth = False if False in values else (None if None in values else True)
        return result, (frozenset(unknown) if result is None else _NONE)
    yes, maybe, count = values.count(True), values.count(None), node.count or 1
    if yes >= count:
        return True, _NONE
    return (None, frozenset(unknown)) if yes + maybe >= count else (False, _NONE)


def expr(node: ir.Expr, env: Env, session: Any) -> tuple[Any, frozenset[str]]:
    """The value of an expression (None when unknown) and the fields it missed."""
    match node:
        case ir.FieldRef(path=path, session=is_session):
            value = _read(node, env, session)
            if env.reading is not None:
                env.reading.values[_shown_path(path, session) if is_session else path] = _json(value)
            if value is None:
                return None, frozenset({path})
            return (runtime.day_start(value) if isinstance(node.type, t.DateType) else value), _NONE
        case ir.ParamRef(name=name):
            return env.params[name], _NONE
        case ir.Const(value=value):
            return value, _NONE
        case ir.EnumConst(member=member):
            return member, _NONE
        case ir.Now():
            return env.now, _NONE
        case ir.Scale(expr=inner, factor=factor):
            v, m = expr(inner, env, session)
            return (None, m) if v is None else (v * factor, _NONE)
        case ir.Arith(op=op, kind=kind, left=left, right=right):
            (a, ma), (b, mb) = expr(left, env, session), expr(right, env, session)
            if a is None or b is None:
                return None, ma | mb
            if kind is ir.ArithKind.SHIFT:
                sign = 1 if op == "+" else -1
                try:
                    return a + dt.timedelta(seconds=sign * b), _NONE
                except OverflowError:
                    return (dt.datetime.max if sign * b > 0 else dt.datetime.min).replace(
                        tzinfo=dt.UTC
                    ), _NONE
            if kind is ir.ArithKind.ELAPSED:
                return (a - b).total_seconds(), _NONE
            return (a + b if op == "+" else a - b), _NONE
    raise TypeError(node)


def _operand(kind: ir.CompareKind, node: ir.Expr, env: Env, session: Any) -> tuple[Any, frozenset[str]]:
    value, missing = expr(node, env, session)
    if kind is not ir.CompareKind.RANK or value is None:
        return (_name(value) if value is not None and kind is ir.CompareKind.EQUAL else value), missing
    if isinstance(node, ir.EnumConst):
        return node.rank, _NONE
    enum = getattr(node, "type", None)
    assert isinstance(enum, t.EnumType)
    return enum.members.index(_name(value)), _NONE


def _read(node: ir.FieldRef, env: Env, session: Any) -> Any:
    if node.session:
        info = env.schema.session_fields[node.path.split(".", 1)[1]]
        value = session
    else:
        info = env.schema.fields[node.path]
        value = env.patient
    for attr in info.attrs:
        if value is None:
            return None
        value = getattr(value, attr)
    return value


def _compare(op: str, a: Any, b: Any) -> bool:
    return bool(_COMPARE[op](a, b))


def _name(value: Any) -> Any:
    """An enum member as rules name it (a text enum's value, an IntEnum's name); anything else as it is."""
    if isinstance(value, IntEnum):
        return value.name
    return value.value if isinstance(value, Enum) else value


def _shown_path(path: str, session: Any) -> str:
    when = getattr(session, "at", None)
    exercise = getattr(session, "exercise", "?")
    return f"{path} ({exercise} at {when.isoformat() if when else '?'})"


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):  # a datetime too
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(_json(v) for v in value)
    return _name(value)


def _value_of(value: ir.Expr | ir.Condition, env: Env, session: Any) -> Any:
    if isinstance(value, ir.ScoreValue):
        (low, high), _ = _range(value, env, session)
        return low if low == high else None
    if isinstance(value, ir.AssessValue):
        return assessment_of(value.assessment, env).result[0]
    if isinstance(value, ir.EXPRESSIONS):
        return expr(value, env, session)[0]
    return condition(value, env, session)[0]


# ---------------------------------------------------------------- scores and assessments


def _score_test(node: ir.Compare | ir.Between, env: Env, session: Any) -> tuple[Truth, frozenset[str]]:
    """A comparison with a score: over the ranges of its sides."""
    if isinstance(node, ir.Compare):
        (a, ma), (b, mb) = _range(node.left, env, session), _range(node.right, env, session)
        return (got := runtime.ranged(node.op, a, b)), (ma | mb if got is None else _NONE)
    parts = [_range(e, env, session) for e in (node.value, node.low, node.high)]
    value, low, high = (r for r, _ in parts)
    got = runtime.ranged_between(value, low, high)
    return got, (frozenset().union(*(m for _, m in parts)) if got is None else _NONE)


def _range(node: ir.Expr, env: Env, session: Any) -> tuple[runtime.Range, frozenset[str]]:
    """One side of a score comparison as a range, and the fields that left it open."""
    if isinstance(node, ir.ScoreValue):
        found = score_of(node.score, env, session)
        return (found.low, found.high), found.missing
    value, _ = expr(node, env, session)  # a number or a parameter: never unknown
    return (value, value), _NONE


def _patient_env(env: Env) -> Env:
    """The env a declared score or assessment is read in: every session, no target (as a red flag)."""
    # A red flag's env is that already; a rule's without a target (one that reads no sessions of
    # its own, asked once for every exercise) has none of the sessions: the compiled code reads all.
    if env.target is None and env.sessions is env.log:
        return env
    found = env.scored.get(-1)
    if found is None:
        log = env.log if env.log is not None else runtime.merged(env.by_exercise)
        found = env.scored[-1] = Env(
            env.schema,
            env.patient,
            env.params,
            env.now,
            log,
            env.by_exercise,
            env.reading,
            None,
            log,
            env.program,
        )
    return found


def score_of(score: ir.Score, env: Env, session: Any = None) -> Tally:
    """How a score comes out: a declared one once per evaluation, a `count of` where it stands."""
    if score.id is not None:
        env = _patient_env(env)
        found = env.scored.get(id(score))
        if found is not None:
            return found  # type: ignore[no-any-return]
        session = None
    results = [condition(item.condition, env, session) for item in score.items]
    low, high = runtime.tally([v for v, _ in results], [item.points for item in score.items])
    missing = frozenset().union(*(m for v, m in results if v is None))
    tally = Tally(low, high, tuple(v for v, _ in results), missing)
    if score.id is not None:
        env.scored[id(score)] = tally
    elif session is None and env.reading is not None:
        env.reading.counts.setdefault(id(score), (score, tally))
    return tally


def assessment_of(assessment: ir.Assessment, env: Env) -> Verdicts:
    """How an assessment comes out, once per evaluation: branches tried in order."""
    env = _patient_env(env)
    found = env.scored.get(id(assessment))
    if found is not None:
        return found  # type: ignore[no-any-return]
    outcomes: list[Truth | str] = []
    values: list[str] = []
    tests: list[Any] = []
    missing: set[str] = set()
    deciding = None
    otherwise = None
    for index, branch in enumerate(assessment.branches):
        if deciding is not None:
            outcomes.append("not tried")
            continue
        if branch.condition is None:
            otherwise = branch.value
            outcomes.append(True)
            deciding = index
            continue
        value, m = condition(branch.condition, env)
        outcomes.append(value)
        values.append(branch.value)
        tests.append(lambda v=value: v)
        if value is None:
            missing |= m
        elif value:
            deciding = index
    result = runtime.assess(values, tests, otherwise)
    verdicts = Verdicts(result, tuple(outcomes), deciding, frozenset(missing) if result[0] is None else _NONE)
    env.scored[id(assessment)] = verdicts
    return verdicts
