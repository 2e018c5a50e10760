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
of `check` or stricter that no progress or regress can reach is kept
exactly while no red flag fires, no rule sets a stricter verdict and one
still sets it (or, for `check`, a red flag is unknown): so only the rules
that can set it or a stricter one are watched, and they are read directly
(`_Hold`). An `urgent` verdict is kept exactly while a red flag fires. The
other verdicts (a move's end depends on its target's verdict) are settled
by the combination where one of the outcomes they read changes.

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
from dataclasses import dataclass
from operator import itemgetter
from types import MappingProxyType
from typing import Any, NamedTuple

from clinrules import ir
from clinrules.base.vocabulary import Triage, Verdict
from clinrules.decision.instants import Compared, Instants
from clinrules.decision.timed import AFTER, AT, EITHER, FALLS, RISES, STILL, directions
from clinrules.engine import runtime
from clinrules.engine.evaluator import Evaluator, Inputs

__all__ = ["RecheckPlan", "Settle"]

_SECOND = dt.timedelta(seconds=1)
_MICROSECOND = dt.timedelta(microseconds=1)
_RANK = {v.value: i for i, v in enumerate(Verdict)}  # as the combination's: 0 for urgent, the strictest
_CHECK = _RANK["check"]
_HELD = ("stop", "avoid", "check")  # the verdicts a `_Hold` can watch
# Where a progress or regress may end once its target is checked: itself, or allow / avoid.
_MOVE_ENDS = {"progress": ("progress", "allow"), "regress": ("regress", "avoid")}

Settle = Callable[[Inputs, tuple[bool | None, ...], Any, tuple[str, ...]], tuple[str, dict[str, str]]]
"""The combination: (inputs, red flag outcomes, rule outcomes, exercises) -> (triage, their verdicts)."""

Truth = bool | None
Side = tuple[int, Mapping[Truth, int], Mapping[Truth, frozenset[int]]]
"""(rule index, the side of each outcome, the sides of the outcomes it can still reach from each):
-1 sets a stricter verdict, 0 the verdict, 1 neither."""

_TRUTHS: tuple[Truth, ...] = (False, None, True)  # in the order of `timed.directions`
# The outcomes a rule can reach from each outcome, by its direction.
_REACHED: Mapping[int, Mapping[Truth, tuple[Truth, ...]]] = MappingProxyType(
    {
        STILL: MappingProxyType({v: (v,) for v in _TRUTHS}),
        RISES: MappingProxyType({v: _TRUTHS[i:] for i, v in enumerate(_TRUTHS)}),
        FALLS: MappingProxyType({v: _TRUTHS[: i + 1] for i, v in enumerate(_TRUTHS)}),
        EITHER: MappingProxyType(dict.fromkeys(_TRUTHS, _TRUTHS)),
    }
)


