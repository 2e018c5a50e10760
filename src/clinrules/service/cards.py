"""A decision as CDS Hooks 2.0 cards: pure functions, no I/O, no clock.

In: a `Decision`, the request's `hookInstance` and the names of the
ruleset's exercises and red flags. Out: a list of card dicts with nothing
null or empty in them (the CDS Hooks JSON rule), ready for `json.dumps`.

Design decisions (docs/integration.md, "CDS Hooks out"):
- triage `urgent` gives one `critical` card and nothing else: an exercise
  card beside it could read as "you may still do this".
- triage `check` gives one `warning` card with the questions in their own
  words (never field paths), then the exercise cards.
- `stop`, `avoid` and `check` verdicts each keep their own `warning` card
  (never merged, so none hides behind another); the other verdicts give
  `info` cards, merged into one when there are more than three.
- `uuid` is UUIDv5 of (hookInstance, sha256, exercise, verdict), so the same
  request gives the same uuids and feedback joins to the decision.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from clinrules.base.vocabulary import DISCLAIMER, Care, Triage, Verdict
from clinrules.decision.result import Decision, ExerciseDecision
from clinrules.ruleset import RuleSet

MAX_SUMMARY = 139  # CDS Hooks: "<140 characters"
MAX_SEPARATE_INFO_CARDS = 3
CARD_NAMESPACE = uuid.UUID("5a3c4e0e-6f1b-5d8c-9a57-0c1f7d2b6e41")
WARNING_VERDICTS = frozenset({Verdict.STOP, Verdict.AVOID, Verdict.CHECK})
ALL = "*"  # the exercise part of the uuid of a card about the whole decision

_URGENT_SUMMARY = {
    Care.EMERGENCY: "Red flag{flags}: stop exercise, emergency assessment now",
    Care.SAME_DAY: "Red flag{flags}: stop exercise, assessment today",
    Care.WITHIN_DAYS: "Red flag{flags}: stop exercise, assessment within days",
}


@dataclass(frozen=True)
class Names:
    """What the cards call things: the ruleset's exercise names and red-flag titles, by id."""

    exercises: Mapping[str, str] = field(default_factory=dict)
    red_flags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, ruleset: RuleSet) -> Names:
        program = ruleset.program
        return cls(
            exercises={ident: exercise.name for ident, exercise in program.exercises.items()},
            red_flags={flag.id: flag.title or flag.id.replace("_", " ") for flag in program.red_flags},
        )

    def exercise(self, ident: str) -> str:
        return self.exercises.get(ident) or ident.replace("_", " ")


def cards(decision: Decision, hook_instance: str, names: Names) -> list[dict[str, Any]]:
    """The cards of one decision (see the module docstring for the rules)."""
    if decision.triage == Triage.URGENT:
        return [_urgent(decision, hook_instance, names)]
    out: list[dict[str, Any]] = []
    if decision.triage == Triage.CHECK:
        out.append(_questions(decision, hook_instance))
    warnings = [(e, d) for e, d in decision.exercises.items() if d.verdict in WARNING_VERDICTS]
    infos = [(e, d) for e, d in decision.exercises.items() if d.verdict not in WARNING_VERDICTS]
    out.extend(_exercise_card(decision, hook_instance, names, e, d, "warning") for e, d in warnings)
    if len(infos) > MAX_SEPARATE_INFO_CARDS:
        out.append(_merged(decision, hook_instance, names, infos))
    else:
        out.extend(_exercise_card(decision, hook_instance, names, e, d, "info") for e, d in infos)
    return [pruned_object(card) for card in out]


def card_uuid(hook_instance: str, sha256: str, exercise: str, verdict: str) -> str:
    return str(uuid.uuid5(CARD_NAMESPACE, "\x1f".join((hook_instance, sha256, exercise, verdict))))


