"""A decision as text: triage first, a block per exercise, the trace if any, the disclaimer last."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clinrules.decision import DISCLAIMER, format_time

if TYPE_CHECKING:
    from clinrules.decision import Decision, DoseValue, ExerciseDecision

_TRIAGE = {
    "urgent": "URGENT: a red flag fired. Stop all exercise and seek care",
    "check": "CHECK: a safety question is unanswered; answer it before exercising",
    "clear": "CLEAR: no red flag",
}
_CARE = {
    "emergency": "emergency care now",
    "same_day": "care the same day",
    "within_days": "care within days",
}


def explain_text(decision: Decision) -> str:
    """Render a decision as readable text."""
    d = decision
    lines = [
        f"Ruleset {d.ruleset.id} {d.ruleset.version} ({d.ruleset.status}), as of {format_time(d.as_of)}",
        "",
        "Triage: " + _TRIAGE[d.triage.value] + (f" ({_CARE[d.care.value]})" if d.care else ""),
    ]
    fired = [name for name, state in d.red_flags.items() if state.value != "clear"]
    if fired:
        lines.append("Red flags: " + ", ".join(f"{n} {d.red_flags[n].value}" for n in fired))
    if d.missing:
        lines.append("Missing answers: " + ", ".join(d.missing))
    for name, exercise in d.exercises.items():
        lines.append("")
        lines.extend(_exercise(name, exercise))
    if d.trace is not None:
        lines.append("")
        lines.append("Trace:")
        for entry in d.trace:
            target = f" for {entry.exercise}" if entry.exercise else ""
            where = f"{entry.where.file}:{entry.where.line}"
            lines.append(f"  {entry.kind} {entry.id}{target}: {entry.outcome} ({where})")
            for path, value in entry.values.items():
                lines.append(f"      read {path} = {value}")
            if entry.missed:
                lines.append(f"      missing {', '.join(entry.missed)}")
            if entry.note:
                lines.append(f"      note: {entry.note}")
    lines.extend(["", DISCLAIMER])
    return "\n".join(lines) + "\n"


def _exercise(name: str, e: ExerciseDecision) -> list[str]:
    head = f"{name}: {e.verdict.value.upper()}"
    if e.progress_to:
        head += f", ready to move up to {e.progress_to}"
    if e.regress_to:
        head += f", do {e.regress_to} instead"
    out = [head]
    if e.because:
        out.append(f"  because: {', '.join(e.because)}")
    if e.dose:
        out.append("  dose: " + ", ".join(_dose(k, v) for k, v in e.dose.items()))
    if e.instead:
        out.append(f"  alternatives: {', '.join(e.instead)}")
    out.extend(f"  say: {s}" for s in e.say)
    out.extend(f"  note: {n}" for n in e.notes)
    if e.cite:
        out.append(f"  sources: {', '.join(e.cite)}")
    return out


def _dose(key: str, value: DoseValue) -> str:
    if isinstance(value, str):
        return f"{key} {value}"
    amount = f"{value[0]:g} to {value[1]:g}" if isinstance(value, list) else f"{value:g}"
    if key == "daily":
        return f"{amount} times a day"
    unit = {"hold": " s", "rest": " s", "load": " % bodyweight", "range": " inches"}.get(key, "")
    return f"{key} {amount}{unit}"
