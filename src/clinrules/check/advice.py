"""Checker, advice: red flags and rules, their targets, verdicts and clauses.

A red flag's verdict is `urgent` and it takes `care`, `say`, `note` and
`cite`; a rule's clauses must fit its verdict; `progress` and `regress`
without `to` need a rung to move to for every exercise they are about; and
`when unknown` may never clear or advance an exercise.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinrules import ir
from clinrules.base.span import Span
from clinrules.base.vocabulary import Care
from clinrules.check.conditions import ConditionChecker
from clinrules.check.doses import DoseChecker
from clinrules.check.header import HeaderInfo
from clinrules.check.names import Reporter, did_you_mean
from clinrules.check.resolve import ladder_scope_spans
from clinrules.schema import types as t
from clinrules.syntax import ast

_UNKNOWN_VERDICTS = ("check", "stop", "avoid", "regress", "modify")
_CARE = tuple(c.value for c in Care)
_CLAUSES_FOR = {
    "stop": {"instead"},
    "avoid": {"instead"},
    "regress": {"instead"},
    "modify": {"dose"},
}
_CLAUSE_WORDS = {
    ast.Instead: "instead",
    ast.Dose: "dose",
    ast.Say: "say",
    ast.Note: "note",
    ast.Cite: "cite",
    ast.WhenUnknown: "when unknown",
    ast.Care: "care",
    ast.Assumption: "assumption",
}


@dataclass(frozen=True, slots=True)
class Decl:
    """A declaration, the file it is in, and the include line that brought that file in."""

    node: ast.Declaration
    file: str
    include_site: tuple[str, Span] | None


class RuleChecks:
    """The red-flag and rule checks of the checker, kept apart for size."""

    report: Reporter
    root: ast.RuleFile
    decls: list[Decl]

    def _red_flags(
        self, conditions: ConditionChecker | None, sources: dict[str, ir.Source]
    ) -> tuple[ir.RedFlag, ...]:
        out: list[ir.RedFlag] = []
        for decl in self.decls:
            node = decl.node
            if not isinstance(node, ast.RedFlag):
                continue
            if node.verdict.word != "urgent":
                self.report.error(
                    "CR408",
                    f"a red flag's verdict is 'urgent', not '{node.verdict.word}'",
                    (decl.file, node.verdict.span),
                    "write: urgent if ...; for other advice, write a rule",
                )
            clauses = self._clauses(
                node.clauses, decl, {"care", "say", "note", "cite", "assumption"}, "a red flag"
            )
            care = Care.EMERGENCY
            if isinstance(clauses.get("care"), ast.Care):
                level = clauses["care"]
                assert isinstance(level, ast.Care)
                if level.level.name in _CARE:
                    care = Care(level.level.name)
                else:
                    self.report.error(
                        "CR208",
                        f"unknown care level '{level.level.name}'; it is one of {', '.join(_CARE)}",
                        (decl.file, level.level.span),
                        did_you_mean(level.level.name, _CARE),
                    )
            condition = conditions.condition(node.condition, decl.file) if conditions else _no_condition(node)
            if conditions is not None:
                self._ladder_scopes(condition, conditions.ladder_phrases, decl)
            out.append(
                ir.RedFlag(
                    node.id.name,
                    node.title.value if node.title else None,
                    condition,
                    care,
                    self._messages(clauses, decl, sources),
                    ir.Where(decl.file, node.span),
                    _assumptions(node.clauses, decl),
                )
            )
        return tuple(out)

    def _rules(
        self,
        conditions: ConditionChecker | None,
        sources: dict[str, ir.Source],
        exercises: dict[str, ir.Exercise],
        ladders: dict[str, ir.Ladder],
        doses: DoseChecker,
        header: HeaderInfo,
    ) -> tuple[ir.Rule, ...]:
        out: list[ir.Rule] = []
        for decl in self.decls:
            node = decl.node
            if not isinstance(node, ast.Rule):
                continue
            if decl.include_site is not None or self.root.header.kind is ast.FileKind.LIBRARY:
                self.report.error(
                    "CR413",
                    "a library cannot hold rules: rules belong to the ruleset that includes it",
                    (decl.file, node.span),
                )
            targets = self._targets(node.targets, decl, exercises, ladders)
            verdict = node.verdict.word
            if verdict == "urgent":
                self.report.error(
                    "CR411",
                    "'urgent' is the verdict of red flags only",
                    (decl.file, node.verdict.span),
                    'write a red flag: red flag ID "TITLE": urgent if ...',
                )
            to = self._move(node.verdict, decl, targets, exercises)
            allowed = _CLAUSES_FOR.get(verdict, set()) | {"say", "note", "cite", "when unknown", "assumption"}
            clauses = self._clauses(node.clauses, decl, allowed, f"the verdict '{verdict}'")
            instead = self._instead(clauses.get("instead"), decl, exercises)
            dose_clause = clauses.get("dose")
            dose = doses.dose(dose_clause, decl.file) if isinstance(dose_clause, ast.Dose) else None
            clause = clauses.get("when unknown")
            when_unknown = self._when_unknown(clause, decl, targets, exercises)
            unknown_from = _unknown_from(clause)
            # A rule's own `when unknown`, `ignore` included, overrides the header's (language-2.md section 11).
            if unknown_from is ir.UnknownFrom.NONE and verdict not in ("allow", "progress"):
                when_unknown = header.unknown_default
                unknown_from = ir.UnknownFrom.HEADER if when_unknown else unknown_from
            unknown_say = (
                clause.say.text.value
                if isinstance(clause, ast.WhenUnknown) and clause.say and when_unknown
                else None
            )
            condition = conditions.condition(node.condition, decl.file) if conditions else _no_condition(node)
            if conditions is not None:
                self._ladder_scopes(condition, conditions.ladder_phrases, decl, targets, exercises)
            out.append(
                ir.Rule(
                    node.id.name,
                    node.title.value if node.title else None,
                    targets,
                    verdict,
                    to,
                    condition,
                    instead,
                    dose,
                    when_unknown,
                    self._messages(clauses, decl, sources),
                    ir.Where(decl.file, node.span),
                    unknown_from,
                    unknown_say,
                    _assumptions(node.clauses, decl),
                )
            )
            if isinstance(dose_clause, ast.Dose) and verdict == "modify":
                doses.beyond_defaults(dose_clause, decl.file, targets.exercises, exercises)
        return tuple(out)

    def _targets(
        self,
        node: ast.Targets,
        decl: Decl,
        exercises: dict[str, ir.Exercise],
        ladders: dict[str, ir.Ladder],
        noun: str = "rule",
    ) -> ir.Targets:
        """Resolve a target list to exercise ids, in the order written; an empty result is CR424."""
        reported = len(self.report.diagnostics)
        chosen = list(exercises) if node.every else self._items(node.items, decl, exercises, ladders)
        left_out = set(self._items(node.excluded, decl, exercises, ladders))
        resolved = tuple(e for e in dict.fromkeys(chosen) if e not in left_out)
        # `for every exercise` alone in a file of no exercises is about nothing, as it always was.
        written = not node.every or node.excluded
        if not resolved and written and len(self.report.diagnostics) == reported:
            self.report.error(
                "CR424",
                f"this target list ends up empty: the {noun} would be about no exercise",
                (decl.file, node.span),
                f"check what 'except' or 'above' leaves out; a {noun} must be about at least one exercise",
            )
        words = [*(["every exercise"] if node.every else []), *(_item_words(i) for i in node.items)]
        if node.excluded:
            words.append("except " + ", ".join(_item_words(i) for i in node.excluded))
        return ir.Targets("every" if node.every else "list", tuple(words), resolved)

    def _items(
        self,
        items: tuple[ast.TargetItem, ...],
        decl: Decl,
        exercises: dict[str, ir.Exercise],
        ladders: dict[str, ir.Ladder],
    ) -> list[str]:
        out: list[str] = []
        tags = {tag for e in exercises.values() for tag in e.tags}
        for item in items:
            name = item.name.name
            if item.kind is ast.TargetKind.EXERCISE:
                if name not in exercises:
                    self._unknown_exercise(item.name, decl, exercises)
                else:
                    out.append(name)
            elif item.kind is ast.TargetKind.TAG:
                if name not in tags:
                    self.report.error(
                        "CR210",
                        f"no exercise is tagged '{name}'",
                        (decl.file, item.name.span),
                        did_you_mean(name, tags),
                    )
                out.extend(e.id for e in exercises.values() if name in e.tags)
            elif name not in ladders:
                self.report.error(
                    "CR207",
                    f"unknown ladder '{name}'",
                    (decl.file, item.name.span),
                    did_you_mean(name, ladders) or "declare it: ladder ID: EXERCISE, EXERCISE, ...",
                )
            else:
                out.extend(self._rungs(ladders[name], item.above, decl, exercises))
        return out

    def _rungs(
        self, ladder: ir.Ladder, above: ast.Ident | None, decl: Decl, exercises: dict[str, ir.Exercise]
    ) -> tuple[str, ...]:
        """Every rung of `ladder`, or the rungs above `above`."""
        if above is None:
            return ladder.rungs
        if above.name in ladder.rungs:
            return ladder.rungs[ladder.rungs.index(above.name) + 1 :]
        if above.name not in exercises:
            self._unknown_exercise(above, decl, exercises)
        else:
            self.report.error(
                "CR207",
                f"'{above.name}' is not a rung of the ladder '{ladder.id}'",
                (decl.file, above.span),
                did_you_mean(above.name, ladder.rungs) or f"its rungs: {', '.join(ladder.rungs)}",
            )
        return ()

    def _ladder_scopes(
        self,
        condition: ir.Condition,
        phrases: set[str],
        decl: Decl,
        targets: ir.Targets | None = None,
        exercises: dict[str, ir.Exercise] | None = None,
    ) -> None:
        """A ladder scope needs a rung to count from: every target on a ladder, and no red flag (CR423)."""
        where = ladder_scope_spans(condition, phrases)
        if not where:
            return
        if targets is None:
            self.report.error(
                "CR423",
                "a red flag has no exercise of its own, so it has no ladder or rung to count from",
                (decl.file, where[0]),
                "name the sessions: 'of any exercise', 'of EXERCISE' or 'tagged TAG'",
            )
            return
        off = [n for n in targets.exercises if exercises is None or exercises[n].ladder is None]
        if off:
            self.report.error(
                "CR423",
                f"a ladder scope counts from the target's rung, but {', '.join(off)} "
                f"{'is' if len(off) == 1 else 'are'} on no ladder",
                (decl.file, where[0]),
                "leave these exercises out of the rule's targets, or name the sessions: 'of EXERCISE'",
            )

    def _move(
        self, verdict: ast.Verdict, decl: Decl, targets: ir.Targets, exercises: dict[str, ir.Exercise]
    ) -> str | None:
        """Check `progress`/`regress` [to EX]; the named target, or None for one rung."""
        if verdict.word not in ("progress", "regress"):
            return None
        if verdict.target is not None:
            if verdict.target.name not in exercises:
                self._unknown_exercise(verdict.target, decl, exercises)
            return verdict.target.name
        self._one_rung(verdict.word, verdict.span, decl, targets, exercises)
        return None

    def _one_rung(
        self, word: str, span: Span, decl: Decl, targets: ir.Targets, exercises: dict[str, ir.Exercise]
    ) -> None:
        stuck = []
        for name in targets.exercises:
            exercise = exercises[name]
            if exercise.ladder is None:
                stuck.append(f"{name} (on no ladder)")
                continue
            top = sum(1 for e in exercises.values() if e.ladder == exercise.ladder) - 1
            if (word == "progress" and exercise.rung == top) or (word == "regress" and exercise.rung == 0):
                stuck.append(
                    f"{name} (at the {'top' if word == 'progress' else 'bottom'} of '{exercise.ladder}')"
                )
        if stuck:
            self.report.error(
                "CR412",
                f"'{word}' moves one rung on a ladder, which it cannot do for {', '.join(stuck)}",
                (decl.file, span),
                f"name the exercise: {word} to EXERCISE, or leave these exercises out of the rule's targets",
            )

    def _instead(
        self, clause: ast.Clause | None, decl: Decl, exercises: dict[str, ir.Exercise]
    ) -> tuple[str, ...]:
        if not isinstance(clause, ast.Instead):
            return ()
        for name in clause.exercises:
            if name.name not in exercises:
                self._unknown_exercise(name, decl, exercises)
        return tuple(dict.fromkeys(n.name for n in clause.exercises if n.name in exercises))

    def _when_unknown(
        self, clause: ast.Clause | None, decl: Decl, targets: ir.Targets, exercises: dict[str, ir.Exercise]
    ) -> str | None:
        if not isinstance(clause, ast.WhenUnknown):
            return None
        verdict = clause.verdict
        if verdict is None:
            return None
        if verdict.word not in _UNKNOWN_VERDICTS:
            self.report.error(
                "CR405",
                f"'when unknown {verdict.word}' is not allowed: missing data must never clear or advance an exercise",
                (decl.file, verdict.span),
                f"use one of: {', '.join(_UNKNOWN_VERDICTS)}",
            )
            return None
        if verdict.target is not None:
            self.report.error(
                "CR409", "'when unknown regress' moves one rung; it takes no 'to'", (decl.file, verdict.span)
            )
        elif verdict.word == "regress":
            self._one_rung("regress", verdict.span, decl, targets, exercises)
        return verdict.word

    def _clauses(
        self, clauses: tuple[ast.Clause, ...], decl: Decl, allowed: set[str], what: str
    ) -> dict[str, ast.Clause]:
        out: dict[str, ast.Clause] = {}
        for clause in clauses:
            word = _CLAUSE_WORDS[type(clause)]
            if word == "assumption" and word in allowed:
                continue  # a declaration may rest on several: `_assumptions` keeps them all
            if word not in allowed:
                self.report.error(
                    "CR409",
                    f"'{word}' does not fit {what}",
                    (decl.file, clause.span),
                    _clause_hint(word),
                )
            elif word in out:
                self.report.error(
                    "CR410",
                    f"'{word}' is given twice",
                    (decl.file, clause.span),
                    "join the two into one clause",
                )
            else:
                out[word] = clause
        return out

    def _messages(
        self, clauses: dict[str, ast.Clause], decl: Decl, sources: dict[str, ir.Source]
    ) -> ir.Messages:
        say, note, cite = clauses.get("say"), clauses.get("note"), clauses.get("cite")
        cited: tuple[str, ...] = ()
        if isinstance(cite, ast.Cite):
            for source in cite.sources:
                if source.name not in sources:
                    self.report.error(
                        "CR209",
                        f"unknown source '{source.name}'",
                        (decl.file, source.span),
                        did_you_mean(source.name, sources) or 'declare it: source ID "TITLE"',
                    )
            cited = tuple(sorted({s.name for s in cite.sources if s.name in sources}))
        return ir.Messages(
            say.text.value if isinstance(say, ast.Say) else None,
            note.text.value if isinstance(note, ast.Note) else None,
            cited,
        )

    def _unknown_exercise(self, name: ast.Ident, decl: Decl, exercises: dict[str, ir.Exercise]) -> None:
        self.report.error(
            "CR207",
            f"unknown exercise '{name.name}'",
            (decl.file, name.span),
            did_you_mean(name.name, exercises),
        )


def _clause_hint(word: str) -> str:
    return {
        "instead": "'instead' goes with stop, avoid and regress",
        "dose": "'dose' goes with modify",
        "care": "'care' goes with red flags",
        "when unknown": "a red flag whose condition is unknown already makes the triage 'check'",
    }.get(word, "")


def _unknown_from(clause: ast.Clause | None) -> ir.UnknownFrom:
    """Whether the rule itself says what an unknown condition does: a verdict, `ignore`, or nothing."""
    if not isinstance(clause, ast.WhenUnknown):
        return ir.UnknownFrom.NONE
    if clause.verdict is None:
        return ir.UnknownFrom.IGNORE
    return ir.UnknownFrom.RULE  # a refused verdict (CR405) is an error already


def _assumptions(clauses: tuple[ast.Clause, ...], decl: Decl) -> tuple[ir.Assumption, ...]:
    return tuple(
        ir.Assumption(c.text.value, ir.Where(decl.file, c.span))
        for c in clauses
        if isinstance(c, ast.Assumption)
    )


def _no_condition(node: ast.RedFlag | ast.Rule) -> ir.Condition:
    """A placeholder for a condition that was not checked because the model is missing."""
    return ir.Truth(ir.Const(0, t.NumberType(True), node.span), node.span)


def _item_words(item: ast.TargetItem) -> str:
    above = f" above {item.above.name}" if item.above else ""
    word = {ast.TargetKind.EXERCISE: "", ast.TargetKind.TAG: "tagged ", ast.TargetKind.LADDER: "ladder "}
    return f"{word[item.kind]}{item.name.name}{above}"
