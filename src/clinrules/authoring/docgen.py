"""The review page: a checked ruleset as Markdown a clinician reads and signs off.

Stage: rendering, from the checked program (`ir.Program`) of a ruleset of
any status. Design decision: the page is written for a clinician reading
aloud, exercise by exercise ("Stop *Glute bridge* if the last session had
shooting pain"), and is deterministic: wherever order does not change a
decision (rules, red flags, sources, exercises, tags, phrases) it is sorted,
so two pages of the same ruleset are byte-identical and a diff between two
versions shows only what changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from clinrules import ir
from clinrules.authoring.docwords import Words, dose, md, number, shared_leaves
from clinrules.base.terminal import printable
from clinrules.decision.result import DISCLAIMER
from clinrules.ruleset import sha256_of
from clinrules.schema import types as t
from clinrules.syntax.ast import SCOPE_WORDS

_RANK = ("stop", "avoid", "check", "regress", "modify", "allow", "progress")
_VERB = {
    "stop": "Stop {e}",
    "avoid": "Avoid {e}",
    "check": "Check first (ask the missing questions) before {e}",
    "regress": "Step down from {e} to {t}",
    "modify": "Lower the dose of {e}",
    "allow": "Allow {e}",
    "progress": "Move up from {e} to {t}",
}
_CARE = {
    "emergency": "emergency care now",
    "same_day": "care the same day",
    "within_days": "care within days",
}


def page(program: ir.Program) -> str:
    """The Markdown page of a checked ruleset (or library)."""
    # Rule text cannot hold invisible characters (CR008); a model's names and texts can.
    return printable(_Page(program).render())


def _code(names: Iterable[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


class _Page:
    def __init__(self, program: ir.Program) -> None:
        self.p = program
        self.words = Words(_exercise_words(program), shared_leaves(program))
        self.lines: list[str] = []

    def out(self, *lines: str) -> None:
        self.lines.extend(lines)

    def render(self) -> str:
        self._header()
        self._sources()
        self._parameters()
        self._exercises()
        self._ladders()
        self._red_flags()
        self._rules()
        self._terms()
        return "\n".join(self.lines).rstrip("\n") + "\n"

    # ------------------------------------------------------------ sections

    def _header(self) -> None:
        p = self.p
        files = ", ".join(f"`{name}`" for name, _text in p.sources_text)
        noun = "library" if p.kind == "library" else "ruleset"
        title = md(p.title) if p.title else p.id  # an id is letters, digits and underscores
        self.out(
            f"# {title}",
            "",
            f"- {noun.capitalize()}: `{p.id}`",
            f"- Version: {md(p.version)}",
            f"- Status: {p.status}",
            f"- Patient model: {md(p.model)}",
            f"- Files: {files}",
            f"- SHA-256 of the text reviewed: `{sha256_of(p.sources_text)}`",
            f"- When an answer is missing: {self._unknown_default()}",
            *([f"- Safety net, shown with every decision: {md(p.safety_net)}"] if p.safety_net else []),
            "",
        )
        if p.status == "retired":
            self.out(f"> **Retired.** This {noun} must not be used with patients.", "")
        elif p.status != "approved":
            self.out(
                f"> **Not signed off.** The status of this {noun} is `{p.status}`: it has not been "
                "approved by a named clinician. It must not guide patients until a clinician has "
                "reviewed it and it is marked `approved` with a `reviewed` line.",
                "",
            )
        self.out(f"> {md(DISCLAIMER)}", "", "## Review", "")
        if p.reviews:
            self.out(*(f"- Reviewed {r.date} by {md(r.by)}" for r in p.reviews))
        else:
            self.out(f"None: no clinician has reviewed this {noun} yet.")
        self.out("")

    def _unknown_default(self) -> str:
        if self.p.unknown_default:
            return (
                f"a rule that cannot be judged counts as *{self.p.unknown_default}* "
                "(except `allow` and `progress` rules), unless it says otherwise"
            )
        return "a rule that cannot be judged does not apply, unless it says otherwise"

    def _sources(self) -> None:
        self.out("## Sources", "")
        if not self.p.sources:
            self.out("None.", "")
            return
        self.out("| id | title | publisher | year | link |", "| --- | --- | --- | --- | --- |")
        for s in sorted(self.p.sources.values(), key=lambda s: s.id):
            cells = [
                f"`{s.id}`",
                md(s.title),
                md(s.publisher or "-"),
                str(s.year or "-"),
                md(s.url or "-"),
            ]
            self.out("| " + " | ".join(cells) + " |")
        self.out("")

    def _parameters(self) -> None:
        self.out("## Parameters", "")
        if not self.p.parameters:
            self.out("None.", "")
            return
        self.out(
            "A clinician may set each parameter per patient, within its bounds.",
            "",
            "| id | title | default | bounds | unit |",
            "| --- | --- | --- | --- | --- |",
        )
        for q in sorted(self.p.parameters.values(), key=lambda q: q.id):
            title = md(q.title) if q.title else "-"
            if not isinstance(q.type, t.NumberType) or q.low is None or q.high is None:
                default = "yes" if q.default else "no"
                self.out(f"| `{q.id}` | {title} | {default} | yes or no | none (yes/no) |")
                continue
            unit = q.type.unit.name if q.type.unit else None
            kind = "whole number" if q.type.integral else "number"
            unit_text = f"{unit} ({kind})" if unit else f"none ({kind})"
            bounds = f"{number(q.low)} to {number(q.high)}"
            self.out(f"| `{q.id}` | {title} | {number(q.default)} | {bounds} | {md(unit_text)} |")
        self.out("")

    def _exercises(self) -> None:
        self.out("## Exercises", "")
        if not self.p.exercises:
            self.out("None.", "")
            return
        self.out("| id | name | tags | default dose |", "| --- | --- | --- | --- |")
        for e in self._sorted_exercises():
            tags = _code(sorted(e.tags)) or "-"
            default = dose(e.dose) if e.dose else "none"
            self.out(f"| `{e.id}` | {md(e.name)} | {tags} | {default} |")
        self.out("")

    def _ladders(self) -> None:
        self.out("## Ladders", "")
        if not self.p.ladders:
            self.out("None.", "")
            return
        self.out("Easiest first; `progress` moves one rung up, `regress` one rung down.", "")
        for ladder in sorted(self.p.ladders.values(), key=lambda x: x.id):
            self.out(f"- `{ladder.id}`: " + " → ".join(f"`{r}`" for r in ladder.rungs))
        self.out("")

    def _red_flags(self) -> None:
        self.out("## Red flags", "")
        if not self.p.red_flags:
            self.out("None.", "")
            return
        self.out(
            "A red flag that fires makes every exercise *urgent*: stop all exercise and get care. "
            "A red flag that cannot be judged for missing answers is never read as absent: every "
            "exercise becomes at least *check* until the questions are answered.",
            "",
        )
        for flag in sorted(self.p.red_flags, key=lambda f: f.id):
            title = f": {md(flag.title)}" if flag.title else ""
            condition = self.words.condition(flag.condition)
            self.out(
                f"### `{flag.id}`{title}",
                "",
                f"Stop all exercise and get {_CARE[flag.care.value]} if {condition}.",
                "",
                f"- Care: {flag.care.value.replace('_', ' ')}",
            )
            self._messages(flag.messages)
            self.out("")

    def _rules(self) -> None:
        if self.p.kind == "library":
            return
        self.out("## Rules by exercise", "")
        self.out(
            "For each exercise, the most restrictive verdict among the rules that apply wins; "
            "the order of the rules never matters. Rules are listed most restrictive first.",
            "",
        )
        for e in self._sorted_exercises():
            self.out(f"### {md(e.name)} (`{e.id}`)", "")
            rules = [r for r in self.p.rules if e.id in r.targets.exercises]
            rules.sort(key=lambda r: (_RANK.index(r.verdict) if r.verdict in _RANK else len(_RANK), r.id))
            if not rules:
                self.out("No rule is about this exercise.", "")
            for rule in rules:
                self._rule(rule, e)
            if rules:
                self.out("")
            otherwise = _VERB.get(self.p.otherwise, "{e}").format(e=self._the(e.id), t="")
            self.out(f"**Otherwise**, when no rule applies: {otherwise}.", "")

    def _rule(self, rule: ir.Rule, e: ir.Exercise) -> None:
        target = rule.to or _one_rung(self.p, e, rule.verdict)
        verb = _VERB.get(rule.verdict, rule.verdict.capitalize() + " {e}")
        sentence = verb.format(e=self._the(e.id), t=self._the(target) if target else "the next rung")
        condition = self.words.condition(rule.condition)
        title = f" ({md(rule.title)})" if rule.title else ""
        self.out(f"- **`{rule.id}`**{title}: {sentence} if {condition}.")
        if any(" " in name for name in rule.targets.names):  # a tag, a ladder, every or except
            listed = ", ".join(n for n in rule.targets.names if not n.startswith("except "))
            left_out = "".join(f" {n}" for n in rule.targets.names if n.startswith("except "))
            self.out(f"  - Written for: {md(listed + left_out)}")
        self._scopes(rule, e)
        instead = [x for x in rule.instead if x != e.id]  # never the exercise itself
        if instead:
            self.out("  - Instead: " + ", ".join(self._named(x) for x in instead))
        if rule.verdict == "modify":
            self.out(f"  - Dose: {dose(rule.dose) if rule.dose else 'the default dose'}")
        if rule.when_unknown:
            said = f': "{md(rule.unknown_say)}"' if rule.unknown_say else ""
            self.out(f"  - If this cannot be judged: {rule.when_unknown}{said}")
        elif rule.unknown_from is ir.UnknownFrom.IGNORE:
            self.out("  - If this cannot be judged: it does not apply (`when unknown ignore`)")
        self._messages(rule.messages, indent="  ")

    def _scopes(self, rule: ir.Rule, e: ir.Exercise) -> None:
        """What each ladder scope of the rule reads for this exercise (language-2.md section 1)."""
        scoped = {
            n.scope: n
            for n in ir.nodes(rule.condition)
            if isinstance(n, ir.History) and n.scope in ir.LADDER_SCOPES
        }
        for kind, node in sorted(scoped.items()):
            ids = ir.scope_exercises(self.p.exercises, self.p.ladders, node, e.id) or frozenset()
            rungs = [x for x in (self.p.ladders[e.ladder].rungs if e.ladder else ()) if x in ids]
            named = ", ".join(self._named(x) for x in rungs) or "none (no rung below this one)"
            self.out(f"  - Sessions {SCOPE_WORDS[kind]}: {named}")

    def _messages(self, m: ir.Messages, indent: str = "") -> None:
        if m.say:
            self.out(f'{indent}- Tell the patient: "{md(m.say)}"')
        if m.note:
            self.out(f"{indent}- Note for the clinician: {md(m.note)}")
        if m.cite:
            cited = [
                f"`{c}` ({md(self.p.sources[c].title)})" if c in self.p.sources else f"`{c}`" for c in m.cite
            ]
            self.out(f"{indent}- Sources: " + ", ".join(sorted(cited)))

    def _terms(self) -> None:
        terms: dict[str, str] = {}
        while len(terms) < len(self.words.phrases):  # a definition may name further phrases
            for name, condition in sorted(self.words.phrases.items()):
                if name not in terms:
                    terms[name] = self.words.condition(condition)
        if not terms:
            return
        self.out("## Defined terms", "")
        self.out(*(f'- **"{md(name)}"** means: {terms[name]}.' for name in sorted(terms)))
        self.out("")

    # ------------------------------------------------------------ helpers

    def _sorted_exercises(self) -> list[ir.Exercise]:
        return sorted(self.p.exercises.values(), key=lambda e: e.id)

    def _the(self, exercise: str) -> str:
        return self.words.exercise(exercise)

    def _named(self, exercise: str) -> str:
        e = self.p.exercises.get(exercise)
        return f"{md(e.name)} (`{exercise}`)" if e else f"`{exercise}`"


def _exercise_words(program: ir.Program) -> dict[str, str]:
    """Each exercise as the page's sentences name it: its declared name, in italics
    (so that no word of it reads as part of the condition), with its id when
    another exercise has the same name."""
    names = [e.name for e in program.exercises.values()]
    return {
        e.id: f"*{md(e.name)}*" + (f" (`{e.id}`)" if names.count(e.name) > 1 else "")
        for e in program.exercises.values()
    }


def _one_rung(program: ir.Program, e: ir.Exercise, verdict: str) -> str | None:
    """The rung a `progress` or `regress` without `to` moves to."""
    if verdict not in ("progress", "regress") or e.ladder is None or e.rung is None:
        return None
    rungs = program.ladders[e.ladder].rungs
    step = e.rung + (1 if verdict == "progress" else -1)
    return rungs[step] if 0 <= step < len(rungs) else None
