"""Compiler, scores and assessments (language-2.md sections 5, 6): their generated code.

A declared score becomes one function returning `(low, high)`, and an
assessment one returning `(value, possible, open)` (see `runtime.Assessed`);
each keeps its result in a memo, as a phrase does, so a score used by many
rules and assessments is counted once per evaluation. That memo is their
own (`m[-1]`, shared by every score and assessment of the evaluation): a
phrase they use reads every session, where the rule calling them may read
only its target's. They read their
session forms as a red flag does, over every session (`S.all`). A `count
of` is counted in place, with the sessions of where it stands.
"""

from __future__ import annotations

from typing import Any

from clinrules import ir

__all__ = ["ScoreCode", "reads_sessions"]

_CALL = "(p, P, now, by_ex, m, S)"


class ScoreCode:
    """The score and assessment code of the generator, kept apart for size."""

    program: ir.Program
    params: dict[str, int]
    defs: list[str]
    memo: bool
    picks: bool

    def fresh(self, prefix: str) -> str:
        raise NotImplementedError

    def const(self, value: object) -> str:
        raise NotImplementedError

    def cond(self, node: ir.Condition, session: bool) -> str:
        raise NotImplementedError

    def expr(self, node: ir.Expr, session: bool) -> str:
        raise NotImplementedError

    def scored_setup(self) -> None:
        """Call once, first: the functions by declaration, and whether they need `S`."""
        self.scored_names: dict[int, str] = {}
        self.pending_scored: list[tuple[str, ir.Score | ir.Assessment]] = []
        program = self.program
        declared: list[ir.Score | ir.Assessment] = [*program.scores.values(), *program.assessments.values()]
        self.picks = self.picks or any(reads_sessions(d) for d in declared)

    def score_cond(self, node: ir.Condition, session: bool) -> str | None:
        """The code of a condition about a score or an assessment; None for any other condition."""
        match node:
            case ir.Compare(kind=ir.CompareKind.SCORE, op=op, left=left, right=right):
                a, b = self.score_range(left, session), self.score_range(right, session)
                return f"rt.ranged({self.const(op)}, {a}, {b})"
            case ir.Between(kind=ir.CompareKind.SCORE, value=value, low=low, high=high):
                parts = ", ".join(self.score_range(e, session) for e in (value, low, high))
                return f"rt.ranged_between({parts})"
            case ir.Assessed(assessment=assessment, members=members, negated=negated):
                return f"rt.assessed({self.scored_call(assessment)}, {self.const(members)}, {negated})"
            case ir.Known(value=ir.ScoreValue() as value, negated=negated):
                tmp = self.fresh("t")
                test = "!=" if negated else "=="
                return f"(({tmp} := {self.score_range(value, session)})[0] {test} {tmp}[1])"
            case ir.Known(value=ir.AssessValue(assessment=assessment), negated=negated):
                return f"({self.scored_call(assessment)}[0] {'is' if negated else 'is not'} None)"
        return None

    def score_range(self, node: ir.Expr, session: bool) -> str:
        """The code of one side of a score comparison: a range."""
        match node:
            case ir.ScoreValue(score=score) if score.id is not None:
                return self.scored_call(score)
            case ir.ScoreValue(score=score):  # a `count of`, counted where it stands
                return self.tally(score, session)
            case ir.Const(value=value):
                return self.const((value, value))
        code = self.expr(node, session)  # a parameter: never unknown
        return f"({code}, {code})"

    def tally(self, score: ir.Score, session: bool) -> str:
        values = "".join(self.cond(item.condition, session) + ", " for item in score.items)
        return f"rt.tally(({values}), {self.const(tuple(item.points for item in score.items))})"

    def scored_call(self, node: ir.Score | ir.Assessment) -> str:
        """A call of a declared score's or assessment's function, written once, later."""
        name = self.scored_names.get(id(node))
        if name is None:
            name = self.scored_names[id(node)] = self.fresh("sc" if isinstance(node, ir.Score) else "as")
            self.pending_scored.append((name, node))
        self.memo = True
        return name + _CALL

    def write_scored(self) -> bool:
        """Write the pending score and assessment functions; whether there were any."""
        written = bool(self.pending_scored)
        while self.pending_scored:
            name, node = self.pending_scored.pop()
            key = name[2:]  # the counter's number: unique to the function
            if isinstance(node, ir.Score):
                body = self.tally(node, session=False)
            else:
                branches = [b for b in node.branches if b.condition is not None]
                tests = "".join(f"lambda: {self.cond(b.condition, False)}, " for b in branches if b.condition)
                values = self.const(tuple(b.value for b in branches))
                last = node.branches[-1] if node.branches else None
                otherwise = self.const(last.value) if last is not None and last.condition is None else "None"
                body = f"rt.assess({values}, ({tests}), {otherwise})"
            every = "S.all" if self.picks else "()"
            # Its own memo (kept in the caller's at -1, and at -1 in itself): a phrase it uses
            # reads every session here, and perhaps only the target's in the rule that called it.
            self.defs.append(
                f"def {name}(p, P, now, by_ex, m, S):\n"
                "    if -1 not in m:\n        m[-1] = g = {}\n        g[-1] = g\n    m = m[-1]\n"
                f"    if {key} in m:\n        return m[{key}]\n"
                f"    ss = {every}\n    x = None\n    m[{key}] = v = {body}\n    return v"
            )
        return written

    def all_scored(self) -> None:
        """`all_scored(p, P, now, ss, by_ex)`: every score's range and every assessment's result."""
        program = self.program
        scores = "".join(self.scored_call(s) + ", " for s in program.scores.values())
        assessments = "".join(self.scored_call(a) + ", " for a in program.assessments.values())
        picks = "rt.Picks(ss)" if self.picks else "None"
        self.defs.append(
            f"def all_scored(p, P, now, ss, by_ex):\n    m = {{}}\n    S = {picks}\n"
            f"    return ({scores}), ({assessments})"
        )


def reads_sessions(node: ir.Score | ir.Assessment) -> bool:
    """Whether a score's items or an assessment's branches hold a session form (through what they use)."""
    roots: list[Any] = (
        [i.condition for i in node.items]
        if isinstance(node, ir.Score)
        else [b.condition for b in node.branches if b.condition is not None]
    )
    return any(isinstance(n, ir.History) for root in roots for n in ir.nodes(root))
