"""The Decision: what an evaluation answers, as pydantic models with the JSON of contracts.md section 4.

`model_dump(mode="json")` gives exactly the contract's JSON (the `trace` key
appears only when a trace was asked for); `explain()` gives the same as text
a clinician reads, ending with the decision-support disclaimer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, PrivateAttr, field_serializer, model_serializer

from clinrules.base.terminal import printable
from clinrules.base.vocabulary import DISCLAIMER, Care, RedFlagState, Triage, Verdict
from clinrules.decision.pending import ExercisesOnRead, exercises_of

__all__ = [
    "DISCLAIMER",
    "AssessmentResult",
    "Care",
    "DataWarning",
    "Decision",
    "DoseValue",
    "ExerciseDecision",
    "Question",
    "RedFlagState",
    "RulesetInfo",
    "ScoreRange",
    "TraceEntry",
    "TracePart",
    "Triage",
    "Verdict",
    "Where",
    "explain_text",
    "format_time",
    "recheck_words",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")

DoseValue = int | float | str | list[int | float]


class RulesetInfo(BaseModel):
    """Which ruleset decided."""

    model_config = _FROZEN

    id: str
    version: str
    status: str
    sha256: str


class ExerciseDecision(BaseModel):
    """The advice for one exercise."""

    model_config = _FROZEN

    verdict: Verdict
    because: list[str]
    dose: dict[str, DoseValue] | None
    instead: list[str]
    progress_to: str | None
    regress_to: str | None
    say: list[str]
    notes: list[str]
    cite: list[str]
    recheck_at: dt.datetime | None = None
    """The earliest instant after `as_of` at which the same data gives another verdict, or null."""

    @field_serializer("recheck_at")
    def _utc(self, value: dt.datetime | None) -> str | None:
        return None if value is None else format_time(value)


class Where(BaseModel):
    """A span in a rule file."""

    model_config = _FROZEN

    file: str
    line: int
    column: int
    end_line: int
    end_column: int


class TracePart(BaseModel):
    """One item of a score (with its `points`) or one branch of an assessment, and its outcome.

    `outcome` is `fired`, `not_fired` or `unknown`, or `not_tried` for a
    branch after the one that decided.
    """

    model_config = _FROZEN

    text: str
    outcome: str
    points: int | None = None


class TraceEntry(BaseModel):
    """How one red flag, one rule for one exercise, one score or `count of`, or one assessment came out, and why.

    A score's entry (`kind` `score` or `count_of`) has `range` and `parts`
    (its items); an assessment's (`kind` `assessment`) has `value`,
    `possible` and `parts` (its branches). Their `outcome` is `known` or
    `unknown`. These keys are left out of other entries.
    """

    model_config = _FROZEN

    kind: str
    id: str
    exercise: str | None
    outcome: str
    values: dict[str, Any]
    missed: list[str]
    where: Where
    note: str | None = None
    range: list[int | float] | None = None
    value: str | None = None
    possible: list[str] | None = None
    parts: list[TracePart] | None = None

    @model_serializer(mode="wrap")
    def _without_other_kinds(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.parts is None:
            for key in ("range", "value", "possible", "parts"):
                data.pop(key, None)
        elif self.kind == "assessment":
            data.pop("range", None)
        else:
            data.pop("value", None)
            data.pop("possible", None)
        return data


class ScoreRange(BaseModel):
    """A score's value: the lowest and highest totals its unknown items allow (low = high when known)."""

    model_config = _FROZEN

    low: int | float
    high: int | float


class AssessmentResult(BaseModel):
    """An assessment's result (language-2.md section 6).

    Attributes:
        value: the result, or null when it is not settled (or no branch can be true).
        possible: the values still possible, in branch order; [value] when known.
        because: the branch that decided, as written; when not settled, the
            branches still open.
        missing: the fields whose answers would settle it, sorted.
        say, notes: those of the deciding branch.
        cite: the assessment's sources.
    """

    model_config = _FROZEN

    value: str | None
    possible: list[str]
    because: list[str]
    missing: list[str]
    say: str | None
    notes: list[str]
    cite: list[str]


