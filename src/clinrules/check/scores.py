"""Checker, scores and assessments (language-2.md sections 5, 6): their declarations and their uses.

A score is a whole number whose value, with unknown items, is a range; an
assessment is a result named by its own values. Both may use phrases and
each other, and phrases may use them, so they are checked in dependency
order, found from the syntax tree before anything is checked
(`dependency_order`): no check recurses from one declaration into another,
and a cycle is found, and named, before it could loop. A score or
assessment reads its session forms as a red flag does (every session):
it has one value per patient, the one the decision shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from clinrules import ir
from clinrules.base.span import Span
from clinrules.check.names import Reporter, Scope, did_you_mean
from clinrules.check.resolve import PhraseSource, ladder_scope_spans
from clinrules.check.typecheck import TypeRules, poison, shown_ir, type_of
from clinrules.schema import types as t
from clinrules.syntax import ast

__all__ = ["ScoreRules", "ScoredSource", "dependency_order", "report_clashes", "shape", "uses_scored"]

_TOP = Scope()


@dataclass(frozen=True, slots=True)
class ScoredSource:
    """A score or assessment declaration, its file and that file's text (for the words of the trace)."""

    node: ast.Score | ast.Assess
    file: str
    text: str


class ScoreRules(TypeRules):
    """The score and assessment checks of `ConditionChecker`, kept apart for size."""

    scored: Mapping[str, ScoredSource]
    scored_ir: dict[str, ir.Score | ir.Assessment]
    scored_depth: dict[str, int]
    broken: set[str]
    ladder_phrases: set[str]
    sources: Mapping[str, ir.Source]
    texts: Mapping[str, str]
    """Each file's text, for the words of the trace."""
    file: str

    def condition(self, node: ast.Condition, file: str, scope: Scope = _TOP) -> ir.Condition:
        raise NotImplementedError

    def expanded_depth(self, node: ast.Condition, scope: Scope) -> int | None:
        raise NotImplementedError

    # ------------------------------------------------------------ declarations

    def report_cycles(self, cycles: list[list[str]]) -> None:
        """CR223 for each cycle through a score or assessment; its members are not checked."""
        for cycle in cycles:
            first = next(name for name in cycle if name in self.scored)
            start = cycle.index(first)
            path = [*cycle[start:], *cycle[:start], first]
            source = self.scored[first]
            self.report.error(
                "CR223",
                f"'{first}' is defined in terms of itself: {' -> '.join(path)}",
                (source.file, source.node.id.span),
                "break the cycle: a score or assessment cannot use, even through others, what uses it",
            )
            self.broken.update(name for name in cycle if name in self.scored)

    def check_scored(self, name: str) -> None:
        """Check one declaration; every declaration it uses is checked already (or broken)."""
        if name in self.broken or name in self.scored_ir:
            return
        source = self.scored[name]
        node = source.node
        checked = self._score(node, source) if isinstance(node, ast.Score) else self._assessment(node, source)
        self.scored_ir[name] = checked

    def _item(self, condition: ast.Condition, file: str) -> tuple[ir.Condition, int]:
        checked = self.condition(condition, file)
        for span in ladder_scope_spans(checked, self.ladder_phrases)[:1]:
            self.report.error(
                "CR423",
                "a score or assessment has no exercise of its own, so it has no ladder or rung to count from",
                (file, span),
                "name the sessions: 'of any exercise', 'of EXERCISE' or 'tagged TAG'",
            )
        return checked, self.expanded_depth(condition, _TOP) or 0

    def _score(self, node: ast.Score, source: ScoredSource) -> ir.Score:
        items, depth = [], 0
        for item in node.items:
            condition, below = self._item(item.condition, source.file)
            depth = max(depth, below)
            items.append(ir.ScoreItem(item.points, condition, item.span))
        self.scored_depth[node.id.name] = depth
        cite, assumptions, spans = self._own_clauses(node.clauses, source.file)
        return ir.Score(
            node.id.name,
            node.title.value if node.title else None,
            tuple(items),
            node.span,
            tuple(f"{item.points} if {_words(source.text, item.condition.span)}" for item in node.items),
            cite,
            assumptions,
            source.file,
            spans,
        )

    def _assessment(self, node: ast.Assess, source: ScoredSource) -> ir.Assessment:
        branches, depth = [], 0
        written = [*node.branches, *([node.otherwise] if node.otherwise else [])]
        for branch in written:
            condition = None
            if branch.condition is not None:
                condition, below = self._item(branch.condition, source.file)
                depth = max(depth, below)
            say, note = self._branch_clauses(branch, source.file)
            value = branch.value.name
            if branch.condition is None:
                text = f"otherwise {value}"
            else:
                text = f"{value} if {_words(source.text, branch.condition.span)}"
            branches.append(ir.Branch(branch.value.name, condition, text, branch.span, say, note))
        self.scored_depth[node.id.name] = depth
        cite, assumptions, spans = self._own_clauses(node.clauses, source.file)
        values = tuple(dict.fromkeys(b.value for b in branches))
        return ir.Assessment(
            node.id.name,
            node.title.value if node.title else None,
            values,
            tuple(branches),
            node.span,
            cite,
            assumptions,
            source.file,
            spans,
        )

    def _branch_clauses(self, branch: ast.Branch, file: str) -> tuple[str | None, str | None]:
        said: dict[type, str] = {}
        for clause in branch.clauses:
            if not isinstance(clause, ast.Say | ast.Note):
                continue
            if type(clause) in said:
                word = "say" if isinstance(clause, ast.Say) else "note"
                self.report.error(
                    "CR410", f"'{word}' is given twice", (file, clause.span), "join the two into one clause"
                )
                continue
            said[type(clause)] = clause.text.value
        return said.get(ast.Say), said.get(ast.Note)

    def _own_clauses(
        self, clauses: tuple[ast.Clause, ...], file: str
    ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[Span, ...]]:
        """The sources a declaration cites (checked, sorted), and its assumptions and their spans, in order."""
        cited: set[str] = set()
        assumptions: list[str] = []
        spans: list[Span] = []
        for clause in clauses:
            if isinstance(clause, ast.Assumption):
                assumptions.append(clause.text.value)
                spans.append(clause.span)
            elif isinstance(clause, ast.Cite):
                for source in clause.sources:
                    if source.name in self.sources:
                        cited.add(source.name)
                        continue
                    self.report.error(
                        "CR209",
                        f"unknown source '{source.name}'",
                        (file, source.span),
                        did_you_mean(source.name, self.sources) or 'declare it: source ID "TITLE"',
                    )
        return tuple(sorted(cited)), tuple(assumptions), tuple(spans)

    # ------------------------------------------------------------ uses

    def _scored_ref(self, node: ast.Ref, scope: Scope) -> ir.Expr:
        """A word that names a score or an assessment."""
        name = node.text
        kind = "score" if isinstance(self.scored[name].node, ast.Score) else "assessment"
        if scope.in_history:
            self.report.error(
                "CR221",
                f"'{name}' is a {kind} of the patient, so it cannot stand inside 'had', which tests one session",
                self._where(node.span),
                "move this part out of the 'had' and join the two with 'and'",
            )
            return poison(node.span)
        found = self.scored_ir.get(name)
        if found is None:  # in a cycle (reported there), or after one
            return poison(node.span)
        if isinstance(found, ir.Score):
            return ir.ScoreValue(found, node.span)
        return ir.AssessValue(found, t.EnumType(found.id, found.values, False), node.span)

    def _count_of(self, node: ast.CountOf, scope: Scope) -> ir.Expr:
        if scope.in_history:
            self.report.error(
                "CR221",
                "'count of' counts the patient's answers, so it cannot stand inside 'had', which tests one session",
                self._where(node.span),
                "move the count out of the 'had': any session had X, or count of (A, B) >= 1",
            )
            return poison(node.span)
        items = tuple(ir.ScoreItem(1, self._condition(c, scope), c.span) for c in node.items)
        text = self.texts.get(self.file, "")
        words = tuple(_words(text, c.span) for c in node.items)
        written = _words(text, node.span) or "count of (...)"
        return ir.ScoreValue(ir.Score(None, written, items, node.span, words, file=self.file), node.span)

    def _condition(self, node: ast.Condition, scope: Scope) -> ir.Condition:
        raise NotImplementedError

    def _is_assessment(self, node: ast.Expr) -> bool:
        return (
            isinstance(node, ast.Ref)
            and node.kind is not ast.RefKind.PATH
            and isinstance(getattr(self.scored.get(node.text), "node", None), ast.Assess)
        )

    def _assessment_misused(self, name: str, span: Span, what: str) -> ir.Condition:
        self.report.error(
            "CR426",
            f"'{name}' is an assessment, so it {what}",
            self._where(span),
            f"ask for its result: {name} is VALUE, {name} in {{A, B}}, or {name} is known",
        )
        return ir.Truth(poison(span), span)

    def _scored_compare(self, op: str, sides: tuple[ir.Expr, ...], span: Span) -> ir.Condition | None:
        """A comparison that involves a score: every other side a number, a parameter or a score.

        None when no side is a score (the comparison is an ordinary one).
        """
        if not any(isinstance(side, ir.ScoreValue) for side in sides):
            return None
        for side in sides:
            if isinstance(side, ir.ScoreValue) or isinstance(type_of(side), t.ErrorType):
                continue
            kind = type_of(side)
            plain = isinstance(side, ir.Const | ir.ParamRef) and isinstance(kind, t.NumberType)
            if not plain or kind.unit is not None:  # type: ignore[union-attr]
                self.report.error(
                    "CR220",
                    f"a score compares with a number, a parameter or another score, not with "
                    f"'{shown_ir(side)}' ({kind.describe()})",
                    self._where(span),
                    "compare the score with a whole number or a parameter without a unit: total >= 4",
                )
                return ir.Truth(poison(span), span)
        if len(sides) == 3:
            value, low, high = sides
            if isinstance(low, ir.Const) and isinstance(high, ir.Const) and low.value > high.value:
                self.report.error(
                    "CR501",
                    f"between {low.value} and {high.value} can never be true: the low end is above the high end",
                    self._where(span),
                    f"write between {high.value} and {low.value}",
                )
            return ir.Between(ir.CompareKind.SCORE, value, low, high, span)
        return ir.Compare(op, ir.CompareKind.SCORE, sides[0], sides[1], span)

    def _score_misused(self, value: ir.Expr, span: Span, what: str) -> ir.Expr:
        """CR220 (a score) or CR426 (an assessment) for a use that is not a comparison; else `value`."""
        if isinstance(value, ir.ScoreValue):
            name = value.score.id or "this count"
            self.report.error(
                "CR220",
                f"'{name}' is a score, so it {what}",
                self._where(span),
                f"compare it with a number or a parameter: {name} >= 4, or {name} between 2 and 5",
            )
            return poison(span)
        if isinstance(value, ir.AssessValue):
            self._assessment_misused(value.assessment.id, span, what)
            return poison(span)
        return value

    def _assessed(
        self, value: ir.AssessValue, members: tuple[ast.EnumValue, ...], negated: bool, span: Span
    ) -> ir.Condition:
        assessment = value.assessment
        for member in members:
            if member.name not in assessment.values:
                self.report.error(
                    "CR222",
                    f"'{member.name}' is not a value of the assessment '{assessment.id}' "
                    f"({', '.join(assessment.values)})",
                    self._where(member.span),
                    did_you_mean(member.name, assessment.values),
                )
        return ir.Assessed(assessment, frozenset(m.name for m in members), negated, span)


