"""When each time comparison of one evaluation changes: the instants `recheck_at` tries (recheck.py).

`Compared` is what a program compares with `now`, found once per ruleset by
one walk (`timed.py`); `Instants` works out, for one evaluation's inputs,
the instant T each comparison changes at and whether it changes at T, only
after it, or either. An instant is worked out with the runtime's own
arithmetic (`datetime` plus `timedelta`), so it is the instant the compiled
code changes at; a comparison of durations is solved with exact fractions,
and where the runtime computes with fractions of a microsecond, the
instants a few microseconds either side are given too. A session form over
no session, or over sessions no later `now` can select, gives no instant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Iterable, Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from clinrules import ir
from clinrules.decision.timed import AFTER, BOTH, Summary, Test, Walk
from clinrules.engine import interpret, runtime
from clinrules.engine.evaluator import Evaluator, Inputs
from clinrules.schema.types import DateType
from clinrules.syntax.ast import Quantifier

__all__ = ["Compared", "Instant", "Instants", "Unit"]

_SECOND = dt.timedelta(seconds=1)
_MICROSECOND = dt.timedelta(microseconds=1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MILLION = 10**6
_WIDE = tuple(dt.timedelta(microseconds=k) for k in (-2, -1, 0, 1, 2))
_LAST_FORMS = frozenset(
    {Quantifier.LAST, Quantifier.ANY_OF_LAST, Quantifier.COUNT_OF_LAST, Quantifier.EVERY_OF_LAST}
)
_ANY_WITHIN = frozenset({Quantifier.ANY_WITHIN, Quantifier.NONE_WITHIN})
Unit = tuple[int, int, str | None]
"""What an instant may change: (0, red flag index, None), or (1, rule index, its
target exercise, or None for every target)."""


class _Unsupported(Exception):
    """A form whose change instant cannot be worked out."""


class Compared:
    """What every red flag and rule of a program compares with `now`, found once.

    Immutable after construction; safe to share between threads.
    """

    def __init__(self, evaluator: Evaluator) -> None:
        self.ev = evaluator
        program = evaluator.program
        self.params: Mapping[str, int] = MappingProxyType({n: i for i, n in enumerate(program.parameters)})
        walk = Walk()
        self.flags = tuple(walk.summary(f.condition) for f in program.red_flags)
        self.rules = tuple(walk.summary(r.condition) for r in program.rules)
        self.inner: Mapping[int, Summary] = MappingProxyType(walk.inner)
        self.now_nodes = frozenset(walk.now_nodes)
        schema_fields = program.schema.session_fields
        self.session_attrs: Mapping[int, tuple[str, ...]] = MappingProxyType(
            {
                key: tuple(schema_fields[path.split(".", 1)[1]].attrs)
                for key, path in walk.session_fields.items()
            }
        )
        self.unsupported = any(s.unsupported for s in (*self.flags, *self.rules, *walk.inner.values()))
        self.forms: Mapping[int, _Form] = MappingProxyType(
            {
                id(node): _form(node, program, self.inner)
                for summary in (*self.flags, *self.rules)
                for node in (*summary.histories, *summary.shared)
                if id(node) in self.inner
            }
        )
        self.targets = tuple(r.targets.exercises for r in program.rules)


Instant = tuple[dt.datetime, int]
"""(T, when): a comparison is equal at T and changes at T (`AT`), after it (`AFTER`) or either."""


class Instants:
    """The change instants of one evaluation's inputs."""

    def __init__(self, plan: Compared, inputs: Inputs, picks: runtime.Picks) -> None:
        self.plan = plan
        self.inputs = inputs
        self.picks = picks
        self.as_of = inputs[2]
        self._env: interpret.Env | None = None
        self._histories: dict[tuple[int, str | None], list[Instant]] = {}
        self._offsets: dict[int, dt.timedelta | None] = {}
        self._windows: dict[int, dt.timedelta] = {}

    def bases(
        self, flags: Iterable[int], rules: Iterable[int], pairs: Container[tuple[int, str]]
    ) -> set[tuple[dt.datetime, int, Unit]]:
        """(T, when, unit) for every instant T at which a unit's comparison changes, each once
        (many comparisons change at one instant: one session in many rules' windows).

        `pairs`: the (rule, target exercise) whose own-session outcomes are read; the
        other targets' are not worked out.
        """
        plan = self.plan
        out: set[tuple[dt.datetime, int, Unit]] = set()
        for i in flags:
            unit: Unit = (0, i, None)
            summary = plan.flags[i]
            out.update((t, w, unit) for test in summary.tests for t, w in self.test(test, None))
            for history in (*summary.histories, *summary.shared):
                out.update(self.sources(history, unit, None, ()))
        for j in rules:
            every: Unit = (1, j, None)
            summary = plan.rules[j]
            out.update((t, w, every) for test in summary.tests for t, w in self.test(test, None))
            for history in summary.histories:
                out.update(self.sources(history, every, j, pairs))
            for history in summary.shared:  # in a score or assessment: every session, as a red flag's
                out.update(self.sources(history, every, None, ()))
        return out

    def sources(
        self, node: ir.History, every: Unit, rule: int | None, pairs: Container[tuple[int, str]]
    ) -> list[tuple[dt.datetime, int, Unit]]:
        """The instants of a session form in a red flag (`rule` None) or a rule, with the unit each changes.

        A rule over its exercise's own sessions (counted by session or by day) changes
        per target exercise, at the instants of that exercise's sessions; a scope
        other than `of EX`, or `of EX` by day, reads (a part of) every session.
        """
        _patient, _params, _now, sessions, by_ex = self.inputs
        if node.exercise is not None and _plain(node):
            seq = by_ex.get(node.exercise, ())
            return [(t, w, every) for t, w in self.history(node, "=" + node.exercise, seq)]
        own = rule is not None and self.plan.ev.compiled.own_sessions[rule]
        if rule is None or not own or getattr(node, "scope", None) is not None:
            return [(t, w, every) for t, w in self.history(node, "*", sessions)]
        out: list[tuple[dt.datetime, int, Unit]] = []
        for x in self.plan.targets[rule]:
            if (rule, x) not in pairs:
                continue
            own_seq = by_ex.get(x)
            if own_seq:  # a target without sessions: the form tests none, at any `now`
                target: Unit = (1, rule, x)
                out.extend((t, w, target) for t, w in self.history(node, x, own_seq))
        return out

    def history(self, node: ir.History, source: str | None, seq: Sequence[Any]) -> list[Instant]:
        """The instants of a session form over `seq` (newest first): its window's and its tests'."""
        key = (id(node), source)
        found = self._histories.get(key)
        if found is not None:
            return found
        found = []
        if not seq:  # the form tests no session at any later `now`: its value is fixed
            self._histories[key] = found
            return found
        form = self.plan.forms.get(id(node)) or _form(node, self.plan.ev.program, self.plan.inner)
        attrs, plain, days, tests = form
        selected: Sequence[Any] = seq
        if node.window is not None:
            # A session in the window at `as_of` is still in at at + W and out after it; one
            # outside never comes back, since no session is later than `as_of`. Newest first,
            # as the runtime's `within` reads them.
            length = self._windows.get(id(node))
            if length is None:
                length = self._windows[id(node)] = dt.timedelta(seconds=self.value(node.window, None))
            earliest = self.as_of - _SECOND
            if attrs is not None:
                found = _any_within(seq, attrs, length, earliest)
                self._histories[key] = found
                return found
            chosen: list[Any] | None = [] if tests and not days else None  # the sessions the tests read
            last_at = None
            for session in seq:
                if session.at != last_at:  # sessions at one time leave at one instant: it once
                    last_at = session.at
                    leaves = last_at + length
                    if leaves < earliest:
                        break
                    found.append((leaves, AFTER))
                if chosen is not None:
                    chosen.append(session)
            if chosen is not None:
                selected = chosen
        elif plain and node.quantifier in _LAST_FORMS:
            selected = seq[: node.last or 1]
        if days and tests and source != "*":
            # `seq` is what the form reads (its target's own sessions): only the sessions of
            # its last N days are tested, and no later `now` changes which days those are.
            selected = [s for day in self.picks.days(seq, node.last or 0) for s in day]
        # The tests run only on the sessions selected at `as_of`, or fewer later: with none, no test
        # (not even one that reads no session field) can change the form's value.
        for test in tests if selected else ():
            if test.session:
                for session in selected:
                    found.extend(self.test(test, session))
            else:
                found.extend(self.test(test, None))
        self._histories[key] = found
        return found

    def test(self, test: Test, session: Any) -> list[Instant]:
        """The instants at which one comparison changes, for one session (or none)."""
        if test.fixed is not None:
            moment = _as_time(self.value(test.fixed, session))
            if moment is None:
                return []
            offset = self.offset(test, session)
            if offset is None:
                return []
            try:
                return [(moment - offset, test.when)]
            except OverflowError:  # beyond the calendar: never reached
                return []
        left, right = self.linear(test.left, session), self.linear(test.right, session)
        if left is None or right is None:
            return []
        slope, intercept = left[0] - right[0], left[1] - right[1]
        if slope == 0:
            return []
        micros = -intercept / slope * _MILLION
        floor = micros.numerator // micros.denominator
        try:
            moment = _EPOCH + dt.timedelta(microseconds=floor)
        except OverflowError:
            return []
        if left[2] and right[2] and micros.denominator == 1:
            return [(moment, BOTH)]
        return [
            (moment + k, BOTH) for k in _WIDE
        ]  # computed with fractions of a microsecond: either side too

    def offset(self, test: Test, session: Any) -> dt.timedelta | None:
        """The sum of a shifted `now`'s durations, as `runtime.shift` adds them; None when unknown."""
        cached = not test.session_shifts
        if cached and id(test) in self._offsets:
            return self._offsets[id(test)]
        total = dt.timedelta()
        offset: dt.timedelta | None = total
        for sign, duration in test.shifts:
            seconds = self.value(duration, session)
            if seconds is None:
                offset = None
                break
            total += dt.timedelta(seconds=sign * seconds)
            offset = total
        if cached:
            self._offsets[id(test)] = offset
        return offset

    def linear(self, node: ir.Expr, session: Any) -> tuple[Fraction, Fraction, bool] | None:
        """`node` as slope * (now in seconds) + intercept, exact or not; None when unknown."""
        if id(node) not in self.plan.now_nodes:
            value = self.value(node, session)
            if value is None:
                return None
            moment = _as_time(value) if isinstance(value, dt.date) else None
            if moment is not None:
                return Fraction(0), Fraction((moment - _EPOCH) // _MICROSECOND, _MILLION), True
            return Fraction(0), Fraction(value), True
        match node:
            case ir.Now():
                return Fraction(1), Fraction(0), True
            case ir.Scale(expr=inner, factor=factor):
                found = self.linear(inner, session)
                if found is None:
                    return None
                f = Fraction(factor)
                return found[0] * f, found[1] * f, found[2] and f.denominator == 1
            case ir.Arith(op=op, kind=kind, left=left, right=right):
                a, b = self.linear(left, session), self.linear(right, session)
                if a is None or b is None:
                    return None
                sign = 1 if op == "+" else -1
                exact = a[2] and b[2]
                if kind is ir.ArithKind.SHIFT:  # the runtime rounds the duration to microseconds
                    exact = exact and b[0] == 0 and (b[1] * _MILLION).denominator == 1
                elif kind is ir.ArithKind.ELAPSED:
                    sign = -1
                return a[0] + sign * b[0], a[1] + sign * b[1], exact
        raise _Unsupported(type(node).__name__)

    def value(self, node: ir.Expr, session: Any) -> Any:
        """The value of an expression without `now`, as the rules read it (None when unknown)."""
        match node:
            case ir.Const(value=value):
                return value
            case ir.ParamRef(name=name):
                return self.inputs[1][self.plan.params[name]]
            case ir.FieldRef(session=True) if session is not None:
                value = session
                for attr in self.plan.session_attrs[id(node)]:
                    value = getattr(value, attr)
                return value
            case ir.FieldRef(session=False, path=path):  # as `interpret.expr` reads it, without an Env
                value = self.inputs[0]
                for attr in self.plan.ev.program.schema.fields[path].attrs:
                    if value is None:
                        return None
                    value = getattr(value, attr)
                if value is not None and isinstance(node.type, DateType):
                    return runtime.day_start(value)
                return value
        return interpret.expr(node, self.env, session)[0]

    @property
    def env(self) -> interpret.Env:
        if self._env is None:
            patient, params, now, sessions, by_ex = self.inputs
            program = self.plan.ev.program
            named = dict(zip(program.parameters, params, strict=True))
            self._env = interpret.Env(program.schema, patient, named, now, sessions, by_ex)
        return self._env


def _any_within(
    seq: Sequence[Any], attrs: Sequence[str], length: dt.timedelta, earliest: dt.datetime
) -> list[Instant]:
    """The instants at which `any`/`no session within W had F` (F a yes/no session field,
    read by `attrs`) can change, `seq` newest first.

    The form is true while a session with F yes is in the window, else unknown while one
    with F unknown is, else false (`interpret._history`). Sessions leave oldest first, so
    it changes only when the newest session with F yes leaves, or, before that (it is
    newer), the newest with F unknown: no other session's leaving changes it.
    """
    found: list[Instant] = []
    unknown_seen = False
    for session in seq:
        leaves = session.at + length
        if leaves < earliest:
            break
        value = session
        for attr in attrs:
            if value is None:
                break
            value = getattr(value, attr)
        if value is None:
            if not unknown_seen:
                unknown_seen = True
                found.append((leaves, AFTER))
        elif value:
            found.append((leaves, AFTER))
            break
    return found


_Form = tuple[tuple[str, ...] | None, bool, bool, tuple[Test, ...]]
"""Of a session form, the same for every patient: for `any`/`no session within W had F`, F a
yes/no session field of the base language's scopes, the attributes that read F (else None);
whether it is of the base language (`_plain`); whether it counts days; the tests of its `had`."""


def _form(node: ir.History, program: ir.Program, inner: Mapping[int, Summary]) -> _Form:
    condition = node.condition
    attrs = None
    if (
        node.quantifier in _ANY_WITHIN
        and _plain(node)
        and type(condition) is ir.Truth
        and type(condition.value) is ir.FieldRef
        and condition.value.session
    ):
        attrs = tuple(program.schema.session_fields[condition.value.path.split(".", 1)[1]].attrs)
    return attrs, _plain(node), bool(getattr(node, "days", False)), inner[id(node)].tests


def _plain(node: ir.History) -> bool:
    """A session form of the base language: no scope but `of EX`, and no day counting."""
    return getattr(node, "scope", None) in (None, "exercise") and not getattr(node, "days", False)


def _as_time(value: Any) -> dt.datetime | None:
    """A time as compared; a date is the start of its day in UTC."""
    if value is None or isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return None
