"""Prove: what a run found, as diagnostics (codes CR601-CR609) and a report for people and programs.

A finding is a `Diagnostic` with a span, like every other in clinrules; a
refutation also carries its counterexample, replayed. The report says what
was proved, and always with the bounds it was proved within: a proof is for
every patient within the model's bounds and these assumptions, no more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from clinrules import ir
from clinrules.base.diagnostics import Diagnostic, Severity, make
from clinrules.base.span import Span
from clinrules.prove.witness import Witness

PROMISES = {
    "red_flag_urgent": "a fired red flag makes every exercise urgent",
    "unknown_red_flag_check": "an unknown red flag (none fired) leaves no exercise allow, modify, progress or regress",
    "targets_permitted": "progress and regress targets, and alternatives, are permitted exercises",
}
ENDING = "proved for every patient within the model's bounds"


@dataclass(frozen=True, slots=True)
class Finding:
    """A diagnostic of prove, with its counterexample when it refutes something."""

    diagnostic: Diagnostic
    exercise: str | None = None
    witness: Witness | None = None


@dataclass
class ProofReport:
    """What `RuleSet.prove()` found.

    Attributes:
        findings: every diagnostic, in file and line order, with counterexamples.
        proved: each promise or requirement proved, in words, with the exercises it was proved for.
        slots: the session slots of each exercise (the history bound used).
        fixed_params: True when parameters were pinned at their defaults (`--fix-params`).
        complete: True when gaps were looked for (`--complete`).
        seconds: the wall time of the whole run.
    """

    findings: list[Finding] = field(default_factory=list)
    proved: list[str] = field(default_factory=list)
    slots: Mapping[str, int] = field(default_factory=dict)
    fixed_params: bool = False
    complete: bool = False
    seconds: float = 0.0

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Every finding's diagnostic."""
        return tuple(f.diagnostic for f in self.findings)

    @property
    def refuted(self) -> bool:
        """A promise or requirement refuted, or left unproved (an error finding)."""
        return any(f.diagnostic.severity is Severity.ERROR for f in self.findings)

    @property
    def bug(self) -> bool:
        """A counterexample on which the encoding and the evaluator disagree (CR609)."""
        return any(f.diagnostic.code == "CR609" for f in self.findings)

    def bounds(self) -> list[str]:
        """The bounds and assumptions of every proof, in words."""
        slots = ", ".join(f"{e} {n}" for e, n in self.slots.items() if n)
        return [
            "session history: up to these many sessions per exercise, enough for every form the rules use "
            f"(longer histories change no form's value): {slots or 'none (no rule reads sessions)'}",
            "parameters: "
            + ("fixed at their defaults" if self.fixed_params else "every value within their bounds"),
            "every field as the model bounds it, known or unknown; times at or before the evaluation time, "
            "within 100 years of it, to the microsecond; UTC offsets in whole minutes",
            "numbers are exact: a rule comparing decimals at a boundary the evaluator's floating point "
            "rounds differently is caught by replaying each counterexample",
        ]

    def text(self) -> str:
        """The report for people: what was proved, each counterexample, and the bounds."""
        lines = [f"proved: {p}" for p in self.proved]
        for finding in self.findings:
            w = finding.witness
            if w is None:
                continue
            lines.append(
                f"counterexample for {finding.diagnostic.code} ({w.promise}, {w.exercise}): "
                f"evaluated at {w.as_of}, the evaluator gives '{w.replayed}' (triage {w.triage})"
            )
            lines += [f"  session: {s}" for s in w.sessions]
            lines += [f"  parameter {name} = {_shown(v)}" for name, v in w.parameters.items()]
            lines += [
                f"  {path} = {_shown(v)}" + (f" ({w.relative[path]})" if path in w.relative else "")
                for path, v in _known_fields(w.patient)
            ]
        errors = sum(f.diagnostic.severity is Severity.ERROR for f in self.findings)
        warnings = len(self.findings) - errors
        if errors:
            lines.append(
                f"not proved: {errors} error{'s' if errors != 1 else ''}, {warnings} warning"
                f"{'s' if warnings != 1 else ''}; what is listed as proved is {ENDING}:"
            )
        else:
            suffix = f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""
            lines.append(f"every promise and requirement {ENDING}{suffix}:")
        lines += [f"  - {b}" for b in self.bounds()]
        return "\n".join(lines)

    def json(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "ok": not self.refuted,
            "proved": list(self.proved),
            "findings": [_finding_json(f) for f in self.findings],
            "bounds": {
                "slots": dict(self.slots),
                "parameters": "fixed" if self.fixed_params else "symbolic",
                "complete": self.complete,
                "assumptions": self.bounds(),
            },
        }


def finding(
    code: str,
    message: str,
    where: ir.Where | None,
    program: ir.Program,
    hint: str,
    exercise: str | None = None,
    witness: Witness | None = None,
    span: Span | None = None,
) -> Finding:
    """A finding at `where` (the ruleset's header when None)."""
    place = where if where is not None else program.where
    return Finding(make(code, message, place.file, span or place.span, hint), exercise, witness)


def _finding_json(found: Finding) -> dict[str, Any]:
    d = found.diagnostic
    out: dict[str, Any] = {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "file": d.file,
        "line": d.line,
        "column": d.column,
        "hint": d.hint,
        "exercise": found.exercise,
    }
    w = found.witness
    if w is not None:
        out["counterexample"] = {
            "patient": w.patient,
            "parameters": w.parameters,
            "as_of": w.as_of,
            "relative_times": w.relative,
            "predicted": w.predicted,
            "replayed": w.replayed,
            "triage": w.triage,
            "agrees": w.agrees,
        }
    return out


def _known_fields(patient: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in patient.items():
        if key in ("sessions", "as_of"):
            continue
        if isinstance(value, dict):
            out += _known_fields(value, f"{prefix}{key}.")
        elif value is not None:
            out.append((f"{prefix}{key}", value))
    for index, session in enumerate(patient.get("sessions", ()) if not prefix else ()):
        for key, value in session.items():
            if key not in ("exercise", "at") and value is not None:
                out.append((f"sessions[{index}].{key}", value))
    return out


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
