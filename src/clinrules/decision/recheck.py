"""When to look again: `recheck_at` (docs/semantics.md, "When to look again: recheck_at").

A decision holds until time moves a time comparison across its bound: a
session leaves a `within` window, `screened_at < now - 24 hours` starts to
hold. Each such comparison changes at an instant the data gives (`T`), and a
comparison that still holds at `T` (an inclusive window end, a strict `<`)
changes only after it, so the candidates are `T` and `T + 1 s`. The
candidates are tried in order by evaluating the same inputs with `now`
moved; only the red flags and rules whose comparisons change near a
candidate are run again, and the combination runs only when one of their
outcomes differs. The first candidate that gives an exercise (or the
triage) a different verdict is its `recheck_at`.

`RecheckPlan` is made once per ruleset (`RuleSet` holds it): what every red
flag and rule compares with `now`, found by one walk of the program that
visits each defined phrase once (`timed.py`). It holds no state of an evaluation, so it is
shared by every thread.

Exactness: an instant is worked out with the runtime's own arithmetic
(`datetime` plus `timedelta`), so it is the instant the compiled code
changes at. A comparison of durations (`now - onset > 6 weeks`) is solved
with exact fractions; where the runtime computes with fractions of a
microsecond, the instants a few microseconds either side are candidates
too. Extra candidates never make the answer later: a candidate before the
first change gives the verdict of `as_of`. A form whose instant cannot be
worked out (none exists today) makes `recheck_at` one second after `as_of`
for everything: early is safe, late is not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from clinrules import ir
from clinrules.decision.timed import AFTER, AT, BOTH, Summary, Test, Walk
from clinrules.engine import interpret, runtime
from clinrules.engine.evaluator import Evaluator, Inputs
from clinrules.schema.types import DateType
from clinrules.syntax.ast import Quantifier

__all__ = ["RecheckPlan", "Settle"]

_SECOND = dt.timedelta(seconds=1)
_MICROSECOND = dt.timedelta(microseconds=1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MILLION = 10**6
_WIDE = tuple(dt.timedelta(microseconds=k) for k in (-2, -1, 0, 1, 2))
_LAST_FORMS = frozenset(
    {Quantifier.LAST, Quantifier.ANY_OF_LAST, Quantifier.COUNT_OF_LAST, Quantifier.EVERY_OF_LAST}
)
Unit = tuple[int, int, str | None]
"""What an instant may change: (0, red flag index, None), or (1, rule index, its
target exercise, or None for every target)."""

Settle = Callable[[Inputs, tuple[bool | None, ...], Any, tuple[str, ...]], tuple[str, dict[str, str]]]
"""The combination: (inputs, red flag outcomes, rule outcomes, exercises) -> (triage, their verdicts)."""


class _Unsupported(Exception):
    """A form whose change instant cannot be worked out."""


class RecheckPlan:
    """The time comparisons of a program, found once; `run` gives one evaluation's `recheck_at`.

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
        self.timed_flags = tuple(i for i, s in enumerate(self.flags) if s.timed)
        self.timed_rules = frozenset(j for j, s in enumerate(self.rules) if s.timed)
        self.unsupported = any(s.unsupported for s in (*self.flags, *self.rules, *walk.inner.values()))
        self.timed = bool(self.timed_flags or self.timed_rules)
        self.related: Mapping[str, frozenset[str]] = MappingProxyType(
            {ex: _related(program, evaluator.rules_for, ex) for ex in program.exercises}
        )
        rules_for = evaluator.rules_for
        # The rules an exercise's verdict reads: its own, its alternatives' and its targets'.
        self.reads: Mapping[str, frozenset[int]] = MappingProxyType(
            {ex: frozenset(j for x in rel for j in rules_for[x]) for ex, rel in self.related.items()}
        )
        # An exercise whose verdict reads no time comparison keeps it: nothing to wait for.
        self.can_change: Mapping[str, bool] = MappingProxyType(
            {
                ex: bool(self.timed_flags) or any(j in self.timed_rules for x in rel for j in rules_for[x])
                for ex, rel in self.related.items()
            }
        )

    # ------------------------------------------------------------ one evaluation

    def run(
        self,
        inputs: Inputs,
        flags: tuple[bool | None, ...],
        outcomes: Any,
        wanted: tuple[str, ...],
        verdicts: Mapping[str, str],
        triage: str,
        settle: Settle,
    ) -> tuple[dict[str, dt.datetime | None], dt.datetime | None]:
        """Each wanted exercise's `recheck_at`, and the triage's.

        Args:
            inputs: the evaluation's inputs, at `as_of`.
            flags, outcomes: the red flags' and rules' outcomes at `as_of`.
            wanted: the exercises reported.
            verdicts, triage: the decision at `as_of`.
            settle: the combination, run where an outcome changes.
        """
        as_of = inputs[2]
        found: dict[str, dt.datetime | None] = dict.fromkeys(wanted)
        if not self.timed:
            return found, None
        every = len(wanted) == len(self.ev.exercise_ids)
        relevant = frozenset() if every else self._relevant(wanted)
        rules = self.timed_rules if every else self.timed_rules & relevant
        if self.unsupported:
            soon = as_of + _SECOND
            return dict.fromkeys(wanted, soon), soon
        events = []  # (first, last, unit): the unit may differ from its last value in [first, last]
        moments = set()
        picks = runtime.Picks(inputs[3])  # a scope's sessions (and days) do not depend on `now`: made once
        # Many comparisons change at one instant (one session in many rules' windows): each once.
        for instant, when, unit in set(_Instants(self, inputs, picks).bases(self.timed_flags, sorted(rules))):
            first = instant + _MICROSECOND if when == AFTER else instant
            last = instant if when == AT else instant + _SECOND
            if last > as_of:
                events.append((first, last, unit))
                if when != AFTER:
                    moments.add(instant)
                if when != AT:
                    moments.add(last)
        if not events:
            return found, None
        events.sort(key=lambda e: e[0])
        candidates = sorted(m for m in moments if m > as_of)
        current_flags = list(flags)
        current: Any = list(outcomes) if every else _Current(self.ev, inputs, relevant, outcomes)
        # An exercise (or the triage) that reads no time comparison is settled from the start.
        todo = [ex for ex in wanted if self.can_change[ex]]
        done: dict[str, dt.datetime] = {}
        triage_at: dt.datetime | None = None
        triage_done = not self.timed_flags
        patient, params, _now, sessions, by_ex = inputs
        compiled, ev = self.ev.compiled, self.ev
        rule_fns, own = compiled.rules, compiled.own_sessions
        # The rules the exercises still to settle read, and the exercises whose outcomes they
        # read (None: all); the others are no longer run.
        reading: frozenset[int] | None = None if every else relevant
        near: frozenset[str] | None = None
        reads = self.reads
        low = high = 0
        for moment in candidates:
            # Only a unit whose span holds this moment can differ from its last value.
            while high < len(events) and events[high][0] <= moment:
                high += 1
            while low < high and events[low][0] < moment - _SECOND:
                low += 1
            units = {u for first, last, u in events[low:high] if last >= moment}
            if not units:
                continue
            at = (patient, params, moment, sessions, by_ex)
            flag_changed = False
            changed: set[int] = set()  # rules whose one outcome (for every target) changed
            targets: set[str] = set()  # exercises of which a per-target outcome changed
            for kind, index, exercise in sorted(units, key=_unit_order):
                if kind and reading is not None and index not in reading:
                    continue
                if kind == 0:
                    value = compiled.red_flags[index](patient, params, moment, sessions, by_ex)
                    if value is not current_flags[index]:
                        current_flags[index], flag_changed = value, True
                elif exercise is None:
                    whole = (
                        ev.rule_value(index, at, picks=picks)
                        if own[index]
                        else rule_fns[index](patient, params, moment, (), by_ex, None, picks)
                    )
                    old = current[index]
                    if whole != old:
                        current[index] = whole
                        if type(whole) is dict and type(old) is dict:
                            targets.update(x for x, v in whole.items() if old.get(x) is not v)
                        else:
                            changed.add(index)
                elif near is None or exercise in near:  # a per-target unit: its rule reads its own sessions
                    value = rule_fns[index](
                        patient, params, moment, by_ex.get(exercise, ()), by_ex, exercise, picks
                    )
                    old = current[index]
                    if type(old) is dict and old.get(exercise) is not value:
                        current[index] = {**old, exercise: value}
                        targets.add(exercise)
            # A verdict whose red flags and rules kept their outcomes keeps its verdict, already
            # compared; the triage reads the red flags only. A per-target outcome is read by
            # its exercise's verdict and by those whose alternative or target that exercise is.
            if not (flag_changed or changed or targets):
                continue
            if flag_changed:
                affected = todo
            else:
                affected = [
                    ex
                    for ex in todo
                    if not (reads[ex].isdisjoint(changed) and self.related[ex].isdisjoint(targets))
                ]
            if not affected:
                continue
            now_triage, now_verdicts = settle(at, tuple(current_flags), current, tuple(affected))
            if flag_changed and not triage_done and now_triage != triage:
                triage_at, triage_done = moment, True
            for ex in affected:
                if now_verdicts[ex] != verdicts[ex]:
                    done[ex] = moment
            if any(ex in done for ex in affected):
                todo = [ex for ex in todo if ex not in done]
                reading = self._relevant(todo)
                near = frozenset(x for ex in todo for x in self.related[ex])
            if triage_done and not todo:
                break
        found.update(done)
        return found, triage_at

    def _relevant(self, wanted: Iterable[str]) -> frozenset[int]:
        """The rules a decision about `wanted` reads: theirs, their alternatives' and their targets'."""
        rules_for = self.ev.rules_for
        return frozenset(j for ex in wanted for other in self.related[ex] for j in rules_for[other])