def uses_scored(condition: ir.Condition, phrases: set[str]) -> bool:
    """Whether a condition uses a score, a `count of` or an assessment, itself or in a phrase in `phrases`."""
    return any(
        isinstance(n, ir.ScoreValue | ir.AssessValue | ir.Assessed)
        or (isinstance(n, ir.Phrase) and n.name in phrases)
        for n in ir.nodes(condition, into_phrases=False, into_scores=False)
    )


def _words(text: str, span: Span) -> str:
    """The source text of a span, on one line."""
    return " ".join(text[span.start : span.end].split())


# ---------------------------------------------------------------- the order of checking


def dependency_order(
    phrases: Mapping[str, PhraseSource], scored: Mapping[str, ScoredSource]
) -> tuple[list[str], list[list[str]]]:
    """Every phrase, score and assessment, each after what it uses; and the cycles through a score or assessment.

    Kahn's algorithm on the names each declaration's conditions mention
    (a word that names a phrase, score or assessment), with a work list,
    not recursion. Those left over, in or after a cycle, follow in
    declaration order; each cycle is listed once, in the order it is
    walked. A cycle of phrases alone is left to the phrase checks (CR417).
    """
    conditions: dict[str, list[ast.Condition]] = {n: [p.define.condition] for n, p in phrases.items()}
    for name, source in scored.items():
        node = source.node
        if isinstance(node, ast.Score):
            conditions[name] = [item.condition for item in node.items]
        else:
            conditions[name] = [b.condition for b in node.branches if b.condition is not None]
    uses = {
        name: sorted({word for c in found for word in mentioned(c) if word in conditions})
        for name, found in conditions.items()
    }
    users: dict[str, list[str]] = {name: [] for name in conditions}
    waiting = {name: len(used) for name, used in uses.items()}
    for name, used in uses.items():
        for word in used:
            users[word].append(name)
    ready = [n for n in reversed(conditions) if waiting[n] == 0]
    order: list[str] = []
    while ready:
        name = ready.pop()
        order.append(name)
        for user in users[name]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    done = set(order)
    left = [n for n in conditions if n not in done]
    cycles: list[list[str]] = []
    walked: set[str] = set()
    for start in left:
        # A name left over uses one left over (else it would be done), so a walk from it
        # meets a cycle, or a name an earlier walk went through: each name is walked once.
        path, on_path = [start], {start: 0}
        while start not in walked:
            following = next(u for u in uses[path[-1]] if u not in done)
            if following in on_path:
                cycle = path[on_path[following] :]
                if any(n in scored for n in cycle):
                    cycles.append(cycle)
                break
            if following in walked:
                break
            on_path[following] = len(path)
            path.append(following)
        walked.update(path)
    return order + left, cycles


