"""The checked program's declarations: sources, parameters, exercises, ladders, red flags, rules.

Spans and file names stay on every declaration a trace or a diagnostic may
point at (`Where`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum
from types import MappingProxyType

from clinrules.base.records import record
from clinrules.base.span import Span
from clinrules.base.vocabulary import Care
from clinrules.ir.nodes import Assessment, Condition, History, Score
from clinrules.schema import types as t
from clinrules.schema.reader import Schema
from clinrules.syntax.ast import ScopeKind

# ---------------------------------------------------------------- declarations


@record(eq=False)
class Where:
    """A declaration's place: its file and span."""

    file: str
    span: Span


@record(eq=False)
class Source:
    """A citable reference."""

    id: str
    title: str
    publisher: str | None
    year: int | None
    url: str | None
    where: Where


@record(eq=False)
class Parameter:
    """A setting a clinician may change per patient: a threshold within its bounds, in its unit, or a yes/no.

    A yes/no parameter (`parameter beyond_bridge_approved = no`) has the type
    `t.BOOL`, a bool default and no bounds; a parameter is never unknown.
    """

    id: str
    type: t.NumberType | t.BoolType
    default: int | float | bool
    low: int | float | None
    high: int | float | None
    where: Where
    title: str | None = None

    @property
    def kind(self) -> str:
        """`"number"` or `"yes/no"`."""
        return "yes/no" if isinstance(self.type, t.BoolType) else "number"


@record(eq=False)
class Amount:
    """A dose amount: `low` alone, or `low to high`."""

    low: float
    high: float


@record(eq=False)
class Dose:
    """A dose, attribute by attribute: hold and rest in seconds, range as a word or inches."""

    reps: Amount | None = None
    sets: Amount | None = None
    hold: Amount | None = None
    rest: Amount | None = None
    daily: Amount | None = None
    range: str | Amount | None = None
    load: Amount | None = None


@record(eq=False)
class Exercise:
    """An exercise the ruleset advises on; `ladder`/`rung` place it on its ladder."""

    id: str
    name: str
    tags: tuple[str, ...]
    dose: Dose | None
    ladder: str | None
    rung: int | None
    where: Where


@record(eq=False)
class Ladder:
    """An ordered progression, easiest first."""

    id: str
    rungs: tuple[str, ...]
    where: Where


@record(eq=False)
class Messages:
    """The words a rule or red flag gives when it sets the verdict."""

    say: str | None = None
    note: str | None = None
    cite: tuple[str, ...] = ()


@record(eq=False)
class Assumption:
    """`assumption "TEXT"`: what a rule or red flag rests on that no cited source states, and where it is."""

    text: str
    where: Where


@record(eq=False)
class RedFlag:
    """A finding that ends all exercise advice."""

    id: str
    title: str | None
    condition: Condition
    care: Care
    messages: Messages
    where: Where
    assumptions: tuple[Assumption, ...] = ()


class UnknownFrom(StrEnum):
    """Who decided what an unknown condition of a rule does.

    `IGNORE` (`when unknown ignore`, written) and `NONE` (nothing written)
    both leave an unknown rule unfired, but only `IGNORE` is the author's
    decision: the checker warns about `NONE` (CR507) and never about it.
    """

    RULE = "rule"  # the rule's own `when unknown VERDICT`
    HEADER = "header"  # the header's `unknown VERDICT`
    IGNORE = "ignore"  # the rule's `when unknown ignore`
    NONE = "none"  # nothing said


@record(eq=False)
class Targets:
    """What a rule is about, as written (`names`: each item in words) and as resolved to exercise ids."""

    kind: str  # "every" (every exercise [except ...]) or "list"
    names: tuple[str, ...]
    exercises: tuple[str, ...]


@record(eq=False)
class Rule:
    """Advice about its target exercises.

    Attributes:
        verdict: `stop avoid check regress modify allow progress`.
        to: the named target of `progress to`/`regress to`, else None (one rung).
        when_unknown: the verdict an unknown condition counts as (the rule's
            own `when unknown`, else the header's `unknown` for rules other
            than allow and progress), or None: an unknown rule does not fire.
        unknown_from: where `when_unknown` came from; `IGNORE` when the rule
            says `when unknown ignore` (which overrides the header).
        unknown_say: the rule's own words when it is set through `when
            unknown VERDICT say "TEXT"`, else None (the questions are asked).
        assumptions: its `assumption` texts, in the order written.
    """

    id: str
    title: str | None
    targets: Targets
    verdict: str
    to: str | None
    condition: Condition
    instead: tuple[str, ...]
    dose: Dose | None
    when_unknown: str | None
    messages: Messages
    where: Where
    unknown_from: UnknownFrom = UnknownFrom.NONE
    unknown_say: str | None = None
    assumptions: tuple[Assumption, ...] = ()


