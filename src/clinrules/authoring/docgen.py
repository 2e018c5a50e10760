"""The review page: a checked ruleset as the algorithm a clinician reads and signs.

Stage: rendering, from the checked program (`ir.Program`) of a ruleset of
any status. Design decision: the page follows the decision in the order it
is made (red flags, scores and assessments, which exercises, then the rules
verdict by verdict, most restrictive first, and `otherwise`), and writes
each declaration once (`docdecls.py`), ending in a checklist of everything
the rules rest on that no source states. It is deterministic: wherever
order does not change a decision (rules within a verdict, red flags,
sources, exercises, tags, phrases) it is sorted, so two pages of the same
ruleset are byte-identical and a diff between two versions shows only what
changed.
"""

from __future__ import annotations

from clinrules import ir
from clinrules.authoring.docdecls import VERDICTS, Declarations, anchor, reads_answers
from clinrules.authoring.docwords import Words, dose, md, number
from clinrules.base.span import Span
from clinrules.base.terminal import printable
from clinrules.decision.result import DISCLAIMER
from clinrules.ruleset import sha256_of
from clinrules.schema import types as t

_SECTION = {
    "stop": "Rules that stop",
    "avoid": "Rules that avoid",
    "check": "Rules that check first",
    "regress": "Rules that step down",
    "modify": "Rules that lower the dose",
    "progress": "Rules that move up",
    "allow": "Rules that allow",
}
_STEP = {
    "stop": "the exercise is stopped now.",
    "avoid": "the exercise is left out for now.",
    "check": "the patient answers the missing or stale questions before the exercise.",
    "regress": "the patient does the easier exercise named; if that one is not itself permitted, "
    "the exercise is *avoid* instead.",
    "modify": "the exercise is done with the lower dose; the doses of all the rules that fire combine, "
    "attribute by attribute, to the most cautious.",
    "progress": "the patient is ready for the harder exercise named, if it is itself permitted "
    "(else *allow*).",
    "allow": "the exercise is done as prescribed.",
}


def page(program: ir.Program) -> str:
    """The Markdown page of a checked ruleset (or library)."""
    # Rule text cannot hold invisible characters (CR008); a model's names and texts can.
    return printable(_Page(program).render())


def slug(heading: str) -> str:
    """The anchor Python-Markdown (and GitHub) give a plain heading of words: `Red flags` -> `red-flags`."""
    return "-".join(heading.lower().split())


