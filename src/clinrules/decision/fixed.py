"""Decision, fixed parts: what every decision of one ruleset shares whatever the patient, made once.

The combination (`decision.combine`) works out, per patient, which rules
set each exercise's verdict. Most exercises end up set by one rule alone,
with no move to make and no alternative to offer: their record is then the
rule's own words, known when the ruleset is loaded. So is the red flags'
order by id, and the words of each red flag firing alone. This module
makes them once per ruleset (`RuleSet` keeps one), so a decision looks them
up instead of working them out. Everything here is a tuple or a read-only
mapping: immutable, shared by every thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import itemgetter
from types import MappingProxyType
from typing import Any, NamedTuple

from clinrules import ir
from clinrules.check.doses import dose_json, merge_doses
from clinrules.decision import messages
from clinrules.decision.made import DEFAULT_DOSE, NONE, DefaultDose, ExerciseRecord
from clinrules.decision.result import Care, RedFlagState, Verdict
from clinrules.engine.evaluator import Evaluator

__all__ = ["Entry", "FixedParts", "FlagWords"]

_MOVES = frozenset({"progress", "regress"})
_FLAG_STATE = {True: RedFlagState.FIRED, False: RedFlagState.CLEAR, None: RedFlagState.UNKNOWN}


class Entry(NamedTuple):
    """One rule of an exercise, as the combination reads it.

    `alone`: the exercise's record when this rule is the only one that set
    its verdict, fired (not through `when unknown`) and no red flag is
    unknown; None when that record depends on the patient (a move to a
    target, alternatives to check) and must be worked out.
    """

    rule: int
    verdict: str
    when_unknown: str | None
    alone: ExerciseRecord | None


class FlagWords(NamedTuple):
    """A red flag's care and words, as a decision gives them when it is the only one fired."""

    care: Care
    say: tuple[str, ...]
    notes: tuple[str, ...]
    cite: tuple[str, ...]


class FixedParts:
    """The parts of a ruleset's decisions that no patient changes. Immutable; safe to share between threads.

    Attributes:
        questions: the question of each field.
        flag_ids: the red flags' ids, sorted (the order a decision lists them in).
        in_id_order: a red flags' outcomes tuple (program order) -> the same outcomes in `flag_ids` order.
        alone: by red flag id, its care and words when it is the only one fired.
        entries: by exercise, the rules that target it, in program order.
    """

    __slots__ = ("alone", "entries", "flag_ids", "in_id_order", "questions")

    def __init__(self, evaluator: Evaluator) -> None:
        program = evaluator.program
        self.questions = messages.Questions(program.schema)
        order = evaluator.flag_order
        self.flag_ids: tuple[str, ...] = tuple(program.red_flags[i].id for i in order)
        self.in_id_order: Callable[[tuple[bool | None, ...]], tuple[bool | None, ...]] = _getter(order)
        self.alone: Mapping[str, FlagWords] = MappingProxyType(
            {
                f.id: FlagWords(
                    f.care,
                    (f.messages.say,) if f.messages.say else (),
                    (f.messages.note,) if f.messages.note else (),
                    tuple(sorted(set(f.messages.cite))),
                )
                for f in program.red_flags
            }
        )
        self.entries: Mapping[str, tuple[Entry, ...]] = MappingProxyType(
            {
                ex: tuple(
                    Entry(index, verdict, when_unknown, _alone(program, program.rules[index], ex))
                    for index, verdict, when_unknown in verdicts
                )
                for ex, verdicts in evaluator.rule_verdicts.items()
            }
        )

    def flag_states(
        self, flags: tuple[bool | None, ...]
    ) -> tuple[dict[str, RedFlagState], list[str], list[str]]:
        """Each red flag's state by id, and the ids of those fired and those unknown: all in id order."""
        ids, in_order = self.flag_ids, self.in_id_order(flags)
        # As many ids as outcomes, by construction: zip need not check.
        states = dict(zip(ids, map(_FLAG_STATE.__getitem__, in_order)))  # noqa: B905
        fired = [f for f, value in zip(ids, in_order) if value is True] if True in flags else []  # noqa: B905
        unknown = [f for f, value in zip(ids, in_order) if value is None] if None in flags else []  # noqa: B905
        return states, fired, unknown

    def fired_words(
        self, program: ir.Program, fired: list[str]
    ) -> tuple[Care, list[str], list[str], list[str]]:
        """The care, `say`, `notes` and `cite` of a decision whose red flags `fired` (by id, sorted)."""
        if len(fired) == 1:
            care, say, notes, cite = self.alone[fired[0]]
            return care, [*say], [*notes], [*cite]
        pressing = messages.most_pressing(program, fired)
        return (pressing[0].care, *messages.flag_words(pressing))


def _getter(order: tuple[int, ...]) -> Callable[[tuple[bool | None, ...]], tuple[bool | None, ...]]:
    if len(order) > 1:
        return itemgetter(*order)
    if order:
        only = order[0]
        return lambda flags: (flags[only],)
    return lambda flags: ()


def _alone(program: ir.Program, rule: ir.Rule, ex: str) -> ExerciseRecord | None:
    """The record `Combination._final` makes for an exercise set by `rule` alone, fired, no red flag unknown.

    None for a move (its target is checked per patient) and for a rule with
    alternatives (each is offered only when permitted for this patient).
    """
    verdict = rule.verdict
    if verdict in _MOVES or rule.instead:
        return None
    dose: dict[str, Any] | DefaultDose | None = None
    if verdict == "modify":
        dose = dose_json(merge_doses(program.exercises[ex].dose, [] if rule.dose is None else [rule.dose]))
    elif verdict == "allow":
        dose = DEFAULT_DOSE
    said = rule.messages
    return (
        Verdict(verdict),
        (rule.id,),
        dose,
        NONE,
        None,
        None,
        (said.say,) if said.say else NONE,
        (said.note,) if said.note else NONE,
        tuple(sorted(set(said.cite))),
    )
