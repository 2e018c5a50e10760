"""Compiler, the two-valued path: the code a condition runs when every field it reads is known.

On a patient with none of its fields unknown, Kleene logic gives what plain
Python logic gives, and plain Python is about twice as fast: no temporary
for each operand, no `is None` before each comparison, no `is True` after
each `and`. So a condition that reads only patient fields (no session form,
score or assessment, whose own results can be unknown whatever the fields
say) is compiled twice, as a plain expression over its fields and as its
Kleene body, behind one known-check over exactly the fields it reads:

    f1 = p.leg_pain
    f2 = p.night_pain
    if f1 is not None and f2 is not None:
        o3 = (f1 > k4 and f2)  # two-valued
    else:
        o3 = (False if ...)  # Kleene

The fields are read once per generated function, into locals named after
the field (`f<n>`, the same name in every function), and both bodies read
the locals. The known-check is the only way into the plain expression: it
names every patient field the condition reads, through the phrases it uses,
so an unknown answer always takes the Kleene body and is never read as no.
A defined phrase of more than one test is called as its Kleene function (its
result is kept in the memo, and is true or false when its fields are known);
a one-test phrase is written in place, as the Kleene body does.
"""

from __future__ import annotations

import re

from clinrules import ir
from clinrules.base.errors import ClinrulesError
from clinrules.schema import types as t
from clinrules.schema.reader import Schema

__all__ = ["KnownCode", "plain", "reads"]

_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "==", "!=": "!="}
_LEAF = (ir.Compare, ir.Between, ir.Truth, ir.Member, ir.Contains, ir.Empty)
_CHUNK = 40
TWO_VALUED = "  # two-valued"
KLEENE = "  # Kleene"


