"""Prove: every exercise's final verdict as a z3 term, by the combination of `decision/combine.py`.

Verdicts are ranks, 0 (`urgent`) the most restrictive, as `combine.RANK`.
Per exercise: each rule about it sets its verdict when true, its `when
unknown` verdict when unknown; the most restrictive wins, else `otherwise`;
an unknown red flag lifts anything milder than `check` to `check` (this is
the verdict that decides whether the exercise is *permitted* as another's
target). Then progress and regress groups move to the lowest rung their
rules name and are downgraded (to allow, to avoid) when that target is not
permitted or is the exercise itself, and a fired red flag makes it urgent.
Terms are made once per exercise, on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from clinrules import ir
from clinrules.base.vocabulary import Verdict
from clinrules.prove.conditions import Encoder
from clinrules.prove.kleene import K3
from clinrules.prove.values import Unsupported

RANK = {v.value: i for i, v in enumerate(Verdict)}
URGENT, CHECK, ALLOW = RANK["urgent"], RANK["check"], RANK["allow"]
PERMITTED = (RANK["allow"], RANK["modify"], RANK["progress"])
NONE = len(RANK)  # a rule that sets nothing
MOVES = ("progress", "regress")


@dataclass(frozen=True, slots=True)
class Setter:
    """One rule about one exercise: its outcome and the verdict it sets, before and after targets."""

    rule: int
    outcome: K3
    active: Any  # it sets a verdict (true, or unknown with a `when unknown`)
    rank: Any  # the verdict it sets (NONE when inactive)
    effective: Any  # that verdict once its target is checked


@dataclass(frozen=True, slots=True)
class ExerciseTerms:
    """An exercise's verdict before targets (`base`), its final verdict, and its setters."""

    base: Any
    final: Any
    setters: tuple[Setter, ...]
    moves: dict[str, Any]  # move -> (the target it goes to, as an exercise index term)
    downgraded: dict[str, Any]


