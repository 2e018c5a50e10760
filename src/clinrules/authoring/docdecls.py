"""The review page's declarations, each once: red flags, scores, assessments and rules.

Stage: rendering, from the checked program, for `docgen.py`. Design
decision: a declaration is written once, in the step of the decision that
uses it, with all that a reviewer must confirm beside it: its targets as
written and as resolved to exercises, the history it reads (whose sessions,
sessions or days, the window), what a missing answer does, and the
questions a red flag asks. A rule about twelve exercises is one entry, not
twelve, so the page grows with the rules, not with rules times exercises.
"""

from __future__ import annotations

from collections.abc import Iterable

from clinrules import ir
from clinrules.authoring.docwords import Words, code, dose, md, plural
from clinrules.base.vocabulary import Verdict
from clinrules.schema.reader import SESSIONS, Field
from clinrules.syntax.ast import SCOPE_WORDS, Quantifier, ScopeKind

VERDICTS = ("stop", "avoid", "check", "regress", "modify", "progress", "allow")
"""The order of the page's rule sections: the order the overview tells the decision in."""

CARE = {
    "emergency": "emergency care now",
    "same_day": "care the same day",
    "within_days": "care within days",
}
_VERB = {
    "stop": "Stop the exercise",
    "avoid": "Avoid the exercise",
    "check": "Check first, before the exercise,",
    "regress": "Step down",
    "modify": "Lower the dose",
    "allow": "Allow the exercise",
    "progress": "Move up",
}


def anchor(kind: str, ident: str) -> str:
    """The stable anchor of a declaration: `rule-ID`, `red-flag-ID`, `score-ID`, `assessment-ID`.

    Ids are letters, digits and underscores, and heading slugs never hold an
    underscore after such a prefix, so these never meet a heading's own anchor.
    """
    return f"{kind}-{ident}"


def heading(kind: str, ident: str, title: str | None) -> list[str]:
    """A declaration's anchor and heading."""
    named = f": {md(title)}" if title else ""
    return [f'<a id="{anchor(kind, ident)}"></a>', f"### `{ident}`{named}", ""]


def reads_answers(condition: ir.Condition) -> bool:
    """True when the condition reads a field, so that a missing answer can leave it unknown."""
    return any(isinstance(n, ir.FieldRef) for n in ir.nodes(condition))