def shortened(text: str, limit: int = MAX_SUMMARY) -> str:
    """`text` cut at a word to at most `limit` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return (cut if cut else text[: limit - 1]) + "…"


def pruned(value: Any) -> Any:
    """`value` without null or empty members, recursively (the CDS Hooks JSON rule)."""
    if isinstance(value, dict):
        kept = {k: pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if not _empty(v)}
    if isinstance(value, list):
        return [v for v in (pruned(item) for item in value) if not _empty(v)]
    return value


def pruned_object(value: dict[str, Any]) -> dict[str, Any]:
    """`pruned` for a JSON object, typed as one."""
    kept: dict[str, Any] = pruned(value)
    return kept


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def _urgent(decision: Decision, hook_instance: str, names: Names) -> dict[str, Any]:
    fired = [f for f, state in decision.red_flags.items() if state == "fired"]
    titles = [names.red_flags.get(f) or f.replace("_", " ") for f in fired]
    template = _URGENT_SUMMARY[decision.care or Care.EMERGENCY]  # no care given: the most urgent
    summary = template.format(flags=f" ({', '.join(titles)})" if titles else "")
    if len(summary) > MAX_SUMMARY:  # keep the instruction whole; shorten the list of flags
        summary = template.format(flags="")
    lines = ["**Red flags fired:** " + ", ".join(titles)] if titles else []
    lines += [_md(text) for text in (*decision.say, *decision.notes)]
    if decision.safety_net:
        lines.append("**Safety net:** " + _md(decision.safety_net))
    return pruned_object(_card(decision, hook_instance, ALL, Triage.URGENT, summary, "critical", lines))


def _questions(decision: Decision, hook_instance: str) -> dict[str, Any]:
    count = len(decision.questions) or len(decision.missing)
    # The count is every question the decision waits on (STarT Back items
    # too), so the summary does not call them all red-flag questions.
    summary = f"Red-flag screen incomplete: please answer {count} question{'s' if count != 1 else ''}"
    lines = ["Unknown is never read as no. Before exercise advice applies, please answer:"]
    lines += [f"- {_md(q.ask)}" for q in decision.questions]
    if not decision.questions:
        lines.append(f"- {len(decision.missing)} items the ruleset needs are unknown")
    return _card(decision, hook_instance, ALL, Triage.CHECK, summary, "warning", lines)


def _exercise_card(
    decision: Decision,
    hook_instance: str,
    names: Names,
    exercise: str,
    advice: ExerciseDecision,
    indicator: str,
) -> dict[str, Any]:
    name = names.exercise(exercise)
    summary = shortened(f"{name}: {_verdict_words(advice.verdict)}")
    lines = _advice_lines(advice, names)
    return _card(decision, hook_instance, exercise, advice.verdict, summary, indicator, lines, advice.cite)


def _merged(
    decision: Decision, hook_instance: str, names: Names, infos: list[tuple[str, ExerciseDecision]]
) -> dict[str, Any]:
    summary = shortened(
        f"{len(infos)} exercises: " + ", ".join(f"{names.exercise(e)} {d.verdict}" for e, d in infos)
    )
    lines: list[str] = []
    for exercise, advice in infos:
        lines.append(f"**{_md(names.exercise(exercise))}: {_verdict_words(advice.verdict)}**")
        lines += [f"- {line}" for line in _advice_lines(advice, names)]
    ident = ",".join(e for e, _ in infos)
    verdicts = ",".join(d.verdict for _, d in infos)
    cites = [c for _, d in infos for c in d.cite]
    return _card(decision, hook_instance, ident, verdicts, summary, "info", lines, cites)


def _advice_lines(advice: ExerciseDecision, names: Names) -> list[str]:
    lines: list[str] = []
    if advice.because:
        lines.append("Because: " + ", ".join(_md(b.replace("_", " ")) for b in advice.because))
    if advice.instead:
        lines.append("Instead: " + ", ".join(_md(names.exercise(e)) for e in advice.instead))
    if advice.dose:
        lines.append("Dose: " + ", ".join(f"{_md(k)} {_dose(v)}" for k, v in advice.dose.items()))
    for step, target in (("Next step", advice.progress_to), ("Step back to", advice.regress_to)):
        if target:
            lines.append(f"{step}: {_md(names.exercise(target))}")
    lines += [_md(text) for text in (*advice.say, *advice.notes)]
    return lines


def _card(
    decision: Decision,
    hook_instance: str,
    exercise: str,
    verdict: str,
    summary: str,
    indicator: str,
    lines: Iterable[str],
    cites: Iterable[str] = (),
) -> dict[str, Any]:
    info = decision.ruleset
    cited = sorted({*decision.cite, *cites})
    footer = [
        "---",
        f"Ruleset {_md(info.id)} {_md(info.version)}, sha256 `{info.sha256}`; as of {_as_of(decision)}.",
        ("Sources: " + ", ".join(_md(c) for c in cited)) if cited else "",
        _md(DISCLAIMER),
    ]
    detail = "\n\n".join(line for line in (*lines, *footer) if line)
    return {
        "uuid": card_uuid(hook_instance, info.sha256, exercise, verdict),
        "summary": shortened(summary),
        "indicator": indicator,
        "detail": detail,
        "source": {"label": f"clinrules {info.id} {info.version}"},
    }


def _as_of(decision: Decision) -> str:
    shown = decision.model_dump(mode="json", include={"as_of"})["as_of"]
    return str(shown)


def _verdict_words(verdict: str) -> str:
    return {
        Verdict.STOP: "stop",
        Verdict.AVOID: "avoid for now",
        Verdict.CHECK: "check before doing it",
        Verdict.REGRESS: "step back to an easier version",
        Verdict.MODIFY: "allowed with changes",
        Verdict.ALLOW: "allowed",
        Verdict.PROGRESS: "ready to progress",
    }.get(Verdict(verdict), str(verdict))


def _dose(value: object) -> str:
    if isinstance(value, list):
        return "-".join(str(v) for v in value)
    return str(value)


def _md(text: str) -> str:
    """Authored text made inert in Markdown: no HTML, no links or emphasis it did not mean."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in "\\`*_[]":
        out = out.replace(char, "\\" + char)
    return out
