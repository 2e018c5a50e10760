"""Prove: the queries (design note section 2): promises, requires, dead and masked rules, gaps.

Each promise is proved by showing that its negation has no model within the
bounds; a model is a counterexample patient, handed to `witness.py` to be
minimised, written out and replayed through the real evaluator. A query
the solver cannot settle in its time is reported unproved, never proved.
One solver holds every fact of the encoding; each query is one `check`
under its own assumptions, so the solver keeps what it learned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import z3

from clinrules import ir
from clinrules.prove.conditions import Encoder
from clinrules.prove.history import slot_counts
from clinrules.prove.values import Patient
from clinrules.prove.verdicts import CHECK, RANK, URGENT, Verdicts

LOOSE = (RANK["allow"], RANK["modify"], RANK["progress"], RANK["regress"])
"""What an unknown red flag may never leave an exercise (language.md section 7.2)."""


@dataclass(frozen=True, slots=True)
class Refutation:
    """A model that breaks a promise: what was promised, for which exercise, and the model."""

    promise: str
    exercise: str
    model: Any
    broken: Any  # the formula the model satisfies (kept for minimising)


@dataclass
class Outcome:
    """What one query found."""

    kind: str  # promise, require, dead, only_unknown, masked, gap, unproved
    subject: str  # the promise's name, the rule's or requirement's id
    where: ir.Where | None
    exercise: str | None = None
    refutation: Refutation | None = None
    maskers: tuple[str, ...] = ()
    detail: str = ""


@dataclass
class Encoding:
    """One encoding of a program: the symbolic patient, its formulas and a solver over them."""

    program: ir.Program
    fixed_params: bool = False
    complete: bool = False
    extra_slots: int = 0
    timeout_ms: int = 60_000
    slots: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.patient = Patient(self.program, complete=self.complete, fixed_params=self.fixed_params)
        self.slots = slot_counts(self.program, self.extra_slots)
        self.patient.make_slots(self.slots)
        self.encoder = Encoder(self.patient)
        self.verdicts = Verdicts(self.encoder)
        self.solver = z3.Solver()
        self.solver.set(timeout=self.timeout_ms)
        self.solver.set("core.minimize", True)  # maskers named from a minimal core, not any core
        self._added = 0
        self._tries = tuple(sorted({0, 1, max(_longest(self.program))}))

    def sync(self) -> None:
        """Hand the solver the facts made since the last query (fields are made as they are read)."""
        facts = self.patient.facts
        if self._added < len(facts):
            self.solver.add(*facts[self._added :])
            self._added = len(facts)

    def check(self, *formulas: Any) -> tuple[Any, Any]:
        """(sat/unsat/unknown, the model when sat) of the facts and `formulas`."""
        self.sync()
        self.solver.push()
        self.solver.add(*formulas)
        try:
            result = self.solver.check()
            model = self.solver.model() if result == z3.sat else None
        finally:
            self.solver.pop()
        return result, model

    def find(self, *formulas: Any, tries: tuple[int, ...] | None = None) -> tuple[Any, Any]:
        """`check` for a query that may well be satisfiable: short histories first.

        A model with few sessions is a model; only when none exists is the
        whole bound needed (and then its answer is the query's answer). The
        tries: no session, one, and as many as the longest `last N` form
        reads (three good days need three sessions), per exercise.
        """
        for sessions in tries if tries is not None else self._tries:
            shorter = [z3.Not(s.present) for slots in self.patient.slots.values() for s in slots[sessions:]]
            result, model = self.check(*formulas, *shorter)
            if result == z3.sat:
                return result, model
        return self.check(*formulas)


def _longest(program: ir.Program) -> list[int]:
    """The N of every `last N` form of the program."""
    found = [1]
    for root in [*(f.condition for f in program.red_flags), *(r.condition for r in program.rules)]:
        found += [n.last for n in ir.nodes(root) if isinstance(n, ir.History) and n.last is not None]
    return found


class Queries:
    """Every query of one program, in a stable order."""

    def __init__(self, encoding: Encoding) -> None:
        self.e = encoding
        self.v = encoding.verdicts
        self.program = encoding.program
        self.found: list[Outcome] = []

    def _refute(self, promise: str, exercise: str, broken: Any, where: ir.Where | None, kind: str) -> None:
        # Expected to be proved: one short try (most counterexamples need one session a rung), then all.
        result, model = self.e.find(broken, tries=(1,))
        if result == z3.unsat:
            return
        if result == z3.sat:
            self.found.append(
                Outcome(kind, promise, where, exercise, Refutation(promise, exercise, model, broken))
            )
        else:
            self.found.append(
                Outcome("unproved", promise, where, exercise, detail=str(self.e.solver.reason_unknown()))
            )

    def promises(self) -> None:
        """The built-in promises (language.md section 7), for every exercise."""
        for exercise in self.program.exercises:
            terms = self.v.terms(exercise)
            self._refute(
                "red_flag_urgent", exercise, z3.And(self.v.fired, terms.final != URGENT), None, "promise"
            )
            loose = z3.Or([terms.final == r for r in LOOSE])
            self._refute(
                "unknown_red_flag_check", exercise, z3.And(self.v.unknown_flag, loose), None, "promise"
            )
            self._refute("targets_permitted", exercise, self._target_not_permitted(exercise), None, "promise")

    def _target_not_permitted(self, exercise: str) -> Any:
        terms = self.v.terms(exercise)
        broken = []
        for move in ("progress", "regress"):
            chosen = terms.moves[move]
            fine = z3.Or(
                [
                    z3.And(chosen == self.v.order[c], self.v.permitted(c))
                    for c in self.program.exercises
                    if c != exercise
                ]
            )
            broken.append(z3.And(terms.final == RANK[move], z3.Not(fine)))
        return z3.Or(broken)

    def requires(self) -> None:
        """Every `require` of the program, for each of its targets."""
        for requirement in self.program.requirements:
            for exercise in requirement.targets.exercises:
                premise = self.v._outcome(requirement.id, requirement.condition, exercise)
                final = self.v.terms(exercise).final
                bound = RANK[requirement.verdict]
                if requirement.kind.value == "at least":
                    broken = final > bound
                elif requirement.kind.value == "at most":
                    broken = final < bound
                else:
                    broken = final == bound
                self._refute(
                    requirement.id, exercise, z3.And(premise.t, broken), requirement.where, "require"
                )

    def dead_and_masked(self) -> None:
        """Red flags and rules that can never fire, rules that fire only through `when unknown` or never show."""
        for flag, outcome in zip(self.program.red_flags, self.v.flags, strict=True):
            # A red flag that can never fire protects no one: as dead as a rule, and worse.
            if flag.id not in self.v.unsupported and self.e.find(outcome.t)[0] == z3.unsat:
                self.found.append(Outcome("dead", flag.id, flag.where, detail="red flag"))
        for index, rule in enumerate(self.program.rules):
            if rule.id in self.v.unsupported:
                continue
            targets = rule.targets.exercises
            outcomes = [self.v.outcome(index, x) for x in targets]
            result, _ = self.e.find(z3.Or([o.t for o in outcomes]))
            if result == z3.unsat:
                only_unknown = False
                if rule.when_unknown is not None:
                    result, _ = self.e.find(z3.Or([o.unknown for o in outcomes]))
                    only_unknown = result == z3.sat
                self.found.append(Outcome("only_unknown" if only_unknown else "dead", rule.id, rule.where))
                if not only_unknown:
                    continue
            elif result != z3.sat:
                self.found.append(Outcome("unproved", f"dead:{rule.id}", rule.where, detail="solver unknown"))
                continue
            self._masked(index, rule)

    def _masked(self, index: int, rule: ir.Rule) -> None:
        setters = {
            x: next(s for s in self.v.terms(x).setters if s.rule == index) for x in rule.targets.exercises
        }
        shows = z3.Or([self.v.because(x, s) for x, s in setters.items()])
        result, _ = self.e.find(shows)
        if result == z3.sat:
            return
        if result != z3.unsat:
            self.found.append(Outcome("unproved", f"masked:{rule.id}", rule.where, detail="solver unknown"))
            return
        maskers: set[str] = set()
        for exercise, setter in setters.items():
            maskers |= self._maskers(exercise, setter)
        self.found.append(Outcome("masked", rule.id, rule.where, maskers=tuple(sorted(maskers))))

    def _maskers(self, exercise: str, setter: Any) -> set[str]:
        """The rules (and red flags) whose union keeps `setter` from ever setting the verdict (an unsat core)."""
        terms = self.v.terms(exercise)
        quiet: dict[str, Any] = {}
        claims = [setter.active]
        for other in terms.setters:
            if other is setter:
                continue
            name = self.program.rules[other.rule].id
            q = quiet[name] = z3.Bool(f"quiet:{name}:{exercise}")
            claims.append(z3.Implies(q, z3.Not(z3.And(other.active, other.effective < setter.effective))))
        q = quiet["red flags"] = z3.Bool(f"quiet:red flags:{exercise}")
        claims.append(
            z3.Implies(
                q, z3.And(z3.Not(self.v.fired), z3.Not(z3.And(self.v.unknown_flag, setter.effective > CHECK)))
            )
        )
        for move, fallback in (("progress", "allow"), ("regress", "avoid")):
            q = quiet[f"its {move} target, never permitted ({fallback})"] = z3.Bool(
                f"quiet:{move}:{exercise}"
            )
            claims.append(z3.Implies(q, z3.Not(z3.And(setter.rank == RANK[move], terms.downgraded[move]))))
        self.e.sync()
        solver = self.e.solver
        solver.push()
        solver.add(*claims)
        try:
            if solver.check(*quiet.values()) != z3.unsat:
                return set()
            core = {str(c) for c in solver.unsat_core()}
        finally:
            solver.pop()
        return {name for name, q in quiet.items() if str(q) in core}

    def gaps(self) -> None:
        """Fully known patients for whom no rule and no red flag decides an exercise (`otherwise` does)."""
        for exercise in self.program.exercises:
            terms = self.v.terms(exercise)
            nothing = z3.And(
                z3.Not(self.v.fired), z3.Not(self.v.unknown_flag), *[z3.Not(s.active) for s in terms.setters]
            )
            self._refute("gap", exercise, nothing, self.program.where, "gap")