Instant = tuple[dt.datetime, int]
"""(T, when): a comparison is equal at T and changes at T (`AT`), after it (`AFTER`) or either."""


class _Instants:
    """The change instants of one evaluation's inputs."""

    def __init__(self, plan: RecheckPlan, inputs: Inputs, picks: runtime.Picks) -> None:
        self.plan = plan
        self.inputs = inputs
        self.picks = picks
        self.as_of = inputs[2]
        self._env: interpret.Env | None = None
        self._histories: dict[tuple[int, str | None], list[Instant]] = {}
        self._offsets: dict[int, dt.timedelta | None] = {}

    def bases(self, flags: Iterable[int], rules: Iterable[int]) -> list[tuple[dt.datetime, int, Unit]]:
        """(T, when, unit) for every instant T at which a unit's comparison changes."""
        plan = self.plan
        out: list[tuple[dt.datetime, int, Unit]] = []
        for i in flags:
            unit: Unit = (0, i, None)
            summary = plan.flags[i]
            out.extend((t, w, unit) for test in summary.tests for t, w in self.test(test, None))
            for history in (*summary.histories, *summary.shared):
                out.extend(self.sources(history, unit, None))
        for j in rules:
            every: Unit = (1, j, None)
            summary = plan.rules[j]
            out.extend((t, w, every) for test in summary.tests for t, w in self.test(test, None))
            for history in summary.histories:
                out.extend(self.sources(history, every, j))
            for history in summary.shared:  # in a score or assessment: every session, as a red flag's
                out.extend(self.sources(history, every, None))
        return out

    def sources(self, node: ir.History, every: Unit, rule: int | None) -> list[tuple[dt.datetime, int, Unit]]:
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
        for x in self.plan.ev.program.rules[rule].targets.exercises:
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
        selected: Sequence[Any] = seq
        if node.window is not None:
            # A session in the window at `as_of` is still in at at + W and out after it; one
            # outside never comes back, since no session is later than `as_of`. Newest first,
            # as the runtime's `within` reads them.
            length = dt.timedelta(seconds=self.value(node.window, None))
            earliest = self.as_of - _SECOND
            chosen = []
            for session in seq:
                leaves = session.at + length
                if leaves < earliest:
                    break
                chosen.append(session)
                found.append((leaves, AFTER))
            if not getattr(node, "days", False):
                selected = chosen
        elif _plain(node) and node.quantifier in _LAST_FORMS:
            selected = seq[: node.last or 1]
        if getattr(node, "days", False) and source != "*":
            # `seq` is what the form reads (its target's own sessions): only the sessions of
            # its last N days are tested, and no later `now` changes which days those are.
            selected = [s for day in self.picks.days(seq, node.last or 0) for s in day]
        # The tests run only on the sessions selected at `as_of`, or fewer later: with none, no test
        # (not even one that reads no session field) can change the form's value.
        for test in self.plan.inner[id(node)].tests if selected else ():
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