class KnownCode:
    """The two-valued code of the generator, kept apart for size."""

    schema: Schema
    params: dict[str, int]
    defs: list[str]
    memo: bool
    local_fields: frozenset[str]

    def fresh(self, prefix: str) -> str:
        raise NotImplementedError

    def const(self, value: object) -> str:
        raise NotImplementedError

    def cond(self, node: ir.Condition, session: bool) -> str:
        raise NotImplementedError

    def field(self, node: ir.FieldRef) -> str:
        raise NotImplementedError

    def phrase(self, node: ir.Phrase, session: bool) -> str:
        raise NotImplementedError

    def rank_table(self, enum: t.EnumType) -> str:
        raise NotImplementedError

    def members(self, value: ir.Expr, members: frozenset[str]) -> frozenset[object]:
        raise NotImplementedError

    def known_setup(self) -> None:
        """Call once, first: the name of each field's local, given as fields are first read."""
        self.field_locals: dict[str, str] = {}
        self.field_nodes: dict[str, ir.FieldRef] = {}
        self.known_facts: dict[int, tuple[bool, list[str]]] = {}  # id of a condition of the program -> facts
        self.local_fields = frozenset()

    def local(self, path: str) -> str:
        name = self.field_locals.get(path)
        if name is None:
            name = self.field_locals[path] = f"f{len(self.field_locals)}"
        return name

    def is_plain(self, condition: ir.Condition) -> bool:
        """`plain(condition)`, worked out once per condition."""
        return self.facts(condition)[0]

    def known_reads(self, condition: ir.Condition) -> list[str]:
        """`reads(condition)`, worked out once per condition, each field remembered for `field_reads`."""
        return self.facts(condition)[1]

    def facts(self, condition: ir.Condition) -> tuple[bool, list[str]]:
        found = self.known_facts.get(id(condition))
        if found is None:
            is_plain = plain(condition)
            paths = reads(condition) if is_plain else []
            for node in ir.nodes(condition) if is_plain else ():
                if isinstance(node, ir.FieldRef):
                    self.field_nodes.setdefault(node.path, node)
            found = self.known_facts[id(condition)] = (is_plain, paths)
        return found

    def field_reads(self, paths: list[str]) -> list[str]:
        """The statements that read these patient fields into their locals, each once."""
        outer, self.local_fields = self.local_fields, frozenset()
        try:
            return [f"    {self.local(path)} = {self.field(self.field_nodes[path])}" for path in paths]
        finally:
            self.local_fields = outer

    def two_paths(self, condition: ir.Condition, target: str, fast: str | None = None) -> list[str]:
        """`target` (`oN = `, or `return `) given the condition's outcome, by the path its fields allow.

        The fields it reads must have been read into their locals first
        (`field_reads` of its `known_reads`); `fast`: its two-valued code, if made already.
        """
        paths = self.known_reads(condition)
        outer, self.local_fields = self.local_fields, frozenset(paths)
        try:
            fast = self.two_valued(condition) if fast is None else fast
            if not paths:  # nothing it reads can be unknown
                return [f"    {target}{fast}{TWO_VALUED}"]
            slow = self.cond(condition, session=False)
        finally:
            self.local_fields = outer
        check = " and ".join(f"{self.local(path)} is not None" for path in paths)
        head = [f"    if {check}:", f"        {target}{fast}{TWO_VALUED}"]
        if target == "return ":
            return [*head, f"    return {slow}{KLEENE}"]
        return [*head, "    else:", f"        {target}{slow}{KLEENE}"]

    def chunked(
        self, head: str, prefix: str, args: str, items: list[ir.Condition | str], picks: str, start: list[str]
    ) -> None:
        """The function `head`, of many outcomes: the conditions (or code) `items`, in chunks.

        Bodies are inlined in chunks of `_CHUNK` per function: inlining saves
        a call per outcome, and chunks keep each function small, since Python
        compiles a function with thousands of locals very slowly. A program
        of one chunk is that one function; else `head` calls each chunk's
        function (`prefix`N`args`) and joins their tuples.
        """
        memo, self.memo = self.memo, False
        chunks = [
            start + self.chunk(list(enumerate(items))[first : first + _CHUNK])
            for first in range(0, len(items), _CHUNK)
        ]
        uses_memo, self.memo = self.memo, memo
        setup = ["    m = {}" if uses_memo else "    m = None", f"    S = {picks}"]
        if len(chunks) == 1:
            self.defs.append("\n".join([f"def {head}:", *_used(setup + chunks[0])]))
            return
        calls = []
        for lines in chunks:
            name = self.fresh(prefix)
            self.defs.append("\n".join([f"def {name}{args}:", *_used(lines)]))
            calls.append(f"{name}{args}")
        self.defs.append("\n".join([f"def {head}:", *setup, f"    return {' + '.join(calls) or '()'}"]))

    def all_outcomes(self, program: ir.Program) -> None:
        """`all_outcomes(p, P, now, ss, by_ex)` -> `(red flags, rules)`: both in one call, or None.

        `RuleSet.outcomes` on fully known states costs little more than its
        rules only if it makes one call that reads each field once and checks
        them all once. So a program whose red flags and rules are all plain
        (no session form, score or assessment: what `all_flags` and
        `all_rules` pass as `ss` cannot matter) and fit in one chunk gets that
        one function; any other, None, and the evaluator calls both.
        """
        conditions = [*(f.condition for f in program.red_flags), *(r.condition for r in program.rules)]
        if not conditions or len(conditions) > _CHUNK or not all(map(self.is_plain, conditions)):
            self.defs.append("all_outcomes = None")
            return
        memo, self.memo = self.memo, False
        lines = self.chunk(list(enumerate(conditions)), len(program.red_flags))
        uses_memo, self.memo = self.memo, memo
        start = ["    m = {}" if uses_memo else "    m = None", "    x = None", "    S = None"]
        self.defs.append("\n".join(["def all_outcomes(p, P, now, ss, by_ex):", *_used(start + lines)]))

    def chunk(self, items: list[tuple[int, ir.Condition | str]], flags: int | None = None) -> list[str]:
        """The statements of a function of many outcomes `oN`: each a condition, or code to run as it is.

        The fields the plain conditions read are read once; the outcomes with
        no two-valued form come first, as both paths use them. Then one check
        over every field read: all known, the tuple of two-valued outcomes;
        else each plain condition by its own check (`two_paths`). With `flags`,
        the function returns two tuples: the first `flags` outcomes, and the rest.
        """
        fields: dict[str, None] = {}
        for _, item in items:
            if not isinstance(item, str) and self.is_plain(item):
                fields.update(dict.fromkeys(self.known_reads(item)))
        lines = self.field_reads(list(fields))
        values = {}
        for index, item in items:
            if isinstance(item, str):
                lines.append(f"    o{index} = {item}")
            elif not self.is_plain(item):
                lines.append(f"    o{index} = {self.cond(item, session=False)}{KLEENE}")
            else:
                values[index] = item
        outer, self.local_fields = self.local_fields, frozenset(fields)
        try:
            fast = {index: self.two_valued(item) for index, item in values.items()}
        finally:
            self.local_fields = outer
        if fields and values:
            check = " and ".join(f"{self.local(path)} is not None" for path in fields)
            every = _returned([fast.get(index, f"o{index}") for index, _ in items], flags)
            names = " ".join(f"o{index}" for index in values)
            lines += [f"    if {check}:", f"        return {every}{TWO_VALUED}: {names}"]
        for index, item in values.items():
            if fields and set(self.known_reads(item)) == set(fields):  # its check is the one that failed
                with_locals, self.local_fields = self.local_fields, frozenset(fields)
                lines.append(f"    o{index} = {self.cond(item, session=False)}{KLEENE}")
                self.local_fields = with_locals
            else:
                lines.extend(self.two_paths(item, f"o{index} = ", fast[index]))
        lines.append(f"    return {_returned([f'o{index}' for index, _ in items], flags)}")
        return lines

    # ------------------------------------------------------------ the plain expression

    def two_valued(self, node: ir.Condition) -> str:
        """The condition in plain Python logic, over fields all known: always True or False."""
        match node:
            case ir.Compare(op=op, kind=kind, left=left, right=right):
                return f"({self.known_operand(left, kind)} {_OPS[op]} {self.known_operand(right, kind)})"
            case ir.Between(kind=kind, value=value, low=low, high=high):
                v, lo, hi = (self.known_operand(e, kind) for e in (value, low, high))
                return f"({lo} <= {v} <= {hi})"
            case ir.Truth(value=value):
                return self.known_expr(value)
            case ir.Member(value=value, members=members, negated=negated):
                group = self.const(self.members(value, members))
                return f"({self.known_expr(value)} {'not in' if negated else 'in'} {group})"
            case ir.Contains(value=value, members=members):
                group = self.const(self.members(value, members))
                return f"(not {group}.isdisjoint({self.known_expr(value)}))"
            case ir.Empty(value=value, negated=negated):
                return f"(len({self.known_expr(value)}) {'!=' if negated else '=='} 0)"
            case ir.Known(negated=negated):  # what it asks about reads only known fields
                return "False" if negated else "True"
            case ir.And(items=items):
                return _joined([self.two_valued(c) for c in items], "and", "True", "False")
            case ir.Or(items=items):
                return _joined([self.two_valued(c) for c in items], "or", "False", "True")
            case ir.Not(item=item):
                inner = self.two_valued(item)
                return {"True": "False", "False": "True"}.get(inner, f"(not {inner})")
            case ir.Phrase(condition=inner) if isinstance(inner, _LEAF):
                return self.two_valued(inner)
            case ir.Phrase():  # its Kleene function, memoised: true or false, its fields being known
                return self.phrase(node, session=False)
        raise ClinrulesError(f"no two-valued form of {type(node).__name__}")  # `plain` rules it out

    def known_operand(self, node: ir.Expr, kind: ir.CompareKind) -> str:
        """An operand of a comparison; ordered choices compare by rank."""
        if kind is ir.CompareKind.RANK:
            if isinstance(node, ir.EnumConst):
                return self.const(node.rank)
            enum = getattr(node, "type", None)
            if isinstance(enum, t.EnumType):
                ranks = self.rank_table(enum)
                return f"{ranks}[{self.known_expr(node)}]"
        return self.known_expr(node)

    def known_expr(self, node: ir.Expr) -> str:
        match node:
            case ir.FieldRef(path=path) if not node.session:
                return self.local(path)
            case ir.ParamRef(name=name):
                return f"P[{self.params[name]}]"
            case ir.Const(value=value):
                return self.const(value)
            case ir.EnumConst(member=member, type=kind):
                return self.const(kind.value_of(member))
            case ir.Now():
                return "now"
            case ir.Scale(expr=inner, factor=factor):
                return f"({self.known_expr(inner)} * {self.const(factor)})"
            case ir.Arith(op=op, kind=kind, left=left, right=right):
                a, b = self.known_expr(left), self.known_expr(right)
                if kind is ir.ArithKind.SHIFT:
                    return f"rt.shift({a}, {b}, {1 if op == '+' else -1})"
                if kind is ir.ArithKind.ELAPSED:
                    return f"rt.elapsed({a}, {b})"
                return f"({a} {op} {b})"
        raise ClinrulesError(f"no two-valued form of {type(node).__name__}")  # `plain` rules it out


