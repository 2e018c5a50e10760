"""Evaluator: a compiled program and a patient -> a Decision, by the rules of language.md section 7.

This module turns the input into the compiled functions' arguments (the
patient, the parameters, the time, the sessions) and calls them; combine.py
combines their outcomes into the Decision: red flags first, then the most
restrictive verdict per exercise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from clinrules import ir
from clinrules import types as t
from clinrules.combine import Combination, LazyOutcomes
from clinrules.compiler import CompiledProgram, compile_program
from clinrules.decision import Decision, RulesetInfo
from clinrules.doses import dose_json
from clinrules.errors import ExerciseError
from clinrules.inputs import evaluation_time, parameter_values, patient_of, sessions_of

__all__ = ["Evaluator", "Outcomes"]

_NO_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Read-only stand-ins for a ruleset that reads no session: shared by every
# evaluation, so they must not be mutable.
_NO_SESSIONS: tuple[Any, ...] = ()
_NO_SESSIONS_BY_EXERCISE: Mapping[str, Sequence[Any]] = MappingProxyType({})


class Outcomes(NamedTuple):
    """The raw outcomes of one evaluation: True (fired), False, or None (unknown).

    Attributes:
        red_flags: one per red flag, in the order of `RuleSet.program.red_flags`.
        rules: one per rule, in the order of `RuleSet.program.rules`: a truth
            value, or, for a rule that reads its own exercise's sessions, a
            dict exercise id -> truth value.
    """

    red_flags: tuple[bool | None, ...]
    rules: tuple[bool | dict[str, bool | None] | None, ...]


class Evaluator:
    """Evaluates patients against one checked program. Immutable; safe to share between threads."""

    def __init__(self, program: ir.Program, sha256: str) -> None:
        self.program = program
        self.compiled: CompiledProgram = compile_program(program)
        self.info = RulesetInfo(id=program.id, version=program.version, status=program.status, sha256=sha256)
        schema = program.schema
        self.model = schema.model
        self.has_sessions = schema.has_sessions
        self.uses_time = self.has_sessions or any(
            _reads_time(c)
            for c in (*(f.condition for f in program.red_flags), *(r.condition for r in program.rules))
        )
        self.has_as_of = isinstance(getattr(schema.fields.get("as_of"), "type", None), t.DateTimeType)
        self.rules_for: dict[str, tuple[int, ...]] = {
            ex: tuple(i for i, r in enumerate(program.rules) if ex in r.targets.exercises)
            for ex in program.exercises
        }
        self.exercise_ids = tuple(sorted(program.exercises))
        self.default_doses = {ex: dose_json(e.dose) for ex, e in program.exercises.items()}
        self.rule_verdicts = {
            ex: tuple((i, program.rules[i].verdict, program.rules[i].when_unknown) for i in indexes)
            for ex, indexes in self.rules_for.items()
        }
        self.flag_order = sorted(range(len(program.red_flags)), key=lambda i: program.red_flags[i].id)
        self.defaults = parameter_values(program.parameters, None)

    # ------------------------------------------------------------ the public entry point

    def evaluate(
        self,
        state: object,
        exercises: Iterable[str] | None = None,
        parameters: Mapping[str, object] | None = None,
        as_of: object = None,
        explain: bool = False,
    ) -> Decision:
        """Evaluate one patient; see `RuleSet.evaluate`."""
        program = self.program
        wanted = self._wanted(exercises)
        patient = patient_of(program.schema.model, state)
        now = evaluation_time(as_of, patient, self.has_as_of)
        params = self.defaults if parameters is None else parameter_values(program.parameters, parameters)
        sessions, by_ex = sessions_of(patient, now, program.schema.has_sessions)
        flags = self.compiled.all_flags(patient, params, now, sessions, by_ex)
        inputs = (patient, params, now, sessions, by_ex)
        # Every rule at once when every exercise is reported; else only the
        # rules that the reported exercises (and their alternatives) need.
        outcomes: Any = (
            self.compiled.all_rules(patient, params, now, by_ex)
            if len(wanted) == len(self.exercise_ids)
            else LazyOutcomes(self, inputs)
        )
        return Combination(self, inputs, flags, outcomes, wanted, explain).decision()

    def outcomes(
        self, state: object, parameters: Mapping[str, object] | None = None, as_of: object = None
    ) -> Outcomes:
        """Every red flag's and rule's outcome, without building a Decision; see `RuleSet.outcomes`."""
        model = self.model
        patient = state if type(state) is model else patient_of(model, state)
        if as_of is None and not self.has_as_of:
            # No rule reads the time or a session: the clock is not even read.
            now = dt.datetime.now(dt.UTC) if self.uses_time else _NO_TIME
        else:
            now = evaluation_time(as_of, patient, self.has_as_of)
        params = (
            self.defaults if parameters is None else parameter_values(self.program.parameters, parameters)
        )
        sessions: Sequence[Any]
        by_ex: Mapping[str, Sequence[Any]]
        if self.has_sessions:
            sessions, by_ex = sessions_of(patient, now, True)
        else:
            sessions, by_ex = _NO_SESSIONS, _NO_SESSIONS_BY_EXERCISE
        compiled = self.compiled
        flags = compiled.all_flags(patient, params, now, sessions, by_ex)
        return Outcomes(flags, compiled.all_rules(patient, params, now, by_ex))

    def _wanted(self, exercises: Iterable[str] | None) -> tuple[str, ...]:
        if exercises is None:
            return self.exercise_ids
        if isinstance(exercises, str):
            exercises = [exercises]
        asked = sorted(set(exercises))
        unknown = [e for e in asked if e not in self.program.exercises]
        if unknown:
            raise ExerciseError(
                f"unknown exercise {', '.join(repr(e) for e in unknown)}; "
                f"this ruleset's exercises: {', '.join(self.exercise_ids)}"
            )
        return tuple(asked)


def _reads_time(condition: ir.Condition) -> bool:
    """Whether a condition reads `now` or the session log."""
    return any(isinstance(n, ir.Now | ir.History) for n in ir.nodes(condition))
