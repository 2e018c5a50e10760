"""Prove: session forms over a bounded number of session slots, and how many slots are enough.

The forms follow `engine/interpret.py`: the newest N sessions of a scope
(ordered by time, then exercise id, as `runtime.merged` orders them), a
window `now - W <= at`, and the newest N local dates for the `days` forms,
counted with the same three-valued counting.

How many slots an exercise needs (`slot_counts`) is the small-model bound,
sharpened from design note section 2 to cover day counting and scopes: a
longer history can be cut to one of that many sessions per exercise without
changing any form's value. Keep each exercise's newest N sessions (the
largest N of its session counts: every scope's newest N are among them);
one witness per window form (a true session if the form is true, else an
unknown one), the same witness serving every scope, since a scope is a union
of exercises; and for each `days` form, one witness for each of the
exercise's N newest dates (the best session of the date for `any`/`K of`,
the worst for `every one of`). Removing the other sessions keeps every
witness, so every value; the dates that remain are a subset of the old
ones holding the newest N of every scope, so the newest N days are the
same days. A test checks that a proof at the bound holds with more slots.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import z3

from clinrules import ir
from clinrules.prove.kleene import K3, MICROS, count
from clinrules.prove.values import Patient, Slot, Unsupported
from clinrules.syntax.ast import Quantifier

_WINDOWS = (Quantifier.ANY_WITHIN, Quantifier.NONE_WITHIN)


class Reader(Protocol):
    """What the session forms need of the condition encoder (`conditions.Encoder`)."""

    patient: Patient
    program: ir.Program

    def cond(self, node: ir.Condition, target: str | None, slot: Slot | None = None) -> K3: ...

    def expr(self, node: ir.Expr, target: str | None, slot: Slot | None) -> tuple[Any, Any]: ...


class HistoryEncoder:
    """The session forms of one encoding, each encoded once per target."""

    def __init__(self, encoder: Reader) -> None:
        self.encoder = encoder
        self.patient = encoder.patient
        self.program = encoder.program
        self._cache: dict[tuple[int, frozenset[str] | None], K3] = {}
        self._frames: dict[
            tuple[tuple[int, ...], int], tuple[list[Any], list[Any], Any, list[list[Any]]]
        ] = {}

    def encode(self, node: ir.History, target: str | None) -> K3:
        """The form's value for `target` (None: a red flag's, over every session)."""
        ids = ir.scope_exercises(self.program.exercises, self.program.ladders, node, target)
        key = (id(node), ids)
        found = self._cache.get(key)
        if found is None:
            pool = self.patient.pool(ids)
            inner = [self.encoder.cond(node.condition, target, s) for s in pool]
            if node.days:
                found = self._days(node, pool, inner)
            elif node.quantifier in _WINDOWS:
                found = self._window(node, pool, inner, target)
            else:
                found = self._sessions(node, pool, inner)
            self._cache[key] = found
        return found

    def _window(self, node: ir.History, pool: list[Slot], inner: list[K3], target: str | None) -> K3:
        if node.window is None:
            raise Unsupported("a window with no length", node.span)
        known, seconds = self.encoder.expr(node.window, target, None)
        if not z3.is_true(z3.simplify(known)):
            raise Unsupported("a window whose length may be unknown", node.window.span)
        chosen = [z3.And(s.present, s.at >= -seconds * MICROS) for s in pool]
        found = K3(
            z3.Or([z3.And(c, i.t) for c, i in zip(chosen, inner, strict=True)]),
            z3.And([z3.Or(z3.Not(c), i.f) for c, i in zip(chosen, inner, strict=True)]),
        )
        return ~found if node.quantifier is Quantifier.NONE_WITHIN else found

    def _sessions(self, node: ir.History, pool: list[Slot], inner: list[K3]) -> K3:
        last = 1 if node.quantifier is Quantifier.LAST else (node.last or 0)
        chosen = [z3.And(s.present, _newer_count(s, pool) < last) for s in pool]
        pairs = list(zip(chosen, inner, strict=True))
        match node.quantifier:
            case Quantifier.LAST:
                return K3(
                    z3.Or([z3.And(c, i.t) for c, i in pairs]),
                    z3.Or(
                        z3.Not(z3.Or([s.present for s in pool])), z3.Or([z3.And(c, i.f) for c, i in pairs])
                    ),
                )
            case Quantifier.ANY_OF_LAST:
                return K3(
                    z3.Or([z3.And(c, i.t) for c, i in pairs]),
                    z3.And([z3.Or(z3.Not(c), i.f) for c, i in pairs]),
                )
            case Quantifier.EVERY_OF_LAST:
                enough = count([s.present for s in pool]) >= last
                return K3(
                    z3.And(enough, z3.And([z3.Implies(c, i.t) for c, i in pairs])),
                    z3.Or(z3.Not(enough), z3.Or([z3.And(c, i.f) for c, i in pairs])),
                )
            case Quantifier.COUNT_OF_LAST:
                k = node.count or 0
                return K3(
                    count([z3.And(c, i.t) for c, i in pairs]) >= k,
                    count([z3.And(c, z3.Not(i.f)) for c, i in pairs]) < k,
                )
        raise Unsupported(f"the session form '{node.quantifier}'", node.span)

    def _days(self, node: ir.History, pool: list[Slot], inner: list[K3]) -> K3:
        firsts, recent, dates, same = self._day_frame(pool, node.last or 0)
        last = node.last or 0
        pairs = list(zip(recent, inner, strict=True))
        if node.quantifier is Quantifier.EVERY_OF_LAST:
            return K3(
                z3.And(dates >= last, z3.And([z3.Implies(r, i.t) for r, i in pairs])),
                z3.Or(dates < last, z3.Or([z3.And(r, i.f) for r, i in pairs])),
            )
        if node.quantifier not in (Quantifier.ANY_OF_LAST, Quantifier.COUNT_OF_LAST):
            raise Unsupported(f"the day form '{node.quantifier}'", node.span)
        k = node.count or 1
        day_true, day_open = [], []
        for index, (first, recent_) in enumerate(zip(firsts, recent, strict=True)):
            row = list(zip(same[index], inner, strict=True))
            day_true.append(z3.And(first, recent_, z3.Or([z3.And(m, i.t) for m, i in row])))
            day_open.append(z3.And(first, recent_, z3.Or([z3.And(m, z3.Not(i.f)) for m, i in row])))
        return K3(count(day_true) >= k, count(day_open) < k)

    def _day_frame(self, pool: list[Slot], last: int) -> tuple[list[Any], list[Any], Any, list[list[Any]]]:
        """For a pool: each slot first of its date, among the newest `last` dates; the dates; same-date pairs.

        Shared by every `days` form over the same sessions, whatever its condition.
        """
        key = (tuple(id(s) for s in pool), last)
        found = self._frames.get(key)
        if found is not None:
            return found
        same = [[z3.And(o.present, o.day == s.day) if o is not s else o.present for o in pool] for s in pool]
        # The first slot of each date in pool order stands for the date.
        firsts = [z3.And(s.present, z3.Not(z3.Or(same[i][:i]))) for i, s in enumerate(pool)]
        newer = [count([z3.And(f, o.day > s.day) for f, o in zip(firsts, pool, strict=True)]) for s in pool]
        recent = [z3.And(s.present, n < last) for s, n in zip(pool, newer, strict=True)]
        found = self._frames[key] = (firsts, recent, count(firsts), same)
        return found


def _newer_count(slot: Slot, pool: list[Slot]) -> Any:
    """How many present slots of the pool come before `slot`, newest first (time, then exercise id)."""
    if all(o.exercise == slot.exercise for o in pool):
        return z3.IntVal(slot.index)  # the present slots of one exercise are a prefix in time order
    newer = []
    for other in pool:
        if other is slot:
            continue
        if other.exercise == slot.exercise:
            if other.index < slot.index:
                newer.append(other.present)
            continue
        later = other.at > slot.at
        if other.exercise > slot.exercise:
            later = other.at >= slot.at
        newer.append(z3.And(other.present, later))
    return count(newer)


# ---------------------------------------------------------------- the small-model bound


def slot_counts(program: ir.Program, extra: int = 0) -> dict[str, int]:
    """How many session slots each exercise needs (the module's docstring says why), plus `extra`."""
    newest: dict[str, int] = {}
    families: dict[str, set[tuple[Any, ...]]] = {}
    day_slots: dict[str, int] = {}
    for node, target in _history_nodes(program):
        ids = ir.scope_exercises(program.exercises, program.ladders, node, target)
        exercises = list(program.exercises) if ids is None else [e for e in ids if e in program.exercises]
        if node.days:
            family: tuple[Any, ...] = (
                "days",
                node.quantifier is Quantifier.EVERY_OF_LAST,
                node.last,
                _key(node.condition),
            )
            need = node.last or 0
        elif node.quantifier in _WINDOWS:
            family, need = ("window", _key(node.condition), _key(node.window)), 1
        else:
            n = 1 if node.quantifier is Quantifier.LAST else (node.last or 0)
            for e in exercises:
                newest[e] = max(newest.get(e, 0), n)
            continue
        for e in exercises:
            seen = families.setdefault(e, set())
            if family not in seen:
                seen.add(family)
                if family[0] == "days":
                    day_slots[e] = day_slots.get(e, 0) + need
                else:
                    day_slots[e] = day_slots.get(e, 0) + 1
    return {
        e: newest.get(e, 0) + day_slots.get(e, 0) + (extra if e in newest or e in day_slots else 0)
        for e in program.exercises
    }


def _history_nodes(program: ir.Program) -> Iterator[tuple[ir.History, str | None]]:
    """Every session form of the program, with each target it is read for (None: no target)."""
    roots: list[tuple[ir.Condition, Iterable[str | None]]] = []
    roots += [(f.condition, (None,)) for f in program.red_flags]
    roots += [(r.condition, r.targets.exercises) for r in program.rules]
    roots += [(q.condition, q.targets.exercises) for q in program.requirements]
    for score in program.scores.values():
        roots += [(item.condition, (None,)) for item in score.items]
    for assessment in program.assessments.values():
        roots += [(b.condition, (None,)) for b in assessment.branches if b.condition is not None]
    for root, targets in roots:
        forms = [n for n in ir.nodes(root, into_scores=False) if isinstance(n, ir.History)]
        for target in targets:
            for form in forms:
                yield form, target


def _key(node: ir.Condition | ir.Expr | None) -> Any:
    """What makes two forms the same family: a shared phrase by its condition, a length by its value."""
    match node:
        case ir.Phrase(condition=inner):
            return ("phrase", id(inner))
        case ir.Const(value=value):
            return ("const", value)
        case ir.ParamRef(name=name):
            return ("param", name)
        case ir.Scale(expr=inner, factor=factor):
            return ("scale", _key(inner), factor)
    return ("node", id(node))