@dataclass(frozen=True, slots=True)
class _Hold:
    """What keeps one exercise at one verdict of `check` or stricter.

    With no red flag fired, the combination gives the exercise the strictest
    verdict its rules set (`otherwise`, less strict than `check`, when none
    does), made `check` by an unknown red flag when it is less strict. So the
    verdict is kept exactly while no rule sets a stricter one and one rule
    still sets it, or, for `check`, a red flag is unknown. A progress or
    regress ends where its target allows (a regress may end at `avoid`): one
    that may end at the verdict or a stricter one is left to the combination,
    unless no outcome it can still reach makes it matter.

    Attributes:
        timed: the sides of the rules that read the time and can set the verdict or a stricter one.
        fixed: the same for the rules that do not read the time: they keep their outcome of `as_of`.
        moves: the sides of the progress and regress rules that may end at the verdict or a
            stricter one (a side is where the move may end).
        check: the verdict is `check`.
    """

    timed: tuple[Side, ...]
    fixed: tuple[Side, ...]
    moves: tuple[Side, ...]
    check: bool

    def base(self, outcomes: Any, ex: str) -> bool | None:
        """Whether a rule without time sets the verdict; None when one sets a stricter one."""
        sets = False
        for index, sides, _reach in self.fixed:
            value = outcomes[index]
            side = sides[value[ex] if type(value) is dict else value]
            if side < 0:
                return None
            sets = sets or side == 0
        return sets

    def kept(self, base: bool, watched: Sequence[Side], outcomes: Any, ex: str, unknown_flag: bool) -> bool:
        """Whether the verdict is kept with these outcomes, no red flag fired and no move
        mattering; `base`: whether a rule that does not change sets it; `watched`: the
        sides of the rules that can change it (from `watched`)."""
        sets = base
        for index, sides, _reach in watched:
            value = outcomes[index]
            side = sides[value[ex] if type(value) is dict else value]
            if side < 0:
                return False
            sets = sets or side == 0
        return sets or (self.check and unknown_flag)

    def watched(self, base: bool, outcomes: Any, ex: str) -> tuple[bool, tuple[Side, ...]] | None:
        """Whether a rule sets the verdict at every later `now`, and the sides to watch; None
        when a move can still matter, so the combination must settle the verdict.

        A rule is watched when an outcome it can still reach sets a stricter verdict,
        or, unless a rule keeps setting it, sets the verdict; the others change no
        verdict (so `kept` need not read them).
        """
        stricter: list[Side] = []
        setting: list[Side] = []
        for side in self.timed:
            value = outcomes[side[0]]
            reach = side[2][value[ex] if type(value) is dict else value]
            if -1 in reach:
                stricter.append(side)
            elif reach == _ONLY_SETS:
                base = True
            elif 0 in reach:
                setting.append(side)
        for index, _sides, reaches in self.moves:
            value = outcomes[index]
            reach = reaches[value[ex] if type(value) is dict else value]
            if -1 in reach or (0 in reach and not base):
                return None
        return base, tuple(stricter if base else stricter + setting)


_ONLY_SETS = frozenset({0})


def _side(index: int, when_true: int, when_unknown: int, way: int) -> Side:
    sides = MappingProxyType({True: when_true, None: when_unknown, False: 1})
    reach = MappingProxyType({v: frozenset(sides[later] for later in _REACHED[way][v]) for v in _TRUTHS})
    return index, sides, reach


def _hold(
    verdicts: Sequence[tuple[int, str, str | None]],
    timed: frozenset[int],
    ways: Sequence[int],
    verdict: str,
    otherwise: str,
) -> _Hold | None:
    """The `_Hold` of an exercise (its rules' (index, verdict, when unknown), the rules that
    read the time, each rule's direction) at `verdict`; None when the `otherwise` verdict
    is `check` or stricter (no rule setting it does not lift it)."""
    rank = _RANK[verdict]
    if _RANK[otherwise] <= _CHECK:
        return None
    watched: list[Side] = []
    fixed: list[Side] = []
    moves: list[Side] = []
    for index, when_true, when_unknown in verdicts:
        sides = []
        for set_to in (when_true, when_unknown):
            if set_to is None:  # an unknown outcome that sets nothing
                sides.append(1)
                continue
            strictest = min(_RANK[end] for end in _MOVE_ENDS.get(set_to, (set_to,)))
            sides.append(-1 if strictest < rank else 0 if strictest == rank else 1)
        if min(sides) > 0:
            continue
        side = _side(index, sides[0], sides[1], ways[index])
        if when_true in _MOVE_ENDS or when_unknown in _MOVE_ENDS:
            moves.append(side)
        else:
            (watched if index in timed else fixed).append(side)
    return _Hold(tuple(watched), tuple(fixed), tuple(moves), verdict == "check")


_URGENT = _Hold((), (), (), False)  # kept while a red flag fires: no rule is read