class Verdicts:
    """The red flags and every exercise's verdict terms of one encoding."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.program = encoder.program
        self.unsupported: dict[str, Unsupported] = {}  # declaration id -> what was not encoded
        self.flags = [self._outcome(f.id, f.condition, None) for f in self.program.red_flags]
        self.fired = z3.Or([f.t for f in self.flags])
        self.unknown_flag = z3.And(z3.Not(self.fired), z3.Or([f.unknown for f in self.flags]))
        self.rules_for: dict[str, list[int]] = {e: [] for e in self.program.exercises}
        for index, rule in enumerate(self.program.rules):
            for target in rule.targets.exercises:
                self.rules_for[target].append(index)
        self._outcomes: dict[tuple[int, str], K3] = {}
        self._base: dict[str, tuple[Any, tuple[tuple[int, K3, Any, Any], ...]]] = {}
        self._terms: dict[str, ExerciseTerms] = {}
        self.order = {e: i for i, e in enumerate(self.program.exercises)}

    def _outcome(self, name: str, condition: ir.Condition, target: str | None) -> K3:
        try:
            return self.encoder.cond(condition, target)
        except Unsupported as missing:
            self.unsupported.setdefault(name, missing)
            # Any outcome at all: what is proved then holds whatever the construct means.
            t, f = z3.Bools(f"free:{name}:{target}:t free:{name}:{target}:f")
            self.encoder.patient.facts.append(z3.Not(z3.And(t, f)))
            return K3(t, f)

    def outcome(self, index: int, target: str) -> K3:
        """Rule `index`'s condition for `target`."""
        key = (index, target)
        found = self._outcomes.get(key)
        if found is None:
            rule = self.program.rules[index]
            found = self._outcomes[key] = self._outcome(rule.id, rule.condition, target)
        return found

    def base(self, exercise: str) -> Any:
        """The verdict before targets are checked: the one that decides whether it is permitted."""
        return self._bases(exercise)[0]

    def permitted(self, exercise: str) -> Any:
        base = self.base(exercise)
        return z3.Or([base == r for r in PERMITTED])

    def _bases(self, exercise: str) -> tuple[Any, tuple[tuple[int, K3, Any, Any], ...]]:
        found = self._base.get(exercise)
        if found is not None:
            return found
        setters = []
        for index in self.rules_for[exercise]:
            rule = self.program.rules[index]
            o = self.outcome(index, exercise)
            if rule.when_unknown is None:
                active, rank = o.t, z3.If(o.t, RANK[rule.verdict], NONE)
            else:
                active = z3.Not(o.f)
                rank = z3.If(o.t, RANK[rule.verdict], z3.If(o.unknown, RANK[rule.when_unknown], NONE))
            setters.append((index, o, active, rank))
        pre = _smallest([s[3] for s in setters], RANK[self.program.otherwise])
        base = z3.If(z3.And(self.unknown_flag, pre > CHECK), CHECK, pre)
        found = self._base[exercise] = (base, tuple(setters))
        return found

    def terms(self, exercise: str) -> ExerciseTerms:
        """The exercise's verdict terms (made on first use)."""
        found = self._terms.get(exercise)
        if found is not None:
            return found
        base, setters = self._bases(exercise)
        downgraded: dict[str, Any] = {}
        moves: dict[str, Any] = {}
        for move in MOVES:
            downgraded[move], moves[move] = self._move(exercise, move, setters)
        made = []
        for index, o, active, rank in setters:
            effective = rank
            for move, fallback in (("progress", "allow"), ("regress", "avoid")):
                effective = z3.If(z3.And(rank == RANK[move], downgraded[move]), RANK[fallback], effective)
            made.append(Setter(index, o, active, rank, effective))
        pre = _smallest([s.effective for s in made], RANK[self.program.otherwise])
        settled = z3.If(z3.And(self.unknown_flag, pre > CHECK), CHECK, pre)
        final = z3.If(self.fired, URGENT, settled)
        found = self._terms[exercise] = ExerciseTerms(base, final, tuple(made), moves, downgraded)
        return found

    def _move(
        self, exercise: str, move: str, setters: tuple[tuple[int, K3, Any, Any], ...]
    ) -> tuple[Any, Any]:
        """Whether the group of `move` rules is downgraded, and the index of the target it goes to (-1: none)."""
        rank = RANK[move]
        named: dict[str | None, list[Any]] = {}
        group = []
        for index, o, _active, set_rank in setters:
            rule = self.program.rules[index]
            in_group = set_rank == rank
            group.append(in_group)
            one_rung = ir.next_rung(self.program, exercise, move)
            if rule.to and rule.verdict == move:
                # A rule set through `when unknown` moves one rung, not to its `to`.
                named.setdefault(rule.to, []).append(z3.And(in_group, o.t))
                named.setdefault(one_rung, []).append(z3.And(in_group, z3.Not(o.t)))
            else:
                named.setdefault(one_rung, []).append(in_group)
        candidates = sorted((c for c in named if c is not None), key=self._rung_order)
        chosen = z3.IntVal(-1)
        ok = z3.BoolVal(False)
        earlier: list[Any] = []
        for candidate in candidates:
            has = z3.Or(named[candidate])
            first = z3.And([has, *[z3.Not(e) for e in earlier]])
            chosen = z3.If(first, self.order[candidate], chosen)
            if candidate != exercise:
                ok = z3.Or(ok, z3.And(first, self.permitted(candidate)))
            earlier.append(has)
        return z3.And(z3.Or(group), z3.Not(ok)), chosen

    def _rung_order(self, name: str) -> tuple[int, str]:
        rung = self.program.exercises[name].rung
        return (rung if rung is not None else -1, name)

    def because(self, exercise: str, setter: Setter) -> Any:
        """The rule is among those that set the exercise's verdict (it is in `because`)."""
        terms = self.terms(exercise)
        return z3.And(
            z3.Not(self.fired),
            setter.active,
            setter.effective == terms.final,
            z3.Not(z3.And(setter.rank == RANK["progress"], terms.final == ALLOW)),
        )


def _smallest(ranks: list[Any], default: int) -> Any:
    """The most restrictive of the ranks set (NONE: not set), else `default`."""
    best: Any = z3.IntVal(NONE)
    for rank in ranks:
        best = z3.If(rank < best, rank, best)
    return z3.If(best == NONE, default, best)