class RequireKind(StrEnum):
    """How a `require` invariant bounds its targets' verdicts (issue 17)."""

    AT_LEAST = "at least"  # `require ID: C implies TARGETS at least VERDICT`
    AT_MOST = "at most"  # `require ID: C implies TARGETS at most VERDICT`
    NEVER = "never"  # `require ID: no TARGETS VERDICT when C`


@record(eq=False)
class Requirement:
    """A `require` invariant: a promise about the final verdicts, proved by `clinrules prove`.

    It never changes a decision. `condition` is typed like a rule's; its
    session phrases read each target's sessions (a target-relative scope
    resolves per target, as in a rule). The premise counts only when it is
    definitely true: an unknown premise promises nothing.

    Attributes:
        verdict: the bound (`at least`/`at most`, the verdict order of
            `Verdict`, `urgent` the strictest) or, for `NEVER`, the final
            verdict no target may get.
    """

    id: str
    title: str | None
    condition: Condition
    targets: Targets
    kind: RequireKind
    verdict: str
    where: Where


@record(eq=False)
class Review:
    """A `reviewed DATE by "WHO"` line."""

    date: str
    by: str


@record(eq=False)
class Program:
    """A checked ruleset or library, ready to compile.

    Attributes:
        sources_text: (file name, text) of the file and every file it
            includes, in load order: what `sha256` is computed over.
        safety_net: the header's `safety net` text, shown with every
            decision whatever its triage, or None.
    """

    id: str
    kind: str
    title: str | None
    version: str
    status: str
    model: str
    reviews: tuple[Review, ...]
    unknown_default: str | None
    schema: Schema
    sources: Mapping[str, Source]
    parameters: Mapping[str, Parameter]
    exercises: Mapping[str, Exercise]
    ladders: Mapping[str, Ladder]
    red_flags: tuple[RedFlag, ...]
    rules: tuple[Rule, ...]
    otherwise: str
    sources_text: tuple[tuple[str, str], ...]
    where: Where
    safety_net: str | None = None
    scores: Mapping[str, Score] = field(default_factory=dict)
    """The declared scores, by id, in declaration order (language-2.md section 5)."""
    assessments: Mapping[str, Assessment] = field(default_factory=dict)
    """The declared assessments, by id, in declaration order (language-2.md section 6)."""
    requirements: tuple[Requirement, ...] = ()
    """The `require` invariants, in declaration order; only `prove` reads them (issue 17)."""

    def __post_init__(self) -> None:
        # Read-only copies: a caller that changed a mapping of a loaded
        # program (a parameter's bounds, say) would change every later
        # evaluation, and the checker keeps the dicts it built.
        for name in ("sources", "parameters", "exercises", "ladders", "scores", "assessments"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))


def scope_exercises(
    exercises: Mapping[str, Exercise],
    ladders: Mapping[str, Ladder],
    history: History,
    target: str | None,
) -> frozenset[str] | None:
    """The exercise ids whose sessions `history` reads for `target` (None: every session).

    `target` is the rule's exercise, or None in a red flag. The checker
    refuses a ladder scope in a red flag or for a target on no ladder (CR423);
    here such a pair selects nothing. `on the rung below` the lowest rung
    selects nothing (language-2.md section 1).
    """
    match history.scope:
        case None:
            return None if target is None else frozenset({target})
        case ScopeKind.EXERCISE:
            return frozenset({history.exercise or ""})
        case ScopeKind.ANY:
            return None
        case ScopeKind.TAGGED:
            return frozenset(e.id for e in exercises.values() if history.tag in e.tags)
    exercise = exercises.get(target or "")
    if exercise is None or exercise.ladder is None or exercise.rung is None:
        return frozenset()
    rungs, rung = ladders[exercise.ladder].rungs, exercise.rung
    if history.scope is ScopeKind.LADDER:
        return frozenset(rungs)
    return frozenset(rungs[:rung] if history.scope is ScopeKind.LOWER else rungs[max(rung - 1, 0) : rung])


def next_rung(program: Program, exercise: str, move: str) -> str | None:
    """The rung one step up (`progress`) or down (`regress`) from an exercise, or None.

    None for an exercise on no ladder and past either end of its ladder: a
    `progress`/`regress` without `to` names no target then (the decision
    and `prove` read it alike).
    """
    found = program.exercises[exercise]
    if found.ladder is None or found.rung is None:
        return None
    rungs = program.ladders[found.ladder].rungs
    step = found.rung + (1 if move == "progress" else -1)
    return rungs[step] if 0 <= step < len(rungs) else None