class DataWarning(BaseModel):
    """A value of the patient data that was not counted, and why (docs/semantics.md).

    Attributes:
        path: where it is, as the data writes it (`sessions[2].at`).
        reason: why it was not counted (`after as_of (2026-11-21T08:00:00Z): not counted`).
    """

    model_config = _FROZEN

    path: str
    reason: str


class Question(BaseModel):
    """The question for one `missing` field (language-2.md section 4).

    Attributes:
        field: the field's path, as in `missing`.
        ask: the words to ask it in: the model's `ask`, else its description.
        answered_by: `patient`, `clinician` or `device`, or null when the model does not say.
    """

    model_config = _FROZEN

    field: str
    ask: str
    answered_by: Literal["patient", "clinician", "device"] | None


class Decision(BaseModel):
    """The decision for one patient. Decision support, not diagnosis.

    `questions` asks each `missing` field, in the same order. `say`, `notes`
    and `cite` are the triage's own words: those of the fired red flags of
    the most pressing care, empty when none fired. `safety_net` is the
    ruleset's `safety net` text, given whatever the triage, or null.
    `warnings` lists the patient data that was not counted (a time after
    `as_of`), sorted by path; it is empty when everything counted.
    """

    model_config = _FROZEN

    ruleset: RulesetInfo
    as_of: dt.datetime
    recheck_at: dt.datetime | None = None
    """The earliest `recheck_at` of the exercises and of the triage, or null."""
    triage: Triage
    care: Care | None
    red_flags: dict[str, RedFlagState]
    missing: list[str]
    questions: list[Question] = []
    say: list[str] = []
    notes: list[str] = []
    cite: list[str] = []
    safety_net: str | None = None
    exercises: dict[str, ExerciseDecision]
    scores: dict[str, ScoreRange] = {}
    """Every declared score's range, by id."""
    assessments: dict[str, AssessmentResult] = {}
    """Every declared assessment's result, by id."""
    warnings: list[DataWarning] = []
    trace: list[TraceEntry] | None = None
    _titles: dict[str, str] = PrivateAttr(default_factory=dict)
    """The titles of the scores and assessments, for `explain()` (not in the JSON)."""

    @field_serializer("as_of")
    def _utc(self, value: dt.datetime) -> str:
        return format_time(value)

    @field_serializer("recheck_at")
    def _utc_or_null(self, value: dt.datetime | None) -> str | None:
        return None if value is None else format_time(value)

    @model_serializer(mode="wrap")
    def _without_empty_trace(self, handler: Any) -> dict[str, Any]:
        exercises_of(self)  # pydantic reads `__dict__`: the exercises are models by then
        data: dict[str, Any] = handler(self)
        if data.get("trace") is None:
            data.pop("trace", None)
        return data

    # pydantic's methods that read `__dict__` directly, each given the exercises as models first
    # (the rest go through the serializer above or the `exercises` attribute).
    def __eq__(self, other: object) -> bool:
        exercises_of(self)
        if isinstance(other, Decision):
            exercises_of(other)
        return super().__eq__(other)

    def __iter__(self) -> Any:
        exercises_of(self)
        return super().__iter__()

    def __repr_args__(self) -> Any:
        exercises_of(self)
        return super().__repr_args__()

    def __copy__(self) -> Self:
        exercises_of(self)
        return super().__copy__()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        exercises_of(self)
        return super().__deepcopy__(memo)

    def __getstate__(self) -> dict[Any, Any]:
        exercises_of(self)
        return super().__getstate__()

    def copy(self, *args: Any, **kwargs: Any) -> Self:  # pydantic's deprecated `copy` reads `__dict__`
        exercises_of(self)
        return super().copy(*args, **kwargs)

    def explain(self) -> str:
        """The decision as text, ending with the disclaimer.

        Without a trace it is for the patient (questions, never field paths);
        with one (`explain=True`) for the clinician (each question with its path).
        """
        return explain_text(self)