class _Current(dict[int, Any]):
    """The rule outcomes of an evaluation that reports a few exercises: the rules it reads."""

    def __init__(self, ev: Evaluator, inputs: Inputs, relevant: Iterable[int], outcomes: Any) -> None:
        super().__init__((j, outcomes[j]) for j in relevant)
        self.ev = ev
        self.inputs = inputs

    def __missing__(self, index: int) -> Any:
        # Not reached when `_related` is right: then a rule without instants is read,
        # and its outcome does not depend on the time.
        self[index] = value = self.ev.rule_value(index, self.inputs)
        return value


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


def _unit_order(unit: Unit) -> tuple[int, int, str]:
    """A rule's every-target unit before its one-target units, so neither undoes the other."""
    kind, index, exercise = unit
    return (kind, index, "" if exercise is None else "=" + exercise)


def _related(program: ir.Program, rules_for: Mapping[str, tuple[int, ...]], ex: str) -> frozenset[str]:
    """`ex`, and the exercises whose own verdict its verdict or alternatives read."""
    out = {ex}
    exercise = program.exercises[ex]
    if exercise.ladder is not None and exercise.rung is not None:
        rungs = program.ladders[exercise.ladder].rungs
        out.update(rungs[i] for i in (exercise.rung - 1, exercise.rung + 1) if 0 <= i < len(rungs))
    for j in rules_for[ex]:
        rule = program.rules[j]
        out.update(rule.instead)
        if rule.to:
            out.add(rule.to)
    return frozenset(out)