def mentioned(root: ast.Condition) -> list[str]:
    """Every word a condition mentions that may name a phrase, score or assessment."""
    out: list[str] = []
    stack: list[object] = [root]
    while stack:
        match stack.pop():
            case ast.AnyOf(items=items) | ast.AllOf(items=items) | ast.CountOf(items=items):
                stack.extend(items)
            case ast.Not(operand=operand):
                stack.append(operand)
            case (
                ast.Truth(expr=e)
                | ast.IsValue(value=e)
                | ast.IsKnown(value=e)
                | ast.IsEmpty(value=e)
                | ast.InSet(value=e)
                | ast.Includes(value=e)
            ):
                stack.append(e)
            case ast.Compare(left=a, right=b) | ast.Arithmetic(left=a, right=b):
                stack.extend((a, b))
            case ast.Between(value=a, low=b, high=c):
                stack.extend((a, b, c))
            case ast.History(condition=inner, window=window):
                stack.append(inner)
                if window is not None:
                    stack.append(window)
            case ast.Ref(text=text, kind=kind) if kind is not ast.RefKind.PATH:
                out.append(text)
    return out


def report_clashes(
    scored: Mapping[str, ScoredSource],
    fields: set[str],
    parameters: Mapping[str, object],
    phrases: Mapping[str, object],
    report: Reporter,
) -> None:
    """CR219: a score or assessment named like a field, a parameter or a phrase: one name, one meaning."""
    for name, source in scored.items():
        kind = "score" if isinstance(source.node, ast.Score) else "assessment"
        if name in fields:
            other = "a field of the model"
        elif name in parameters:
            other = "a parameter"
        elif name in phrases:
            other = "a defined phrase"
        else:
            continue
        report.error(
            "CR219",
            f"the {kind} '{name}' has the name of {other}",
            (source.file, source.node.id.span),
            "rename one of them, so that the name means one thing",
        )