class Declarations:
    """Writes each declaration of one program as lines of Markdown."""

    def __init__(self, program: ir.Program, words: Words) -> None:
        self.p = program
        self.words = words

    # ------------------------------------------------------------ red flags

    def red_flag(self, flag: ir.RedFlag) -> list[str]:
        """A red flag: when it fires, its care and texts, and the questions it asks."""
        lines = heading("red-flag", flag.id, flag.title)
        condition = self.words.condition(flag.condition)
        lines += [
            f"Stop all exercise and get {CARE[flag.care.value]} if {condition}.",
            "",
            f"- Care: {flag.care.value.replace('_', ' ')}",
            *self.messages(flag.messages),
            *(f"- Assumption: {md(a.text)}" for a in flag.assumptions),
            *self._history(flag.condition, None),
            "- If an answer it needs is missing: it is never read as absent; every exercise is at "
            "least *check* until the patient answers:",
            *(f"    - {q}" for q in self.questions(flag.condition)),
            "",
        ]
        return lines

    def questions(self, condition: ir.Condition) -> list[str]:
        """The question of each field the condition reads, with its path (this page is for clinicians)."""
        paths = sorted({n.path for n in ir.nodes(condition) if isinstance(n, ir.FieldRef)})
        asked = []
        for path in paths:
            field = self._field(path)
            if field is None or field.ask is None:
                asked.append(f"no question in the model for `{path}` (an open point, below)")
                continue
            who = f" (answered by the {field.answered_by})" if field.answered_by else ""
            asked.append(f"{md(field.ask)} [`{path}`]{who}")
        return asked or ["nothing: it reads no answer"]

    def unasked(self, condition: ir.Condition) -> list[str]:
        """The fields the condition reads that have no question in the model."""
        paths = {n.path for n in ir.nodes(condition) if isinstance(n, ir.FieldRef)}
        return sorted(p for p in paths if (f := self._field(p)) is None or f.ask is None)

    def _field(self, path: str) -> Field | None:
        head, _, leaf = path.partition(".")
        if head == SESSIONS and leaf in self.p.schema.session_fields:
            return self.p.schema.session_fields[leaf]
        return self.p.schema.fields.get(path)

    # ------------------------------------------------------------ scores and assessments

    def score(self, score: ir.Score) -> list[str]:
        """A score: its items, the values it can take, and what unknown items do."""
        low = sum(min(item.points, 0) for item in score.items)
        high = sum(max(item.points, 0) for item in score.items)
        lines = heading("score", score.id or "", score.title)
        lines += [
            "A whole number: the points of the items that hold.",
            "",
            "| points | if |",
            "| --- | --- |",
        ]
        lines += [f"| {item.points} | {self.words.condition(item.condition)} |" for item in score.items]
        lines += [
            "",
            f"- Possible values: {low} to {high}.",
            "- If an answer is missing: the score is a range, the lowest and the highest totals the items "
            "that cannot be judged allow; a comparison with it holds when the whole range satisfies it, "
            "fails when none of it does, and else cannot be judged.",
            *self.messages(ir.Messages(cite=score.cite)),
            *(f"- Assumption: {md(text)}" for text in score.assumptions),
            *self._history_of(it.condition for it in score.items),
            "",
        ]
        return lines

    def assessment(self, a: ir.Assessment) -> list[str]:
        """An assessment: its branches in order, `otherwise`, and what unknown branches do."""
        lines = heading("assessment", a.id, a.title)
        lines += [
            "The branches are tried in order: the result is the first whose condition holds, "
            "every earlier one failing.",
            "",
        ]
        for number, branch in enumerate(a.branches, 1):
            said = "".join(
                [
                    f' Tell the patient: "{md(branch.say)}"' if branch.say else "",
                    f" Note for the clinician: {md(branch.note)}" if branch.note else "",
                ]
            )
            if branch.condition is None:
                lines.append(f"{number}. Otherwise **`{branch.value}`**.{said}")
            else:
                condition = self.words.condition(branch.condition)
                lines.append(f"{number}. **`{branch.value}`** if {condition}.{said}")
        none_true = (
            "" if any(b.condition is None for b in a.branches) else "; with no branch true, it is unknown too"
        )
        lines += [
            "",
            "- Possible values: " + ", ".join(f"`{v}`" for v in a.values) + ".",
            "- If an answer is missing: when a branch before the first that holds cannot be judged, the "
            f"result is unknown and the decision lists the values still possible{none_true}.",
            *self.messages(ir.Messages(cite=a.cite)),
            *(f"- Assumption: {md(text)}" for text in a.assumptions),
            *self._history_of(b.condition for b in a.branches if b.condition is not None),
            "",
        ]
        return lines

    # ------------------------------------------------------------ rules

    def rule(self, rule: ir.Rule) -> list[str]:
        """A rule, once: its verdict and condition, targets, history, unknown, dose and texts."""
        lines = heading("rule", rule.id, rule.title)
        condition = self.words.condition(rule.condition)
        move = f" to {self.words.exercise(rule.to)}" if rule.to else ""
        if rule.verdict in ("regress", "progress") and not rule.to:
            move = " one rung"
        lines += [f"{_VERB.get(rule.verdict, rule.verdict.capitalize())}{move} if {condition}.", ""]
        if all(name in self.p.exercises for name in rule.targets.names):
            lines.append("- For: " + self._names(self.by_name(rule.targets.exercises)))
        else:
            lines += [
                "- Written for: " + ", ".join(self._written(name) for name in rule.targets.names),
                "- Applies to: " + self._names(self.by_name(rule.targets.exercises)),
            ]
        if rule.verdict in ("regress", "progress") and not rule.to:
            lines.append("- Moves: " + self._moves(rule))
        lines += self._history(rule.condition, rule.targets.exercises)
        lines.append(f"- If an answer it needs is missing: {self._unknown(rule)}")
        if rule.verdict == "modify":
            lines.append(f"- Dose: {dose(rule.dose) if rule.dose else 'the default dose'}")
        if rule.instead:
            lines.append("- Instead: " + self._names(rule.instead))
        lines += self.messages(rule.messages)
        lines += [f"- Assumption: {md(a.text)}" for a in rule.assumptions]
        lines.append("")
        return lines

    def requirement(self, r: ir.Requirement) -> list[str]:
        """A `require`: the promise in words, whom it is about, the history it reads, where it is written."""
        lines = heading("require", r.id, r.title)
        condition = self.words.condition(r.condition)
        verdict = f"**{r.verdict}**"
        order = [v.value for v in Verdict]  # strictest first
        if r.kind is ir.RequireKind.NEVER:
            promise = f"While {condition}, none of these exercises gets {verdict}."
        else:
            at = order.index(r.verdict)
            kept = order[: at + 1] if r.kind is ir.RequireKind.AT_LEAST else order[at:]
            bound = "or stricter" if r.kind is ir.RequireKind.AT_LEAST else "or more permissive"
            either = f" {bound} ({', '.join(kept)})" if len(kept) > 1 else ""
            promise = f"Whenever {condition}, each of these exercises gets {verdict}{either}."
        lines += [promise, ""]
        lines.append("- For: " + self._names(self.by_name(r.targets.exercises)))
        lines += self._history(r.condition, r.targets.exercises)
        lines.append(
            "- If an answer it needs is missing: the promise says nothing (only a definite yes counts)"
        )
        span = r.where.span
        lines += [
            f"- Written at: `{r.where.file}:{span.line}:{span.column}-{span.end_line}:{span.end_column}`",
            "",
        ]
        return lines

    def _written(self, name: str) -> str:
        """One target item as written, with what it resolves to."""
        if name.startswith("except "):
            return "except " + self._written(name.removeprefix("except "))
        kind, _, rest = name.partition(" ")
        if name == "every exercise":
            return "every exercise"
        if kind == "tagged":
            return f"tagged `{rest}`"
        if kind == "ladder":
            ladder, _, above = rest.partition(" above ")
            rungs = self.p.ladders[ladder].rungs if ladder in self.p.ladders else ()
            if above and above in rungs:
                above_words = f" above {self.words.exercise(above)}"
                rungs = rungs[rungs.index(above) + 1 :]
            else:
                above_words = ""
            return (
                f"ladder `{ladder}`{above_words} (" + " → ".join(self.words.exercise(r) for r in rungs) + ")"
            )
        return self.words.exercise(name)

    def _moves(self, rule: ir.Rule) -> str:
        """Where a one-rung `progress` or `regress` takes each target."""
        step = 1 if rule.verdict == "progress" else -1
        moves = []
        for target in self.by_name(rule.targets.exercises):
            e = self.p.exercises[target]
            if e.ladder is None or e.rung is None:
                moves.append(f"{self.words.exercise(target)}: on no ladder, no move")
                continue
            rungs = self.p.ladders[e.ladder].rungs
            if 0 <= e.rung + step < len(rungs):
                moves.append(f"{self.words.exercise(target)} → {self.words.exercise(rungs[e.rung + step])}")
            else:
                end = "top" if step > 0 else "lowest"
                moves.append(f"{self.words.exercise(target)}: the {end} rung, no move")
        return "; ".join(moves)

    def _unknown(self, rule: ir.Rule) -> str:
        if not reads_answers(rule.condition):
            return "it reads no answer (only parameters, times and the session log), so it is never unknown"
        match rule.unknown_from:
            case ir.UnknownFrom.RULE | ir.UnknownFrom.HEADER:
                whose = (
                    "its own `when unknown`"
                    if rule.unknown_from is ir.UnknownFrom.RULE
                    else (f"the header's `unknown {rule.when_unknown}`")
                )
                told = (
                    f'; the patient is told: "{md(rule.unknown_say)}"'
                    if rule.unknown_say
                    else "; the patient is asked the missing questions"
                )
                return f"it counts as **{rule.when_unknown}** ({whose}){told}"
            case ir.UnknownFrom.IGNORE:
                return "it does not fire (`when unknown ignore`: the author's decision)"
        if rule.verdict in ("allow", "progress"):
            return "it does not fire (missing answers never allow or advance an exercise)"
        return "it does not fire (the rule says nothing about it: an open point, below)"

    # ------------------------------------------------------------ shared parts

    def messages(self, m: ir.Messages) -> list[str]:
        """The texts and sources of a declaration."""
        lines = []
        if m.say:
            lines.append(f'- Tell the patient: "{md(m.say)}"')
        if m.note:
            lines.append(f"- Note for the clinician: {md(m.note)}")
        if m.cite:
            cited = [
                f"`{c}` ({md(self.p.sources[c].title)})" if c in self.p.sources else f"`{c}`"
                for c in sorted(m.cite)
            ]
            lines.append("- Sources: " + ", ".join(cited))
        return lines

    def _history_of(self, conditions: Iterable[ir.Condition]) -> list[str]:
        reads: dict[str, None] = {}
        for condition in conditions:
            for line in self._reads(condition, None):
                reads.setdefault(line)
        return ["- History read: " + "; ".join(reads)] if reads else []

    def _history(self, condition: ir.Condition, targets: tuple[str, ...] | None) -> list[str]:
        reads = self._reads(condition, targets)
        if not reads:
            return ["- History read: none (it reads no session)"] if targets is not None else []
        return ["- History read: " + "; ".join(reads)]

    def _reads(self, condition: ir.Condition, targets: tuple[str, ...] | None) -> list[str]:
        """What each session form of the condition reads, in words, each once (phrases included)."""
        reads: dict[str, None] = {}
        for node in ir.nodes(condition):
            if isinstance(node, ir.History):
                reads.setdefault(f"{self._extent(node)} {self._whose(node, targets)}")
        return list(reads)

    def _extent(self, h: ir.History) -> str:
        if h.quantifier in (Quantifier.ANY_WITHIN, Quantifier.NONE_WITHIN) and h.window is not None:
            return f"the sessions within {self.words.expr(h.window)}"
        if h.days:
            return f"the last {plural(h.last or 1, 'calendar day')} (each session's own date)"
        if h.quantifier is Quantifier.LAST:
            return "the last session"
        return f"the last {plural(h.last or 1, 'session')}"

    def _whose(self, h: ir.History, targets: tuple[str, ...] | None) -> str:
        match h.scope:
            case None:
                return "of any exercise" if targets is None else "of the exercise itself"
            case ScopeKind.EXERCISE:
                return f"of {self.words.exercise(h.exercise or '')}"
            case ScopeKind.ANY:
                return "of any exercise"
            case ScopeKind.TAGGED:
                tagged = self.by_name(e.id for e in self.p.exercises.values() if h.tag in e.tags)
                return f"of the exercises tagged {code(h.tag or '')} ({self._names(tagged)})"
        groups: dict[tuple[str, ...], list[str]] = {}
        for target in self.by_name(targets or ()):
            ids = ir.scope_exercises(self.p.exercises, self.p.ladders, h, target) or frozenset()
            e = self.p.exercises[target]
            rungs = tuple(r for r in (self.p.ladders[e.ladder].rungs if e.ladder else ()) if r in ids)
            groups.setdefault(rungs, []).append(target)
        per = "; ".join(
            f"for {self._names(group)}: {self._names(rungs) if rungs else 'none'}"
            for rungs, group in groups.items()
        )
        return f"{SCOPE_WORDS[h.scope or ScopeKind.LADDER]} ({per})"

    def by_name(self, exercises: Iterable[str]) -> list[str]:
        """Exercise ids where their order changes no decision: rungs easiest first, ladder by ladder,
        then the exercises on no ladder by name, so that the page does not follow the declarations."""

        def key(x: str) -> tuple[bool, str, int, str, str]:
            e = self.p.exercises[x]
            return (e.ladder is None, e.ladder or "", e.rung or 0, e.name, x)

        return sorted(exercises, key=key)

    def _names(self, exercises: Iterable[str]) -> str:
        names = [self.words.exercise(x) for x in exercises]
        return ", ".join(names) if names else "none"