setattr(Decision, "exercises", ExercisesOnRead())  # noqa: B010 - once pydantic has made the fields


def format_time(value: dt.datetime) -> str:
    """A time in UTC as `2026-11-21T08:00:00Z` (microseconds only when there are any)."""
    utc = value.astimezone(dt.UTC).replace(tzinfo=None)
    return utc.isoformat() + "Z"


# ---------------------------------------------------------------- the decision as text

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def recheck_words(value: dt.datetime) -> str:
    """`check again after Tue 2 Dec 2025, 18:05 UTC`: a `recheck_at` in words, in UTC.

    The seconds are left out when they are :00 or :01 (a bound that still
    holds at 18:05:00 changes at 18:05:01, "after 18:05"), else shown; the
    names are English whatever the locale.
    """
    utc = value.astimezone(dt.UTC)
    clock = f"{utc:%H:%M}" if utc.second <= 1 and not utc.microsecond else f"{utc:%H:%M:%S}"
    day = f"{_DAYS[utc.weekday()]} {utc.day} {_MONTHS[utc.month - 1]} {utc.year}"
    return f"check again after {day}, {clock} UTC"


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


_ANSWERED_BY = {"clinician": " (for your clinician)", "device": " (recorded by the app or device)"}


def explain_text(decision: Decision) -> str:
    """Render a decision as readable text.

    Without a trace it is text for the patient: questions, never field paths
    (a value not counted is only counted). With a trace (`explain=True`,
    `--explain`) it is for the clinician: each question with its path, each
    warning with its path and reason, and the trace.
    """
    d = decision
    clinician = d.trace is not None
    lines = [
        f"Ruleset {d.ruleset.id} {d.ruleset.version} ({d.ruleset.status}), as of {format_time(d.as_of)}",
        "",
        "Triage: " + _TRIAGE[d.triage.value] + (f" ({_CARE[d.care.value]})" if d.care else ""),
    ]
    lines.extend(_words(d.say, d.notes, d.cite))
    if d.safety_net is not None:
        lines.append(f"Safety net: {d.safety_net}")
    if d.recheck_at is not None:
        words = recheck_words(d.recheck_at)
        lines.append(words[0].upper() + words[1:] + ": this decision may change then")
    fired = [name for name, state in d.red_flags.items() if state.value != "clear"]
    if fired:
        lines.append("Red flags: " + ", ".join(f"{n} {d.red_flags[n].value}" for n in fired))
    if d.questions:
        lines.append("Questions to answer:")
        for q in d.questions:
            where = f" [{q.field}]" if clinician else ""
            lines.append(f"  - {q.ask}{_ANSWERED_BY.get(q.answered_by or '', '')}{where}")
    elif d.missing:  # a decision made without questions (validated from older JSON)
        lines.append(
            f"Questions to answer: {len(d.missing)}" + (f" ({', '.join(d.missing)})" if clinician else "")
        )
    if d.warnings and clinician:
        lines.append("Warnings:")
        lines.extend(f"  {w.path}: {w.reason}" for w in d.warnings)
    elif d.warnings:
        count = len(d.warnings)
        lines.append(
            f"Warnings: {count} {'value' if count == 1 else 'values'} in the data could not be counted "
            "(recorded after the time of this decision)"
        )
    lines.extend(_scored(d, clinician))
    lines.extend(_exercises(d))
    if d.trace is not None:
        asks = {q.field: q.ask for q in d.questions}
        lines.append("")
        lines.append("Trace:")
        for entry in d.trace:
            target = f" for {entry.exercise}" if entry.exercise else ""
            where = f"{entry.where.file}:{entry.where.line}"
            lines.append(f"  {entry.kind} {entry.id}{target}: {_outcome(entry)} ({where})")
            for part in entry.parts or ():
                points = f" ({part.points:+d})" if part.points is not None else ""
                lines.append(f"      {part.outcome}: {part.text}{points}")
            for path, value in entry.values.items():
                lines.append(f"      read {path} = {value}")
            for path in entry.missed:
                lines.append(f"      missing {path}" + (f": {asks[path]}" if path in asks else ""))
            if entry.note:
                lines.append(f"      note: {entry.note}")
    lines.extend(["", DISCLAIMER])
    # Patient keys and values in the trace are the caller's: shown escaped (base/terminal.py).
    return printable("\n".join(lines) + "\n")


