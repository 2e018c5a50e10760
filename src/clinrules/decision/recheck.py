"""When to look again: `recheck_at` (docs/semantics.md, "When to look again: recheck_at").

A decision holds until time moves a time comparison across its bound: a
session leaves a `within` window, `screened_at < now - 24 hours` starts to
hold. Each such comparison changes at an instant the data gives (`T`), and a
comparison that still holds at `T` (an inclusive window end, a strict `<`)
changes only after it, so the candidates are `T` and `T + 1 s`
(`instants.py`). The candidates are tried in order by evaluating the same
inputs with `now` moved; only the red flags and rules whose comparisons
change near a candidate, and that a verdict still to settle reads, are run
again. The first candidate that gives an exercise (or the triage) a
different verdict is its `recheck_at`.

Most verdicts need no combination to tell whether they changed. A verdict
of `check` or stricter is kept exactly while no red flag fires, no rule
ends stricter and one still ends at it (or, for `check`, a red flag is
unknown): so only the rules that can end at it or stricter (and a regress
target's rules that can hold it back) are watched, and read directly
(`watch.py`). An `urgent` verdict is kept exactly while a red flag fires.
The other verdicts are settled by the combination where an outcome that
can decide them changes.

`RecheckPlan` is made once per ruleset (`RuleSet` holds it): what every red
flag and rule compares with `now` (`instants.Compared`), and what keeps each
exercise's verdict. It holds no state of an evaluation, so it is shared by
every thread.

Exactness: a candidate before the first change gives the verdict of
`as_of`, so extra candidates never make the answer later, and a watched
verdict is kept exactly when the combination would keep it. A form whose
instant cannot be worked out (none exists today) makes `recheck_at` one
second after `as_of` for everything: early is safe, late is not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from types import MappingProxyType
from typing import Any

from clinrules import ir
from clinrules.base.vocabulary import Triage
from clinrules.decision.instants import Compared, Instants
from clinrules.decision.timed import AFTER, AT, directions
from clinrules.decision.watch import HELD, RANK, REACHED, URGENT, Held, Hold, combined_pairs, hold_of
from clinrules.engine import runtime
from clinrules.engine.evaluator import Evaluator, Inputs

__all__ = ["RecheckPlan", "Settle"]

_SECOND = dt.timedelta(seconds=1)
_MICROSECOND = dt.timedelta(microseconds=1)
Settle = Callable[[Inputs, tuple[bool | None, ...], Any, tuple[str, ...]], tuple[str, dict[str, str]]]
"""The combination: (inputs, red flag outcomes, rule outcomes, exercises) -> (triage, their verdicts)."""


def _triage(flags: Sequence[bool | None]) -> str:
    """The triage of these red flag outcomes, as the combination gives it."""
    return (Triage.URGENT if True in flags else Triage.CHECK if None in flags else Triage.CLEAR).value


class RecheckPlan:
    """The time comparisons of a program, found once; `run` gives one evaluation's `recheck_at`.

    Immutable after construction; safe to share between threads.
    """

    def __init__(self, evaluator: Evaluator) -> None:
        self.ev = evaluator
        program = evaluator.program
        self.compared = compared = Compared(evaluator)
        self.timed_flags = tuple(i for i, s in enumerate(compared.flags) if s.timed)
        self.timed_rules = frozenset(j for j, s in enumerate(compared.rules) if s.timed)
        self.unsupported = compared.unsupported
        self.timed = bool(self.timed_flags or self.timed_rules)
        self.related: Mapping[str, frozenset[str]] = MappingProxyType(
            {ex: _related(program, evaluator.rules_for, ex) for ex in program.exercises}
        )
        rules_for = evaluator.rules_for
        # The rules an exercise's verdict reads: its own and its targets', and each for which
        # exercise (a rule that reads its exercise's own sessions).
        self.reads: Mapping[str, frozenset[int]] = MappingProxyType(
            {ex: frozenset(j for x in rel for j in rules_for[x]) for ex, rel in self.related.items()}
        )
        self.pairs: Mapping[str, frozenset[tuple[int, str]]] = MappingProxyType(
            {ex: frozenset((j, x) for x in rel for j in rules_for[x]) for ex, rel in self.related.items()}
        )
        self.combined_pairs: Mapping[tuple[str, str], frozenset[tuple[int, str]]] = MappingProxyType(
            {
                (ex, verdict): combined_pairs(program, evaluator.rule_verdicts, ex, verdict)
                if program.otherwise == "allow"
                else self.pairs[ex]
                for ex in program.exercises
                for verdict in RANK
            }
        )
        # An exercise whose verdict reads no time comparison keeps it: nothing to wait for.
        self.can_change: Mapping[str, bool] = MappingProxyType(
            {
                ex: bool(self.timed_flags) or any(j in self.timed_rules for x in rel for j in rules_for[x])
                for ex, rel in self.related.items()
            }
        )
        self.targets = tuple(r.targets.exercises for r in program.rules)
        self.ways = directions(tuple(r.condition for r in program.rules))
        self.flag_ways = directions(tuple(f.condition for f in program.red_flags))
        holds = {
            (ex, verdict): hold_of(program, evaluator.rule_verdicts, self.timed_rules, self.ways, ex, verdict)
            for ex in program.exercises
            for verdict in HELD
        }
        self.holds: Mapping[tuple[str, str], Hold] = MappingProxyType(
            {key: hold for key, hold in holds.items() if hold is not None}
        )

    # ------------------------------------------------------------ one evaluation

    def reads_rules(self, flags: tuple[bool | None, ...]) -> bool:
        """Whether `run` reads the rules' outcomes with these red flags' (it reads none when
        nothing compares with `now`, or a red flag fired that no later `now` can clear)."""
        if not self.timed or self.unsupported:
            return False
        return not any(value is True for i, value in enumerate(flags) if i not in self.timed_flags)

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
        """Each wanted exercise's `recheck_at`, and the triage's (or None once every exercise's is found).

        Args:
            inputs: the evaluation's inputs, at `as_of`.
            flags, outcomes: the red flags' and rules' outcomes at `as_of`.
            wanted: the exercises reported.
            verdicts, triage: the decision at `as_of`.
            settle: the combination, run where an outcome a verdict not watched reads changes.
        """
        as_of = inputs[2]
        found: dict[str, dt.datetime | None] = dict.fromkeys(wanted)
        if not self.timed:
            return found, None
        if self.unsupported:
            soon = as_of + _SECOND
            return dict.fromkeys(wanted, soon), soon
        fired = True in flags
        if fired and not self.reads_rules(flags):
            return found, None  # a red flag fires at every later `now`: every verdict stays urgent
        every = len(wanted) == len(self.ev.exercise_ids)
        current: Any = (
            list(outcomes) if every else _Current(self.ev, inputs, self._relevant(wanted), outcomes)
        )
        # An exercise (or the triage) that reads no time comparison is settled from the start.
        held: dict[str, Held] = {}
        combined: list[str] = []
        unknown_flag = None in flags
        for ex in wanted:
            if not self.can_change[ex]:
                continue
            if fired:
                held[ex] = Held(URGENT, True, (), False, frozenset(), frozenset(), frozenset({ex}))
                continue
            hold = self.holds.get((ex, verdicts[ex]))
            # A hold that does not keep the verdict of `as_of` is not trusted: combined instead.
            watch = None if hold is None else hold.watch(current, ex, unknown_flag)
            if watch is not None:
                held[ex] = watch
                continue
            combined.append(ex)
        # A red flag that can reach no other outcome is not run again; with none that can, a
        # verdict that watches no rule (and the triage) is kept at every later `now`.
        moving = [i for i in self.timed_flags if len(REACHED[self.flag_ways[i]][flags[i]]) > 1]
        if not moving:
            held = {ex: watch for ex, watch in held.items() if watch.rules}
        if not (held or combined):
            return found, None
        rules, pairs = self._reads(held, combined, verdicts, current)
        events = []  # (first, last, unit): the unit may differ from its last value in [first, last]
        moments = set()
        picks = runtime.Picks(inputs[3])  # a scope's sessions (and days) do not depend on `now`: made once
        instants = Instants(self.compared, inputs, picks)
        spans: dict[tuple[dt.datetime, int], tuple[dt.datetime, dt.datetime] | None] = {}
        for instant, when, unit in instants.bases(moving, self.timed_rules & rules, pairs):
            # Many units change at one instant (one session in many rules' windows): its span once.
            key = (instant, when)
            if key in spans:
                span = spans[key]
            else:
                first = instant + _MICROSECOND if when == AFTER else instant
                last = instant if when == AT else instant + _SECOND
                span = spans[key] = (first, last) if last > as_of else None
                if span is not None:
                    if when != AFTER:
                        moments.add(instant)
                    if when != AT:
                        moments.add(last)
            if span is not None:
                events.append((*span, unit))
        if not events:
            return found, None
        events.sort(key=itemgetter(0))
        candidates = sorted(m for m in moments if m > as_of)
        current_flags = list(flags)
        done: dict[str, dt.datetime] = {}
        triage_at: dt.datetime | None = None
        triage_done = not moving
        patient, params, _now, sessions, by_ex = inputs
        compiled, ev = self.ev.compiled, self.ev
        rule_fns, own = compiled.rules, compiled.own_sessions
        reads, related = self.reads, self.related
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
            # Each unit works out its own fresh outcomes (a rule's whole or one target's), so
            # their order does not matter.
            for kind, index, exercise in units:
                if kind == 0:
                    value = compiled.red_flags[index](patient, params, moment, sessions, by_ex)
                    if value is not current_flags[index]:
                        current_flags[index], flag_changed = value, True
                elif exercise is None:
                    if index not in rules:  # no verdict still to settle reads it
                        continue
                    old = current[index]
                    if own[index] and type(old) is dict:  # only the targets a verdict still reads
                        for x in self.targets[index]:
                            if (index, x) in pairs:
                                value = rule_fns[index](
                                    patient, params, moment, by_ex.get(x, ()), by_ex, x, picks
                                )
                                if old.get(x) is not value:
                                    old = current[index] = {**old, x: value}
                                    targets.add(x)
                        continue
                    whole = (
                        ev.rule_value(index, at, picks=picks)
                        if own[index]
                        else rule_fns[index](patient, params, moment, (), by_ex, None, picks)
                    )
                    if whole != old:
                        current[index] = whole
                        if type(whole) is dict and type(old) is dict:
                            targets.update(x for x, v in whole.items() if old.get(x) is not v)
                        else:
                            changed.add(index)
                elif (index, exercise) in pairs:  # a per-target unit: its rule reads its own sessions
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
            if flag_changed and not triage_done and _triage(current_flags) != triage:
                triage_at, triage_done = moment, True
            moved = []
            now_fired, now_unknown = True in current_flags, None in current_flags
            for ex, watch in held.items():
                if not (
                    flag_changed
                    or not watch.exercises.isdisjoint(targets)
                    or not watch.rules.isdisjoint(changed)
                ):
                    continue
                if now_fired != fired or (
                    not fired
                    and not watch.hold.kept(watch.base, watch.sides, watch.regress, current, ex, now_unknown)
                ):
                    moved.append(ex)
            affected = [
                ex
                for ex in combined
                if flag_changed or not (reads[ex].isdisjoint(changed) and related[ex].isdisjoint(targets))
            ]
            if affected:
                _triage_then, now_verdicts = settle(at, tuple(current_flags), current, tuple(affected))
                moved.extend(ex for ex in affected if now_verdicts[ex] != verdicts[ex])
            if not moved:
                continue
            for ex in moved:
                done[ex] = moment
                held.pop(ex, None)
            combined = [ex for ex in combined if ex not in done]
            if not (held or combined):
                # Every verdict's is found: a later triage change cannot be the decision's.
                break
            rules, pairs = self._reads(held, combined, verdicts, current)
        found.update(done)
        return found, triage_at

    def _reads(
        self, held: Mapping[str, Held], combined: Iterable[str], verdicts: Mapping[str, str], current: Any
    ) -> tuple[frozenset[int], frozenset[tuple[int, str]]]:
        """The rules the verdicts still to settle read and that can still change, and each
        for which target; `current`: the rules' outcomes now. A rule at the end of its
        direction (`timed.directions`: one that only falls, false) keeps its outcome."""
        rules: set[int] = set()
        pairs: set[tuple[int, str]] = set()
        for watch in held.values():
            rules |= watch.rules
            pairs |= watch.pairs
        timed, ways = self.timed_rules, self.ways
        for ex in combined:
            for j, x in self.combined_pairs[ex, verdicts[ex]]:
                if j in timed:
                    value = current[j]
                    if len(REACHED[ways[j]][value[x] if type(value) is dict else value]) > 1:
                        rules.add(j)
                        pairs.add((j, x))
        return frozenset(rules), frozenset(pairs)

    def _relevant(self, wanted: Iterable[str]) -> frozenset[int]:
        """The rules the verdicts of `wanted` read: theirs and their targets'."""
        rules_for = self.ev.rules_for
        return frozenset(j for ex in wanted for other in self.related[ex] for j in rules_for[other])


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


def _related(program: ir.Program, rules_for: Mapping[str, tuple[int, ...]], ex: str) -> frozenset[str]:
    """`ex`, and the exercises whose own verdict its verdict reads: where its progress or regress
    may move it (the next rung either way, or a `to`). Its alternatives change no verdict, and
    only the verdict is compared, so they are not read."""
    out = {ex}
    exercise = program.exercises[ex]
    if exercise.ladder is not None and exercise.rung is not None:
        rungs = program.ladders[exercise.ladder].rungs
        out.update(rungs[i] for i in (exercise.rung - 1, exercise.rung + 1) if 0 <= i < len(rungs))
    for j in rules_for[ex]:
        rule = program.rules[j]
        if rule.to:
            out.add(rule.to)
    return frozenset(out)