class _Page:
    def __init__(self, program: ir.Program) -> None:
        self.p = program
        self.words = Words(_exercise_words(program))
        self.decls = Declarations(program, self.words)
        self.lines: list[str] = []
        self.rules = {
            v: sorted((r for r in program.rules if r.verdict == v), key=lambda r: r.id) for v in VERDICTS
        }

    def out(self, *lines: str) -> None:
        self.lines.extend(lines)

    def render(self) -> str:
        self._header()
        self._overview()
        self._red_flags()
        self._scores()
        self._rules()
        self._requirements()
        self._terms()
        self._parameters()
        self._exercises()
        self._ladders()
        self._sources()
        self._checklist()
        return "\n".join(self.lines).rstrip("\n") + "\n"

    # ------------------------------------------------------------ header and overview

    def _header(self) -> None:
        p = self.p
        files = ", ".join(f"`{name}`" for name, _text in p.sources_text)
        title = md(p.title) if p.title else p.id  # an id is letters, digits and underscores
        self.out(
            f"# {title}",
            "",
            f"- {self._noun().capitalize()}: `{p.id}`",
            f"- Version: {md(p.version)}",
            f"- Status: {p.status}",
            f"- Patient model: {md(p.model)}",
            f"- Files: {files}",
            f"- SHA-256 of the text reviewed: `{sha256_of(p.sources_text)}`",
            f"- Safety net, shown with every decision: {md(p.safety_net) if p.safety_net else 'none'}",
            f"- When an answer is missing: {self._unknown_default()}",
            "",
        )
        if p.status == "retired":
            self.out(f"> **Retired.** This {self._noun()} must not be used with patients.", "")
        elif p.status != "approved":
            self.out(
                f"> **Not signed off.** The status of this {self._noun()} is `{p.status}`: it has not been "
                "approved by a named clinician. It must not guide patients until a clinician has "
                "reviewed it and it is marked `approved` with a `reviewed` line.",
                "",
            )
        self.out(f"> {md(DISCLAIMER)}", "", "## Review", "")
        if p.reviews:
            self.out(*(f"- Reviewed {r.date} by {md(r.by)}" for r in p.reviews))
        else:
            self.out(f"None: no clinician has reviewed this {self._noun()} yet.")
        self.out("")

    def _noun(self) -> str:
        return "library" if self.p.kind == "library" else "ruleset"

    def _unknown_default(self) -> str:
        own = "a rule's own `when unknown` (`ignore` included) overrides this"
        if self.p.unknown_default:
            return (
                f"a rule that cannot be judged counts as *{self.p.unknown_default}* (the header's "
                f"`unknown {self.p.unknown_default}`; never for `allow` and `progress` rules); {own}"
            )
        return f"a rule that cannot be judged does not fire (no header `unknown`); {own}"

    def _overview(self) -> None:
        p = self.p
        if p.exercises:
            urgent = "every exercise is *urgent*: stop all exercise and get care"
            check = "every exercise is at least *check*"
        else:
            urgent, check = "the triage is *urgent*: get care", "the triage is at least *check*"
        self.out(
            "## Overview",
            "",
            "The decision is made in this order; each declaration is written once, in its step.",
            "",
            f"1. **[Red flags](#red-flags)** ({len(p.red_flags)}), first. If any fires, {urgent}, and only "
            "the fired red flags of the most pressing care speak (emergency, then the same day, then within "
            "days). If none fires and one cannot be judged for a missing answer, it is never read as absent: "
            f"{check}.",
        )
        step = 2
        if p.scores or p.assessments:
            parts = [f"[{n} {'score' if n == 1 else 'scores'}](#scores)" for n in [len(p.scores)] if n]
            parts += [
                f"[{n} assessment{'' if n == 1 else 's'}](#assessments)" for n in [len(p.assessments)] if n
            ]
            self.out(
                f"{step}. **Scores and assessments** ({' and '.join(parts)}): worked out from the answers. "
                "An assessment is a result of its own, whatever the exercises; a score or an assessment "
                "changes an exercise's verdict only through a rule that uses it."
            )
            step += 1
        if not p.exercises:
            self.out("")
            return
        self.out(
            f"{step}. **Which exercises.** The {self._noun()} advises on [{len(p.exercises)} "
            f"exercise{'' if len(p.exercises) == 1 else 's'}](#exercises); a rule applies only to the "
            "exercises it is written for (listed with each rule), and reads the history it names. Its "
            "alternatives (`instead`) are offered only when they are themselves permitted, never the "
            "exercise itself."
        )
        step += 1
        for verdict in VERDICTS:
            rules = self.rules[verdict]
            if verdict == "allow":
                break
            count = f"[{len(rules)} rule{'' if len(rules) == 1 else 's'}](#{slug(_SECTION[verdict])})"
            self.out(
                f"{step}. **{verdict.capitalize()}** ({count if rules else 'no rule'}): {_STEP[verdict]}"
            )
            step += 1
        allow = self.rules["allow"]
        allowing = (
            f" ([{len(allow)} rule{'' if len(allow) == 1 else 's'}](#rules-that-allow))" if allow else ""
        )
        self.out(
            f"{step}. **Allow**{allowing} and **otherwise**: when no rule fires, the exercise is "
            f"*{p.otherwise}*.",
            "",
            "For each exercise the most restrictive verdict among the rules that fire wins (stop, avoid, check, "
            "regress, modify, allow, progress, most restrictive first); the order of the rules in the file "
            "never matters. A rule that cannot be judged does what its *If an answer it needs is missing* "
            "line says.",
            "",
        )

    # ------------------------------------------------------------ declarations

    def _red_flags(self) -> None:
        self.out("## Red flags", "")
        if not self.p.red_flags:
            self.out("None.", "")
            return
        for flag in sorted(self.p.red_flags, key=lambda f: f.id):
            self.out(*self.decls.red_flag(flag))

    def _scores(self) -> None:
        if self.p.scores:
            self.out("## Scores", "")
            for score in sorted(self.p.scores.values(), key=lambda s: s.id or ""):
                self.out(*self.decls.score(score))
        if self.p.assessments:
            self.out("## Assessments", "")
            for assessment in sorted(self.p.assessments.values(), key=lambda a: a.id):
                self.out(*self.decls.assessment(assessment))

    def _rules(self) -> None:
        for verdict in VERDICTS:
            if self.rules[verdict]:
                self.out(f"## {_SECTION[verdict]}", "")
                for rule in self.rules[verdict]:
                    self.out(*self.decls.rule(rule))

    def _requirements(self) -> None:
        if not self.p.requirements:
            return
        self.out(
            "## Promises to prove",
            "",
            "Each promise is the author's claim about the final advice, for every patient; it changes no "
            "decision. `clinrules prove` checks it for every patient within the model's bounds and shows a "
            "patient that breaks it.",
            "",
        )
        for requirement in self.p.requirements:  # in the order written: a promise is read with its neighbours
            self.out(*self.decls.requirement(requirement))

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

    # ------------------------------------------------------------ catalogues

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
        if not self.p.exercises and self.p.kind == "library":
            return
        self.out("## Exercises", "")
        if not self.p.exercises:
            self.out("None: this ruleset gives no exercise advice.", "")
            return
        self.out("| name | id | tags | default dose |", "| --- | --- | --- | --- |")
        for e in sorted(self.p.exercises.values(), key=lambda e: (e.name, e.id)):
            tags = ", ".join(f"`{tag}`" for tag in sorted(e.tags)) or "-"
            default = dose(e.dose) if e.dose else "none"
            self.out(f"| {md(e.name)} | `{e.id}` | {tags} | {default} |")
        self.out("")

    def _ladders(self) -> None:
        if not self.p.ladders:
            return
        self.out(
            "## Ladders", "", "Easiest first; a `progress` moves one rung up, a `regress` one rung down.", ""
        )
        for ladder in sorted(self.p.ladders.values(), key=lambda x: x.id):
            self.out(f"- `{ladder.id}`: " + " → ".join(self.words.exercise(r) for r in ladder.rungs))
        self.out("")

    def _sources(self) -> None:
        self.out("## Sources", "")
        if not self.p.sources:
            self.out("None.", "")
            return
        self.out("| id | title | publisher | year | link |", "| --- | --- | --- | --- | --- |")
        for s in sorted(self.p.sources.values(), key=lambda s: s.id):
            cells = [f"`{s.id}`", md(s.title), md(s.publisher or "-"), str(s.year or "-"), md(s.url or "-")]
            self.out("| " + " | ".join(cells) + " |")
        self.out("")

    # ------------------------------------------------------------ the checklist

    def _checklist(self) -> None:
        self.out(
            "## Sign-off checklist",
            "",
            "Each assumption is what a declaration rests on that no cited source states: confirm it, "
            "or have it changed, before signing.",
            "",
            # The page is also written outside the docs site (clinrules doc -o), so the hazard log is
            # named, not linked: a relative link would break there.
            "Before signing, read the hazard log of clinrules (the page `clinical-safety.md` of its "
            'documentation, "Clinical safety: the hazard log"): each hazard, its controls and tests, '
            "and what is left for the clinical reviewer.",
            "",
        )
        assumptions = self._assumptions()
        self.out(*(assumptions or ["No declaration states an assumption."]))
        self.out("", "Open points a reviewer must confirm:", "")
        self.out(*(self._open_points() or ["None."]))
        self.out("")

    def _assumptions(self) -> list[str]:
        listed: list[str] = []

        def item(text: str, kind: str, ident: str, file: str, line: int) -> None:
            what = kind.replace("-", " ")
            listed.append(f"- [ ] {md(text)} ([{what} `{ident}`](#{anchor(kind, ident)}), `{file}:{line}`)")

        for flag in sorted(self.p.red_flags, key=lambda f: f.id):
            for a in flag.assumptions:
                item(a.text, "red-flag", flag.id, a.where.file, a.where.span.line)
        for score in sorted(self.p.scores.values(), key=lambda s: s.id or ""):
            for text, span in _placed(score.assumptions, score.assumption_spans, score.span):
                item(text, "score", score.id or "", score.file, span.line)
        for assessment in sorted(self.p.assessments.values(), key=lambda a: a.id):
            for text, span in _placed(assessment.assumptions, assessment.assumption_spans, assessment.span):
                item(text, "assessment", assessment.id, assessment.file, span.line)
        for verdict in VERDICTS:
            for rule in self.rules[verdict]:
                for a in rule.assumptions:
                    item(a.text, "rule", rule.id, a.where.file, a.where.span.line)
        return listed

    def _open_points(self) -> list[str]:
        p, points = self.p, []
        if p.status != "approved":
            points.append(
                f"- [ ] The status is `{p.status}`: it becomes `approved` only with the reviewer's "
                "sign-off, on a `reviewed` line."
            )
        if not p.reviews:
            points.append(
                f'- [ ] No `reviewed DATE by "NAME"` line: no clinician has signed this {self._noun()}.'
            )
        for verdict in VERDICTS[: VERDICTS.index("progress")]:  # missing data never allows or advances
            for rule in self.rules[verdict]:
                if rule.unknown_from is ir.UnknownFrom.NONE and reads_answers(rule.condition):
                    points.append(
                        f"- [ ] [Rule `{rule.id}`](#{anchor('rule', rule.id)}) says nothing about a missing "
                        "answer: it then does not fire. Confirm, or give it a `when unknown`."
                    )
        unasked = sorted({path for flag in p.red_flags for path in self.decls.unasked(flag.condition)})
        points += [f"- [ ] `{path}`, read by a red flag, has no question in the model." for path in unasked]
        return points


def _placed(texts: tuple[str, ...], spans: tuple[Span, ...], declared: Span) -> list[tuple[str, Span]]:
    """Each assumption of a score or assessment with its span (the declaration's, for an IR built without)."""
    return list(zip(texts, spans if len(spans) == len(texts) else (declared,) * len(texts), strict=True))


def _exercise_words(program: ir.Program) -> dict[str, str]:
    """Each exercise as the page's sentences name it: its declared name, in italics
    (so that no word of it reads as part of the condition), with its id when
    another exercise has the same name."""
    names = [e.name for e in program.exercises.values()]
    return {
        e.id: f"*{md(e.name)}*" + (f" (`{e.id}`)" if names.count(e.name) > 1 else "")
        for e in program.exercises.values()
    }
