"""What keeps a verdict: the rules `recheck_at` watches instead of combining the decision (recheck.py).

With no red flag fired, the combination (language.md section 7, combine.py)
gives an exercise the strictest verdict its rules end at (`otherwise allow`
when none applies), made `check` by an unknown red flag when it is less
strict; a regress ends at its target's rung when that target is permitted
(no rule holds it back at `regress` or stricter, no red flag unknown), else
at `avoid`. So a verdict of `stop`, `avoid` or `check` is kept exactly while
no rule ends stricter and one still ends at it (for `check`, or a red flag
is unknown): `Hold.kept` reads that from the outcomes of the few rules that
can, without the rest of the decision. The one design decision: what is
watched is worked out from the verdict, the outcomes at `as_of` and each
rule's direction in time (`timed.directions`), once per evaluation, in one
pass (`Hold.watch`) that also checks the verdict of `as_of` is kept before it
is trusted; what does not depend on the patient (the regress rules' outcomes
to read) is worked out once per ruleset, in `hold_of`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from types import MappingProxyType
from typing import Any, NamedTuple

from clinrules import ir
from clinrules.base.vocabulary import Verdict
from clinrules.decision.timed import EITHER, FALLS, RISES, STILL

__all__ = ["HELD", "RANK", "REACHED", "URGENT", "Held", "Hold", "Side", "combined_pairs", "hold_of"]

RANK = {v.value: i for i, v in enumerate(Verdict)}  # as the combination's: 0 for urgent, the strictest
_CHECK = RANK["check"]
_HOLDS_BACK = RANK["regress"]  # a target with a rule at this or stricter is not permitted
HELD = ("stop", "avoid", "check")  # the verdicts a `Hold` can watch
# Where a progress or regress may end once its target is checked: itself, or allow / avoid.
_MOVE_ENDS = {"progress": ("progress", "allow"), "regress": ("regress", "avoid")}

Truth = bool | None
Side = tuple[int, Mapping[Truth, int], Mapping[Truth, int]]
"""(rule index, the side of each outcome, and from each outcome what the sides of the outcomes it
can still reach make of it: `_STRICTER`, `_ONLY_AT`, `_SETS` or `_NEITHER`): a side is -1 for an
outcome that ends stricter than the verdict, 0 at it, 1 neither."""
Regress = tuple[int, Mapping[Truth, str | None]]
"""(rule index, for each outcome that makes it a regress, where it moves: its `to` or the rung
below, None for none)."""
Back = tuple[int, Mapping[Truth, bool]]
"""(rule index of a target's rule, whether each outcome holds the target back)."""

_TRUTHS: tuple[Truth, ...] = (False, None, True)  # in the order of `timed.directions`
REACHED: Mapping[int, Mapping[Truth, tuple[Truth, ...]]] = MappingProxyType(
    {
        STILL: MappingProxyType({v: (v,) for v in _TRUTHS}),
        RISES: MappingProxyType({v: _TRUTHS[i:] for i, v in enumerate(_TRUTHS)}),
        FALLS: MappingProxyType({v: _TRUTHS[: i + 1] for i, v in enumerate(_TRUTHS)}),
        EITHER: MappingProxyType(dict.fromkeys(_TRUTHS, _TRUTHS)),
    }
)
"""The outcomes a rule can reach from each outcome, by its direction."""
# What the sides a rule can still reach make of it (`watch`): it can end stricter; it ends at
# the verdict at every later `now`; it can end at it; neither.
_STRICTER, _ONLY_AT, _SETS, _NEITHER = 0, 1, 2, 3
_INDEX = itemgetter(0)


@dataclass(frozen=True, slots=True)
class Hold:
    """What keeps one exercise at one verdict of `check` or stricter (the module docstring).

    Attributes:
        timed: the sides of the rules that read the time and can end at the verdict or stricter,
            a regress left out (it is in `regress`).
        fixed: the same for the rules that do not read the time: they keep their outcome of `as_of`.
        regress: the regress rules, when a regress can end at the verdict or stricter.
        backs: for each target a regress may move to (not the exercise itself), its rules
            that can hold it back.
        order: the rung order of those targets (the lowest is taken, as the combination does).
        check: the verdict is `check`.
        regress_pairs, regress_rules, regress_exercises: the (rule, exercise) outcomes
            `kept` reads when the regress rules must be read, and their rules and exercises
            (the same for every patient: worked out once).
    """

    timed: tuple[Side, ...]
    fixed: tuple[Side, ...]
    regress: tuple[Regress, ...]
    backs: Mapping[str, tuple[Back, ...]]
    order: Mapping[str, tuple[int, str]]
    check: bool
    regress_pairs: frozenset[tuple[int, str]] = frozenset()
    regress_rules: frozenset[int] = frozenset()
    regress_exercises: frozenset[str] = frozenset()

    def kept(
        self,
        base: bool,
        watched: Sequence[Side],
        regress: bool,
        outcomes: Any,
        ex: str,
        unknown_flag: bool,
    ) -> bool:
        """Whether the verdict is kept with these outcomes, no red flag fired.

        `base`: whether a rule that does not change ends at it; `watched`: the sides of the
        rules that can change it (`watch()`); `regress`: whether the regress rules can.
        """
        sets = base
        for index, sides, _ahead in watched:
            value = outcomes[index]
            side = sides[value[ex] if type(value) is dict else value]
            if side < 0:
                return False
            sets = sets or side == 0
        if regress and self._regress_ends_at_avoid(outcomes, ex, unknown_flag):
            if self.check:  # avoid is stricter than check
                return False
            sets = True
        return sets or (self.check and unknown_flag)

    def _regress_ends_at_avoid(self, outcomes: Any, ex: str, unknown_flag: bool) -> bool:
        """Whether a regress applies and ends at avoid: its lowest target is none, the exercise
        itself, or held back (an unknown red flag holds every target back)."""
        applies = False
        targets = []
        for index, moves in self.regress:
            value = outcomes[index]
            if type(value) is dict:
                value = value[ex]
            if value in moves:
                applies = True
                if (target := moves[value]) is not None:
                    targets.append(target)
        if not applies:
            return False
        if not targets:
            return True
        target = min(targets, key=self.order.__getitem__)
        if target == ex or unknown_flag:
            return True
        for index, backs in self.backs[target]:
            value = outcomes[index]
            if backs[value[target] if type(value) is dict else value]:
                return True
        return False

    def watch(self, outcomes: Any, ex: str, unknown_flag: bool) -> Held | None:
        """What to watch to keep the verdict of `as_of` (`outcomes`), no red flag fired; None
        when a rule without time ends stricter, or when `kept` does not give the verdict
        (then it is not trusted: the combination settles it).

        One pass over the timed sides does what `kept` and the choice of what to watch would
        each do. A rule is watched when an outcome it can still reach ends stricter, or, unless
        a rule keeps ending at the verdict, at it; the others change no verdict (so `kept`
        need not read them). With such a rule at `avoid`, a regress cannot change it.
        """
        base = False
        for index, sides, _ahead in self.fixed:
            value = outcomes[index]
            side = sides[value[ex] if type(value) is dict else value]
            if side < 0:
                return None
            if side == 0:
                base = True
        sets = kept = base  # `sets`: a rule ends at the verdict at `as_of`; `kept`: at every later `now`
        stricter: list[Side] = []
        setting: list[Side] = []
        for item in self.timed:
            value = outcomes[item[0]]
            if type(value) is dict:
                value = value[ex]
            side = item[1][value]
            if side < 0:
                return None
            if side == 0:
                sets = True
            ahead = item[2][value]
            if ahead == _STRICTER:
                stricter.append(item)
            elif ahead == _ONLY_AT:
                kept = True
            elif ahead == _SETS:
                setting.append(item)
        if self.regress and self._regress_ends_at_avoid(outcomes, ex, unknown_flag):
            if self.check:  # avoid is stricter than check
                return None
            sets = True
        if not (sets or (self.check and unknown_flag)):
            return None
        watched = tuple(stricter if kept else stricter + setting)
        regress = bool(self.regress) and (self.check or not kept)
        rules = frozenset(map(_INDEX, watched))
        pairs = frozenset(zip(rules, repeat(ex)))
        exercises = frozenset((ex,)) if watched else frozenset()
        if regress:
            return Held(
                self,
                kept,
                watched,
                regress,
                pairs | self.regress_pairs,
                rules | self.regress_rules,
                exercises | self.regress_exercises,
            )
        return Held(self, kept, watched, regress, pairs, rules, exercises)


URGENT = Hold((), (), (), MappingProxyType({}), MappingProxyType({}), False)
"""Kept while a red flag fires: no rule is read."""


class Held(NamedTuple):
    """An exercise whose verdict is watched: its hold, whether a rule keeps ending at the
    verdict, the sides that can change it, whether its regress rules can, and the
    (rule, exercise) outcomes and rules that this reads."""

    hold: Hold
    base: bool
    sides: tuple[Side, ...]
    regress: bool
    pairs: frozenset[tuple[int, str]]
    rules: frozenset[int]
    exercises: frozenset[str]


def _side(index: int, when_true: int, when_unknown: int, way: int) -> Side:
    sides = MappingProxyType({True: when_true, None: when_unknown, False: 1})
    ahead = MappingProxyType(
        {v: _ahead(frozenset(sides[later] for later in REACHED[way][v])) for v in _TRUTHS}
    )
    return index, sides, ahead


def _ahead(reached: frozenset[int]) -> int:
    """What the sides a rule can still reach make of it (`watch`)."""
    if -1 in reached:
        return _STRICTER
    if reached == frozenset({0}):
        return _ONLY_AT
    return _SETS if 0 in reached else _NEITHER


def hold_of(
    program: ir.Program,
    rule_verdicts: Mapping[str, Sequence[tuple[int, str, str | None]]],
    timed: frozenset[int],
    ways: Sequence[int],
    ex: str,
    verdict: str,
) -> Hold | None:
    """The `Hold` of an exercise at `verdict`, from its rules' (index, verdict, when unknown),
    the rules that read the time and each rule's direction; None when the `otherwise`
    verdict is not `allow` (then no rule setting anything does not lift a verdict)."""
    if program.otherwise != "allow":
        return None
    rank = RANK[verdict]
    watched: list[Side] = []
    fixed: list[Side] = []
    regress: list[Regress] = []
    for index, when_true, when_unknown in rule_verdicts[ex]:
        sides = []
        moves: dict[Truth, str | None] = {}
        for outcome, set_to in ((True, when_true), (None, when_unknown)):
            if set_to == "regress" and RANK["avoid"] <= rank:
                rule = program.rules[index]
                moves[outcome] = (rule.to if outcome and rule.to else None) or ir.next_rung(
                    program, ex, "regress"
                )
                set_to = None  # not a side: its end is the regress's
            if set_to is None:  # an outcome that ends nowhere here
                sides.append(1)
                continue
            strictest = min(RANK[end] for end in _MOVE_ENDS.get(set_to, (set_to,)))
            sides.append(-1 if strictest < rank else 0 if strictest == rank else 1)
        if moves:
            regress.append((index, MappingProxyType(moves)))
        if min(sides) <= 0:
            (watched if index in timed else fixed).append(_side(index, sides[0], sides[1], ways[index]))
    targets = {t for _index, moves in regress for t in moves.values() if t is not None}
    backs = {target: _backs(rule_verdicts[target]) for target in targets - {ex}}
    order = {}
    for target in targets:
        rung = program.exercises[target].rung
        order[target] = (rung if rung is not None else -1, target)
    regress_pairs = {(index, ex) for index, _moves in regress}
    regress_pairs.update((index, target) for target, found in backs.items() for index, _b in found)
    return Hold(
        tuple(watched),
        tuple(fixed),
        tuple(regress),
        MappingProxyType(backs),
        MappingProxyType(order),
        verdict == "check",
        frozenset(regress_pairs),
        frozenset(j for j, _x in regress_pairs),
        frozenset(x for _j, x in regress_pairs),
    )


def _backs(verdicts: Sequence[tuple[int, str, str | None]]) -> tuple[Back, ...]:
    """A target's rules that can hold it back: each outcome that sets `regress` or stricter."""
    found = []
    for index, when_true, when_unknown in verdicts:
        holds = {
            outcome: set_to is not None and RANK[set_to] <= _HOLDS_BACK
            for outcome, set_to in ((True, when_true), (None, when_unknown), (False, None))
        }
        if any(holds.values()):
            found.append((index, MappingProxyType(holds)))
    return tuple(found)


def combined_pairs(
    program: ir.Program,
    rule_verdicts: Mapping[str, Sequence[tuple[int, str, str | None]]],
    ex: str,
    verdict: str,
) -> frozenset[tuple[int, str]]:
    """The (rule, exercise) outcomes on which whether `ex` keeps `verdict` depends, with
    `otherwise allow`: its rules that can end at `verdict` or a stricter one, and of the
    targets their progress or regress may move to, the rules that can hold the target back.

    A rule that always ends less strict than `verdict` cannot decide whether it is kept: the
    verdict is kept only when the strictest end is it (or `check` with an unknown red flag,
    whatever the strictest end less strict than `check` is), and with `otherwise allow` no
    rule setting anything lifts nothing to `verdict`.
    """
    rank = RANK[verdict]
    pairs: set[tuple[int, str]] = set()
    targets: set[str] = set()
    for index, when_true, when_unknown in rule_verdicts[ex]:
        for set_to in (when_true, when_unknown):
            if set_to is None or min(RANK[e] for e in _MOVE_ENDS.get(set_to, (set_to,))) > rank:
                continue
            pairs.add((index, ex))
            if set_to in _MOVE_ENDS:
                rule = program.rules[index]
                targets.update(t for t in (rule.to, ir.next_rung(program, ex, set_to)) if t)
    for target in targets - {ex}:
        for index, when_true, when_unknown in rule_verdicts[target]:
            if any(v is not None and RANK[v] <= _HOLDS_BACK for v in (when_true, when_unknown)):
                pairs.add((index, target))
    return frozenset(pairs)