def shape(
    root: ast.Condition,
    phrases: Mapping[str, PhraseSource],
    session_fields: Mapping[str, object],
    session: bool,
    scored: Mapping[str, object] | None = None,
) -> tuple[int, list[tuple[int, str]]]:
    """How deep a condition nests without its phrases, and its uses of phrases, in order.

    Levels count as the checked condition nests: a test is one, each `and`,
    `or`, `not`, `had` and `is known` adds one, and a phrase used adds one
    above its own body. Each use is (the level its body starts below, name),
    in the order the checker meets them; a word in a session scope that
    names a session field is that field. A score or assessment (in `scored`)
    a test uses counts as a use too, its items a level below the test, as
    do the items of a `count of`.
    """
    scored = scored or {}
    deepest = 0
    uses: list[tuple[int, str]] = []
    stack: list[tuple[ast.Condition, int, bool]] = [(root, 1, session)]
    while stack:
        node, depth, in_session = stack.pop()
        deepest = max(deepest, depth)
        match node:
            case ast.AnyOf(items=items) | ast.AllOf(items=items):
                stack.extend((item, depth + 1, in_session) for item in reversed(items))
            case ast.Not(operand=operand):
                stack.append((operand, depth + 1, in_session))
            case ast.History(condition=inner):
                stack.append((inner, depth + 1, True))
            case ast.Compare() | ast.Between():
                sides = (
                    (node.left, node.right)
                    if isinstance(node, ast.Compare)
                    else (node.value, node.low, node.high)
                )
                for side in sides:
                    if isinstance(side, ast.Ref) and side.text in scored:
                        uses.append((depth, side.text))
                    elif isinstance(side, ast.CountOf):
                        stack.extend((item, depth + 1, in_session) for item in reversed(side.items))
            case ast.IsValue(value=ast.Ref() as ref) | ast.InSet(value=ast.Ref() as ref) if (
                ref.text in scored
            ):
                uses.append((depth, ref.text))
            case ast.Truth(expr=ast.Ref() as ref) | ast.IsKnown(value=ast.Ref() as ref) if ref.text in scored:
                uses.append((depth if isinstance(node, ast.Truth) else depth + 1, ref.text))
            case ast.Truth(expr=ast.Ref() as ref) | ast.IsKnown(value=ast.Ref() as ref):
                if (
                    ref.kind is not ast.RefKind.PATH
                    and ref.text in phrases
                    and not (in_session and ref.text in session_fields)
                ):
                    uses.append((depth if isinstance(node, ast.Truth) else depth + 1, ref.text))
    return deepest, uses