def _words(say: list[str], notes: list[str], cite: list[str]) -> list[str]:
    out = [f"  say: {s}" for s in say] + [f"  note: {n}" for n in notes]
    if cite:
        out.append(f"  sources: {', '.join(cite)}")
    return out


def _outcome(entry: TraceEntry) -> str:
    if entry.range is not None:
        return _range_words(entry.range[0], entry.range[1])
    if entry.possible is not None:
        return entry.value or _unsettled(entry.possible)
    return entry.outcome


def _range_words(low: int | float, high: int | float) -> str:
    return f"{low:g}" if low == high else f"{low:g} to {high:g} (not settled)"


def _unsettled(possible: list[str]) -> str:
    if not possible:
        return "no value (no branch can be true)"
    listed = possible[0] if len(possible) == 1 else f"{', '.join(possible[:-1])} or {possible[-1]}"
    return f"not settled: {listed}"


def _scored(d: Decision, clinician: bool) -> list[str]:
    """The scores and assessments, each on a line; for the clinician, with what it rests on.

    `because` holds conditions as written and `missing` field paths: words
    for the clinician only; a patient's unanswered items are asked above.
    """
    out: list[str] = []
    titles: dict[str, str] = (d.__pydantic_private__ or {}).get("_titles", {})

    def named(name: str) -> str:
        return f"{titles[name]} ({name})" if name in titles else name

    if d.scores:
        out += ["", "Scores:"]
        out += [f"  {named(name)}: {_range_words(r.low, r.high)}" for name, r in d.scores.items()]
    if d.assessments:
        out += ["", "Assessments:"]
        for name, a in d.assessments.items():
            out.append(f"  {named(name)}: {a.value or _unsettled(a.possible)}")
            if a.because and clinician:
                out.append(f"    because: {'; '.join(a.because)}")
            if a.missing and clinician:
                out.append(f"    missing: {', '.join(a.missing)}")
            if a.say:
                out.append(f"    say: {a.say}")
            out.extend(f"    note: {n}" for n in a.notes)
            if a.cite:
                out.append(f"    sources: {', '.join(a.cite)}")
    return out


def _exercises(d: Decision) -> list[str]:
    """Each exercise's block; under a red flag, one block for all when every block says the same.

    A red flag makes every exercise urgent with the same reasons and words:
    sixteen identical blocks hide what matters, so they are said once, with
    the ids they stand for (nothing is lost). The JSON keeps one per exercise.
    The words of an urgent exercise are the triage's, shown once above.
    """
    urgent = d.triage.value == "urgent"
    blocks = [_exercise(name, e, urgent) for name, e in d.exercises.items()]
    bodies = {tuple(block[1:]) for block in blocks}
    if urgent and len(blocks) > 1 and len(bodies) == 1:
        head = _exercise("All exercises", next(iter(d.exercises.values())), urgent)[0]
        return ["", head, *blocks[0][1:], f"  exercises: {', '.join(d.exercises)}"]
    return [line for block in blocks for line in ("", *block)]


def _exercise(name: str, e: ExerciseDecision, urgent: bool = False) -> list[str]:
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
    if not urgent:
        out.extend(_words(e.say, e.notes, e.cite))
    if e.recheck_at is not None:
        out.append(f"  {recheck_words(e.recheck_at)}")
    return out


def _dose(key: str, value: DoseValue) -> str:
    if isinstance(value, str):
        return f"{key} {value}"
    amount = f"{value[0]:g} to {value[1]:g}" if isinstance(value, list) else f"{value:g}"
    if key == "daily":
        return f"{amount} times a day"
    unit = {"hold": " s", "rest": " s", "load": " % bodyweight", "range": " inches"}.get(key, "")
    return f"{key} {amount}{unit}"