def _used(lines: list[str]) -> list[str]:
    """The lines without the set-up of a name the others never read (`ss`, `x`, `m`, `S`)."""
    out = []
    for line in lines:
        name = line.split(" = ", 1)[0].strip()
        if name in ("ss", "x", "m", "S") and line.startswith(f"    {name} = "):
            others = "\n".join(other for other in lines if other is not line)
            if not re.search(rf"\b{name}\b", others):
                continue
        out.append(line)
    return out


def _returned(codes: list[str], flags: int | None) -> str:
    """The tuple of the outcomes' codes; with `flags`, two: the first `flags` of them, and the rest."""
    if flags is None:
        return "(" + "".join(code + ", " for code in codes) + ")"
    return f"({_returned(codes[:flags], None)}, {_returned(codes[flags:], None)})"


def _joined(codes: list[str], op: str, neutral: str, decisive: str) -> str:
    """`a and b` (or `or`), without the items a `Known` made constant: `True and a` is `a`."""
    if (
        decisive in codes
    ):  # `False and ...`: both sides are plain values, so nothing is left unread that matters
        return decisive
    kept = [code for code in codes if code != neutral]
    if not kept:
        return neutral
    return "(" + f" {op} ".join(kept) + ")"


def plain(condition: ir.Condition) -> bool:
    """Whether a condition has a two-valued path: it reads patient fields, parameters and the time only.

    A session form, a score and an assessment can be unknown with every
    patient field known (a session's answer is missing, an item is unknown),
    so a condition that holds one, through its phrases too, keeps only its
    Kleene body.
    """
    for node in ir.nodes(condition, into_history=False, into_scores=False):
        match node:
            case ir.History() | ir.Assessed() | ir.ScoreValue() | ir.AssessValue():
                return False
            case ir.Compare(kind=ir.CompareKind.SCORE) | ir.Between(kind=ir.CompareKind.SCORE):
                return False
            case ir.FieldRef(session=True):
                return False
    return True


def reads(condition: ir.Condition) -> list[str]:
    """The patient fields a condition reads, through its phrases, each once, in the order first read."""
    seen: dict[str, None] = {}
    for node in ir.nodes(condition):
        if isinstance(node, ir.FieldRef) and not node.session:
            seen.setdefault(node.path, None)
    return list(seen)
