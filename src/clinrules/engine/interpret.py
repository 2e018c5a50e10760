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
    """What one evaluation read: field path -> value (JSON-ready)."""

    values: dict[str, Any] = field(default_factory=dict)


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
    """Results of defined phrases: (id of the phrase's condition, id of the session) -> result.

    Both are alive for as long as the evaluation, so their ids stay theirs.
    Each `Env` has its own (not an argument, so `dataclasses.replace` makes a
    new one): a phrase reads the same values each time, so its first
    evaluation recorded in this env's `reading` everything a later one would.
    """


def condition(node: ir.Condition, env: Env, session: Any = None) -> tuple[Truth, frozenset[str]]:
    """The value of a condition and, when it is unknown, the fields that made it so."""
    match node:
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
    if isinstance(value, ir.EXPRESSIONS):
        return expr(value, env, session)[0]
    return condition(value, env, session)[0]
