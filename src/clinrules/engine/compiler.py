"""Compiler: the checked IR -> Python source, compiled once into plain functions.

Generated code is straight-line Python (a tree of closures would cost about
four times as much): on the 30-rule benchmark `outcomes` costs about 1.4x the
instructions of the hand-written two-valued function on known states and 1.1x
the three-valued one with unknowns (wall times in docs/performance.md), because
a condition whose fields are all known runs as plain two-valued Python
(`compile_known`) and only the others run their Kleene body. Safety comes from what may reach
the source: only names this module makes up (`k3`, `t7`, `h2`), integers it
counts, and attribute names read from the model class that are plain ASCII
identifiers. Python rewrites other identifiers to their NFKC form (a
full-width s, U+FF53, is read as `s`), so any other attribute is read with
`getattr` and its exact name as a constant. Every value from a rule file (numbers, enum values,
exercise ids, texts) is a constant passed in from outside, never pasted into
the source, so no rule text can ever run as code.

Each defined phrase that is more than one test becomes one function, and
each of its results is kept for the rest of the evaluation in a dictionary
`m` (`m` is per session inside `had`): phrases used many times, through
other phrases too, are evaluated once, so the work is linear in the program.
Phrase bodies are generated from a work list, not by recursion, so a chain
of defines never deepens the generator; the checker bounds how deep calls
through phrases go at run time (CR006).

Truth values are True, False and None (unknown), combined by Kleene logic.
Each red flag and rule becomes a function `(p, P, now, ss, by_ex, x=None,
S=None)`: the validated patient, the parameter values, the evaluation time,
the sessions the rule looks at (newest first, none after now: the target's
own, or every session in a red flag), the sessions of each exercise, the
target exercise, and `S`, a `runtime.Picks` of every session. A scope
(language-2.md section 1) reads `S`: the exercise ids each scope selects for
each target are worked out here, once, and passed in as constants.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clinrules import ir
from clinrules.base.errors import ClinrulesError
from clinrules.engine import runtime
from clinrules.engine.compile_known import KnownCode
from clinrules.engine.compile_missing import MissedCode
from clinrules.engine.compile_scores import ScoreCode
from clinrules.schema import types as t
from clinrules.syntax.ast import Quantifier, ScopeKind

Outcome = Callable[..., bool | None]

_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "==", "!=": "!="}
_LEAF = (ir.Compare, ir.Between, ir.Truth, ir.Member, ir.Contains, ir.Empty)


@dataclass(frozen=True, slots=True)
class CompiledProgram:
    """The compiled functions of a program.

    Attributes:
        red_flags: one function per red flag, in program order.
        rules: one function per rule, in program order.
        own_sessions: per rule, whether its outcome depends on the target
            exercise: it reads the target's own sessions or its ladder's
            (then it runs once per target exercise, else once for all).
        all_flags: `(p, P, now, ss, by_ex)` -> every red flag's outcome at once.
        all_rules: `(p, P, now, by_ex, ss=None)` -> every rule's outcome at once, in
            one call: a truth value, or for a rule that reads its exercise's
            own sessions a dict exercise -> truth value.
        source: the generated source, for review and tests.
        all_scored: `(p, P, now, ss, by_ex)` -> (every score's `(low, high)`,
            every assessment's `(value, possible, open)`), in program order.
        all_outcomes: `(p, P, now, ss, by_ex)` -> `(all_flags(...), all_rules(...))` in one call, for
            a program that reads no session, score or assessment (`KnownCode.all_outcomes`); else None.
    """

    red_flags: tuple[Outcome, ...]
    rules: tuple[Outcome, ...]
    own_sessions: tuple[bool, ...]
    all_flags: Callable[..., tuple[bool | None, ...]]
    all_rules: Callable[..., tuple[Any, ...]]
    source: str
    all_scored: Callable[..., tuple[tuple[Any, ...], tuple[Any, ...]]] = lambda *_: ((), ())
    # Per red flag and rule, its missed fields as `interpret` finds them (`compile_missing`), or None.
    missed_flags: tuple[Callable[..., frozenset[str]] | None, ...] = ()
    missed_rules: tuple[Callable[..., frozenset[str]] | None, ...] = ()
    all_outcomes: Callable[..., tuple[tuple[bool | None, ...], tuple[Any, ...]]] | None = None


def compile_program(program: ir.Program) -> CompiledProgram:
    """Generate, compile and build the evaluator functions of a program."""
    gen = _Generator(program)
    red_flags = [gen.function(f"rf{i}", flag.condition) for i, flag in enumerate(program.red_flags)]
    rules = [gen.function(f"r{i}", rule.condition) for i, rule in enumerate(program.rules)]
    own = tuple(_per_target(rule.condition) for rule in program.rules)
    gen.all_rules(program, own)
    gen.all_flags(program)
    gen.all_scored()
    gen.missed_all(program)
    gen.all_outcomes(program)
    source = gen.source(red_flags, rules)
    namespace: dict[str, Any] = {"rt": runtime, "_K": tuple(gen.constants)}
    # The source holds no rule text (see the module docstring), so running it is safe.
    exec(compile(source, f"<clinrules {program.id}>", "exec"), namespace)
    # all_flags, all_rules, all_scored, missed_flags, missed_rules (compile_missing), all_outcomes
    flags, each, *every = namespace["_BUILT"]
    return CompiledProgram(tuple(flags), tuple(each), own, every[0], every[1], source, *every[2:])


class _Generator(ScoreCode, KnownCode, MissedCode):
    def __init__(self, program: ir.Program) -> None:
        self.program = program
        self.schema = program.schema
        self.params = {name: i for i, name in enumerate(program.parameters)}
        self.constants: list[object] = []
        self._constant_index: dict[tuple[type, object], int] = {}
        self.defs: list[str] = []
        self.counter = 0
        self.phrases: dict[int, tuple[str, str]] = {}
        self.pending: list[tuple[str, str, ir.Phrase]] = []  # phrase functions still to write
        self.memo = False  # whether the code generated since it was reset reads the memo `m`
        self.tables: dict[tuple[object, ...], str] = {}
        self.ranks: dict[
            tuple[t.EnumType, object], str
        ] = {}  # an ordered choice -> its rank table  # a scope -> the constant of its selections
        # Whether any session form reads `S` (a scope other than the target's own or a named exercise).
        self.picks = any(
            isinstance(n, ir.History) and n.scope not in (None, ScopeKind.EXERCISE)
            for c in (*(f.condition for f in program.red_flags), *(r.condition for r in program.rules))
            for n in ir.nodes(c)
        )
        self.scored_setup()
        self.known_setup()

    # ------------------------------------------------------------ names and constants

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const(self, value: object) -> str:
        key = (type(value), value if _hashable(value) else id(value))
        index = self._constant_index.get(key)
        if index is None:
            index = len(self.constants)
            self.constants.append(value)
            self._constant_index[key] = index
        return f"k{index}"

    def source(self, red_flags: list[str], rules: list[str]) -> str:
        """A module: constants unpacked from `_K`, then the functions, then `_BUILT`.

        Module level, not one function holding closures: Python compiles a
        function with thousands of cell variables very slowly.
        """
        self.write_phrases()
        lines = []
        if self.constants:
            names = ", ".join(f"k{i}" for i in range(len(self.constants)))
            lines.append(f"{names}, = _K")
        lines.extend(self.defs)
        flags, each = "".join(n + ", " for n in red_flags), "".join(n + ", " for n in rules)
        rest = "all_flags, all_rules, all_scored, *_MISSED, all_outcomes"
        lines.append(f"_BUILT = ({flags}), ({each}), {rest}")
        return "\n".join(lines) + "\n"

    def all_rules(self, program: ir.Program, own: tuple[bool, ...]) -> None:
        """One call for every rule's outcome: the fast path of `RuleSet.outcomes` (see `chunked`).

        A rule that reads its target's own sessions is a call of its function per target.
        """
        items: list[ir.Condition | str] = []
        for index, rule in enumerate(program.rules):
            if own[index]:
                call = f"r{index}(p, P, now, by_ex.get(x, ()), by_ex, x, S)"
                items.append(f"{{x: {call} for x in {self.const(rule.targets.exercises)}}}")
            else:
                items.append(rule.condition)
        picks = "rt.Picks(rt.merged(by_ex) if ss is None else ss)" if self.picks else "None"
        head, args = "all_rules(p, P, now, by_ex, ss=None)", "(p, P, now, by_ex, m, S)"
        self.chunked(head, "rules", args, items, picks, ["    ss = ()", "    x = None"])

    def all_flags(self, program: ir.Program) -> None:
        """One call for every red flag's outcome, inlined in chunks as `all_rules` is."""
        picks = "rt.Picks(ss)" if self.picks else "None"
        head, args = "all_flags(p, P, now, ss, by_ex)", "(p, P, now, ss, by_ex, m, S)"
        self.chunked(head, "flags", args, [f.condition for f in program.red_flags], picks, ["    x = None"])

    def function(self, name: str, condition: ir.Condition) -> str:
        """A red flag's (`rf..`) or rule's function; called without `S`, it makes its own."""
        every = "ss" if name.startswith("rf") else "rt.merged(by_ex)"  # a red flag's `ss` is every session
        start = f"    if S is None:\n        S = rt.Picks({every})\n" if self.picks else ""
        head = f"{name}(p, P, now, ss, by_ex, x=None, S=None)"
        if not self.is_plain(condition):
            self.defs.append(self.with_memo(head, condition, session=False, start=start))
            return name
        memo, self.memo = self.memo, False
        reads = self.field_reads(self.known_reads(condition))
        body = self.two_paths(condition, "return ")
        uses_memo, self.memo = self.memo, memo
        start += "    m = {}\n" if uses_memo else ""
        self.defs.append("\n".join([f"def {head}:", *start.splitlines(), *reads, *body]))
        return name

    def with_memo(self, head: str, condition: ir.Condition, session: bool, start: str = "") -> str:
        """`def head: return condition`, with a memo of its own when the condition uses phrases."""
        outer, self.memo = self.memo, False
        fields, self.local_fields = (
            self.local_fields,
            frozenset(),
        )  # its own function: no locals of the caller
        body = self.cond(condition, session)
        memo, self.memo, self.local_fields = self.memo, outer, fields
        start += "    m = {}\n" if memo else ""
        return f"def {head}:\n{start}    return {body}"

    def write_phrases(self) -> None:
        """Write the function of every phrase used, from a work list: a phrase's body may add more."""
        while self.write_scored() or self.pending:
            if not self.pending:
                continue
            name, params, node = self.pending.pop()
            key = name[2:]  # the counter's number: unique to the phrase
            body = self.cond(node.condition, session=node.session)
            self.defs.append(
                f"def {name}({params}):\n    if {key} in m:\n        return m[{key}]\n"
                f"    m[{key}] = v = {body}\n    return v"
            )

    # ------------------------------------------------------------ expressions

    def expr(self, node: ir.Expr, session: bool) -> str:
        match node:
            case ir.FieldRef():
                return self.field(node)
            case ir.ParamRef(name=name):
                return f"P[{self.params[name]}]"
            case ir.Const(value=value):
                return self.const(value)
            case ir.EnumConst(member=member, type=kind):
                return self.const(kind.value_of(member))
            case ir.Now():
                return "now"
            case ir.Scale(expr=inner, factor=factor):
                once, tmp = self.once(self.expr(inner, session))
                return f"(None if {once} is None else {tmp} * {self.const(factor)})"
            case ir.Arith(op=op, kind=kind, left=left, right=right):
                a, b = self.expr(left, session), self.expr(right, session)
                if kind is ir.ArithKind.SHIFT:
                    return f"rt.shift({a}, {b}, {1 if op == '+' else -1})"
                if kind is ir.ArithKind.ELAPSED:
                    return f"rt.elapsed({a}, {b})"
                checks, values = [], []
                for node_, code in ((left, a), (right, b)):
                    if _nullable(node_):
                        once, tmp = self.once(code)
                        checks.append(f"{once} is None")
                        values.append(tmp)
                    else:
                        values.append(code)
                return _unless_unknown(checks, f"{values[0]} {op} {values[1]}")
        raise ClinrulesError(f"cannot compile {type(node).__name__}")  # the checker makes no other nodes

    def field(self, node: ir.FieldRef) -> str:
        """The code that reads a field; a date is read as the start of its day in UTC.

        In a plain condition's code, a patient field is its local, read once (`compile_known`).
        """
        if node.path in self.local_fields and not node.session:
            return self.local(node.path)
        code = self.read(node)
        return f"rt.day_start({code})" if isinstance(node.type, t.DateType) else code

    def read(self, node: ir.FieldRef) -> str:
        if node.session:
            info = self.schema.session_fields[node.path.split(".", 1)[1]]
            code = "s"
            for attr in info.attrs:  # one: a session holds no groups
                code = self.attribute(code, attr)
            return code
        attrs = self.schema.fields[node.path].attrs
        code = self.attribute("p", attrs[0])
        for attr in attrs[1:]:  # a group may be None in a model that allows it
            tmp = self.fresh("t")
            code = f"(None if ({tmp} := {code}) is None else {self.attribute(tmp, attr)})"
        return code

    def rank_table(self, enum: t.EnumType) -> str:
        """The constant mapping each value of an ordered choice to its rank: one per choice."""
        key = (enum, enum.python)  # `python` is not part of an EnumType's equality
        name = self.ranks.get(key)
        if name is None:
            name = self.ranks[key] = self.const({enum.value_of(m): i for i, m in enumerate(enum.members)})
        return name

    def once(self, code: str) -> tuple[str, str]:
        """The code that computes a value once, and the name that holds it then: a local is its own name."""
        if code.isidentifier():
            return code, code
        tmp = self.fresh("t")
        return f"({tmp} := {code})", tmp

    def attribute(self, code: str, name: str) -> str:
        """`code.name` for a plain ASCII name; else `getattr` of the exact name, which Python keeps as it is."""
        if name.isascii() and name.isidentifier() and not keyword.iskeyword(name):
            return f"{code}.{name}"
        return f"getattr({code}, {self.const(name)})"

    # ------------------------------------------------------------ conditions

    def cond(self, node: ir.Condition, session: bool) -> str:
        scored = self.score_cond(node, session)
        if scored is not None:
            return scored
        match node:
            case ir.Compare(op=op, kind=kind, left=left, right=right):
                return self.compare(_OPS[op], kind, left, right, session)
            case ir.Between(kind=kind, value=value, low=low, high=high):
                return self.between(kind, value, low, high, session)
            case ir.Truth(value=value):
                return self.expr(value, session)
            case ir.Member(value=value, members=members, negated=negated):
                (once, tmp), group = (
                    self.once(self.expr(value, session)),
                    self.const(self.members(value, members)),
                )
                test = "not in" if negated else "in"
                return f"(None if {once} is None else {tmp} {test} {group})"
            case ir.Contains(value=value, members=members):
                (once, tmp), group = (
                    self.once(self.expr(value, session)),
                    self.const(self.members(value, members)),
                )
                return f"(None if {once} is None else not {group}.isdisjoint({tmp}))"
            case ir.Empty(value=value, negated=negated):
                once, tmp = self.once(self.expr(value, session))
                test = "!=" if negated else "=="
                return f"(None if {once} is None else len({tmp}) {test} 0)"
            case ir.Known(value=value, negated=negated):
                inner = (
                    self.expr(value, session)
                    if isinstance(value, ir.EXPRESSIONS)
                    else self.cond(value, session)
                )
                return f"(({inner}) {'is' if negated else 'is not'} None)"
            case ir.And(items=items):
                return self.kleene(items, session, stop="False", other="True")
            case ir.Or(items=items):
                return self.kleene(items, session, stop="True", other="False")
            case ir.Not(item=item):
                once, tmp = self.once(self.cond(item, session))
                return f"(None if {once} is None else not {tmp})"
            case ir.Phrase():
                return self.phrase(node, session)
            case ir.History():
                return self.history(node)
        raise ClinrulesError(f"cannot compile {type(node).__name__}")

    def members(self, value: ir.Expr, members: frozenset[str]) -> frozenset[object]:
        kind = value.type if not isinstance(value, ir.Now) else None
        if isinstance(kind, t.EnumListType):
            kind = kind.item
        if isinstance(kind, t.EnumType):
            return frozenset(kind.value_of(m) for m in members)
        return frozenset(members)

    def compare(self, op: str, kind: ir.CompareKind, left: ir.Expr, right: ir.Expr, session: bool) -> str:
        checks, (a, b) = self.operands(kind, (left, right), session)
        return _unless_unknown(checks, f"{a} {op} {b}")

    def between(
        self, kind: ir.CompareKind, value: ir.Expr, low: ir.Expr, high: ir.Expr, session: bool
    ) -> str:
        checks, (v, lo, hi) = self.operands(kind, (value, low, high), session)
        return _unless_unknown(checks, f"{lo} <= {v} <= {hi}")

    def operands(
        self, kind: ir.CompareKind, nodes: tuple[ir.Expr, ...], session: bool
    ) -> tuple[list[str], list[str]]:
        """The unknown-checks and the values of a comparison's operands.

        An operand that can be unknown is read once into a temporary and
        checked; a constant, a parameter or `now` never is. Ordered choices
        compare by rank, looked up after the check.
        """
        checks: list[str] = []
        values: list[str] = []
        for node in nodes:
            if kind is ir.CompareKind.RANK and isinstance(node, ir.EnumConst):
                values.append(self.const(node.rank))
                continue
            code = self.expr(node, session)
            if not _nullable(node):
                values.append(code)
                continue
            once, tmp = self.once(code)
            checks.append(f"{once} is None")
            if kind is ir.CompareKind.RANK:
                enum = getattr(node, "type", None)
                assert isinstance(enum, t.EnumType)
                ranks = self.rank_table(enum)
                values.append(f"{ranks}[{tmp}]")
            else:
                values.append(tmp)
        return checks, values

    def kleene(self, items: tuple[ir.Condition, ...], session: bool, stop: str, other: str) -> str:
        """Kleene and (stop at False) or or (stop at True) over the items, left to right."""
        bound = [self.once(self.cond(c, session)) for c in items]
        decided = " or ".join(f"{once} is {stop}" for once, _ in bound)
        unknown = " or ".join(f"{tmp} is None" for _, tmp in bound)
        return f"({stop} if {decided} else (None if {unknown} else {other}))"

    def phrase(self, node: ir.Phrase, session: bool) -> str:
        """A phrase: inline when it is one test, else a call of its function, written once."""
        if isinstance(node.condition, _LEAF):
            return self.cond(node.condition, session)
        key = id(node.condition)
        if key not in self.phrases:
            name = self.fresh("ph")
            params = "s, p, P, now, m" if node.session else "p, P, now, ss, by_ex, m, x, S"
            self.phrases[key] = (name, params)
            self.pending.append((name, params, node))
        name, params = self.phrases[key]
        self.memo = True
        if node.session or not session:
            return f"{name}({params})"
        # A patient-level phrase inside 'had': it reads no session log (the checker makes sure),
        # and keeps its result in the memo of the session.
        return f"{name}(p, P, now, (), {{}}, m, None, None)"

    def history(self, node: ir.History) -> str:
        test = self.fresh("h")
        self.defs.append(self.with_memo(f"{test}(s, p, P, now)", node.condition, session=True))
        source = self.sessions(node)
        last = node.last
        seq = self.fresh("t")
        if node.days:
            # `S` groups each sequence's days once per evaluation (recheck_at runs a rule many times).
            days = f"(rt.days({source}, {last}) if S is None else S.days({source}, {last}))"
            if node.quantifier is Quantifier.EVERY_OF_LAST:
                return f"rt.every_day({test}, {last}, {days}, p, P, now)"
            return f"rt.count_days({test}, {node.count or 1}, {days}, p, P, now)"
        match node.quantifier:
            case Quantifier.LAST:
                return f"({test}({seq}[0], p, P, now) if ({seq} := {source}) else False)"
            case Quantifier.ANY_OF_LAST:
                return f"rt.any_of({test}, {source}[:{last}], p, P, now)"
            case Quantifier.COUNT_OF_LAST:
                return f"rt.at_least({test}, {node.count}, {source}[:{last}], p, P, now)"
            case Quantifier.EVERY_OF_LAST:
                return f"(False if len({seq} := {source}) < {last} else rt.all_of({test}, {seq}[:{last}], p, P, now))"
            case Quantifier.ANY_WITHIN | Quantifier.NONE_WITHIN:
                assert node.window is not None
                window = f"rt.within({source}, now, {self.expr(node.window, session=False)})"
                found = f"rt.any_of({test}, {window}, p, P, now)"
                if node.quantifier is Quantifier.ANY_WITHIN:
                    return found
                tmp = self.fresh("t")
                return f"(None if ({tmp} := {found}) is None else not {tmp})"
        raise ClinrulesError(f"cannot compile {node.quantifier}")

    def sessions(self, node: ir.History) -> str:
        """The code of the sessions a form reads, newest first (language-2.md section 1)."""
        if node.scope is None:
            return "ss"
        if node.scope is ScopeKind.EXERCISE:
            return f"by_ex.get({self.const(node.exercise)}, ())"
        if node.scope is ScopeKind.ANY:
            return "S.all"
        program = self.program
        key = (node.scope, node.tag)
        if key not in self.tables:
            if node.scope is ScopeKind.TAGGED:
                ids: object = ir.scope_exercises(program.exercises, program.ladders, node, None)
            else:  # one selection per target exercise; a red flag never reads one (CR423)
                ids = {
                    e: ir.scope_exercises(program.exercises, program.ladders, node, e)
                    for e in program.exercises
                }
            self.tables[key] = self.const(ids)
        table = self.tables[key]
        return f"S.pick({table})" if node.scope is ScopeKind.TAGGED else f"S.pick({table}[x])"


def _unless_unknown(checks: list[str], value: str) -> str:
    """`value`, or None when any check finds an operand unknown."""
    if not checks:
        return f"({value})"
    return f"(None if {' or '.join(checks)} else {value})"


def _nullable(node: ir.Expr) -> bool:
    """Whether an expression can be unknown: constants, parameters and `now` cannot."""
    match node:
        case ir.Const() | ir.EnumConst() | ir.ParamRef() | ir.Now():
            return False
        case ir.Scale(expr=inner):
            return _nullable(inner)
        case ir.Arith(left=left, right=right):
            return _nullable(left) or _nullable(right)
    return True


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _per_target(condition: ir.Condition) -> bool:
    """True when a condition reads sessions relative to the target: its own, or its ladder's."""
    # Scores and assessments read every session, whoever the target: not through them.
    return any(
        isinstance(n, ir.History) and n.scope in ir.TARGET_RELATIVE
        for n in ir.nodes(condition, into_scores=False)
    )