class _Held(NamedTuple):
    """An exercise whose verdict is watched: its hold, whether a rule keeps setting the
    verdict, and the rules (and their sides) that can change it."""

    hold: _Hold
    base: bool
    rules: frozenset[int]
    sides: tuple[Side, ...]


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
        # The rules an exercise's verdict reads: its own, its alternatives' and its targets',
        # and each for which exercise (a rule that reads its exercise's own sessions).
        self.reads: Mapping[str, frozenset[int]] = MappingProxyType(
            {ex: frozenset(j for x in rel for j in rules_for[x]) for ex, rel in self.related.items()}
        )
        self.pairs: Mapping[str, frozenset[tuple[int, str]]] = MappingProxyType(
            {ex: frozenset((j, x) for x in rel for j in rules_for[x]) for ex, rel in self.related.items()}
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
            (ex, verdict): _hold(
                evaluator.rule_verdicts[ex], self.timed_rules, self.ways, verdict, program.otherwise
            )
            for ex in program.exercises
            for verdict in _HELD
        }
        self.holds: Mapping[tuple[str, str], _Hold] = MappingProxyType(
            {key: hold for key, hold in holds.items() if hold is not None}
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
        if fired and any(value is True for i, value in enumerate(flags) if i not in self.timed_flags):
            return found, None  # a red flag fires at every later `now`: every verdict stays urgent
        every = len(wanted) == len(self.ev.exercise_ids)
        current: Any = (
            list(outcomes) if every else _Current(self.ev, inputs, self._relevant(wanted), outcomes)
        )
        # An exercise (or the triage) that reads no time comparison is settled from the start.
        held: dict[str, _Held] = {}
        combined: list[str] = []
        unknown_flag = None in flags
        for ex in wanted:
            if not self.can_change[ex]:
                continue
            if fired:
                held[ex] = _Held(_URGENT, True, frozenset(), ())
                continue
            hold = self.holds.get((ex, verdicts[ex]))
            base = None if hold is None else hold.base(current, ex)
            # A hold that does not keep the verdict of `as_of` is not trusted: combined instead.
            if (
                hold is not None
                and base is not None
                and hold.kept(base, hold.timed, current, ex, unknown_flag)
            ):
                watch = hold.watched(base, current, ex)
                if watch is not None:
                    kept, sides = watch
                    held[ex] = _Held(hold, kept, frozenset(side[0] for side in sides), sides)
                    continue
            combined.append(ex)
        # A red flag that can reach no other outcome is not run again; with none that can, a
        # verdict that watches no rule (and the triage) is kept at every later `now`.
        moving = [i for i in self.timed_flags if len(_REACHED[self.flag_ways[i]][flags[i]]) > 1]
        if not moving:
            held = {ex: watch for ex, watch in held.items() if watch.rules}
        if not (held or combined):
            return found, None
        rules, pairs = self._reads(held, combined, current)
        events = []  # (first, last, unit): the unit may differ from its last value in [first, last]
        moments = set()
        picks = runtime.Picks(inputs[3])  # a scope's sessions (and days) do not depend on `now`: made once
        instants = Instants(self.compared, inputs, picks)
        # Many comparisons change at one instant (one session in many rules' windows): each once.
        for instant, when, unit in set(instants.bases(moving, sorted(self.timed_rules & rules), pairs)):
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
            for ex, (hold, base, watched, sides) in held.items():
                if not (flag_changed or ex in targets or not watched.isdisjoint(changed)):
                    continue
                if now_fired != fired or (not fired and not hold.kept(base, sides, current, ex, now_unknown)):
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
            rules, pairs = self._reads(held, combined, current)
        found.update(done)
        return found, triage_at

    def _reads(
        self, held: Mapping[str, _Held], combined: Iterable[str], current: Any
    ) -> tuple[frozenset[int], frozenset[tuple[int, str]]]:
        """The rules the verdicts still to settle read and that can still change, and each
        for which target; `current`: the rules' outcomes now. A rule at the end of its
        direction (`timed.directions`: one that only falls, false) keeps its outcome."""
        rules: set[int] = set()
        pairs: set[tuple[int, str]] = set()
        for ex, watch in held.items():
            rules |= watch.rules
            pairs.update((j, ex) for j in watch.rules)
        timed, ways = self.timed_rules, self.ways
        for ex in combined:
            for j, x in self.pairs[ex]:
                if j in timed:
                    value = current[j]
                    if len(_REACHED[ways[j]][value[x] if type(value) is dict else value]) > 1:
                        rules.add(j)
                        pairs.add((j, x))
        return frozenset(rules), frozenset(pairs)

    def _relevant(self, wanted: Iterable[str]) -> frozenset[int]:
        """The rules a decision about `wanted` reads: theirs, their alternatives' and their targets'."""
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
