"""Evaluator: a compiled program and a patient -> the outcome of every red flag and rule.

This module turns the input into the compiled functions' arguments (the
patient, the parameters, the time, the sessions) and calls them. It stops at
outcomes (True, False or None per red flag and rule): the next stage,
`clinrules.decision.combine`, makes them a Decision by the rules of
language.md section 7.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from clinrules import ir
from clinrules.base.errors import ExerciseError
from clinrules.check.doses import dose_json
from clinrules.engine.compiler import CompiledProgram, compile_program
from clinrules.engine.inputs import evaluation_time, parameter_values, patient_of, sessions_of
from clinrules.schema import types as t

__all__ = ["Evaluator", "Inputs", "LazyOutcomes", "Outcomes"]

_NO_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Read-only stand-ins for a ruleset that reads no session: shared by every
# evaluation, so they must not be mutable.
_NO_SESSIONS: tuple[Any, ...] = ()
_NO_SESSIONS_BY_EXERCISE: Mapping[str, Sequence[Any]] = MappingProxyType({})


Inputs = tuple[Any, tuple[Any, ...], dt.datetime, Sequence[Any], Mapping[str, Sequence[Any]]]
"""The compiled functions' arguments: patient, parameters, time, sessions, sessions by exercise."""


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

    def __init__(self, program: ir.Program) -> None:
        self.program = program
        self.compiled: CompiledProgram = compile_program(program)
        schema = program.schema
        self.model = schema.model
        self.has_sessions = schema.has_sessions
        self.uses_time = self.has_sessions or any(
            _reads_time(c)
            for c in (*(f.condition for f in program.red_flags), *(r.condition for r in program.rules))
        )
        self.has_as_of = isinstance(getattr(schema.fields.get("as_of"), "type", None), t.DateTimeType)
        # Shared by every thread and every evaluation: read-only views and
        # tuples, so no caller can change what the next evaluation sees.
        self.rules_for: Mapping[str, tuple[int, ...]] = MappingProxyType(
            {
                ex: tuple(i for i, r in enumerate(program.rules) if ex in r.targets.exercises)
                for ex in program.exercises
            }
        )
        self.exercise_ids = tuple(sorted(program.exercises))
        self.default_doses: Mapping[str, Mapping[str, Any] | None] = MappingProxyType(
            {ex: _frozen_dose(dose_json(e.dose)) for ex, e in program.exercises.items()}
        )
        self.rule_verdicts: Mapping[str, tuple[tuple[int, str, str | None], ...]] = MappingProxyType(
            {
                ex: tuple((i, program.rules[i].verdict, program.rules[i].when_unknown) for i in indexes)
                for ex, indexes in self.rules_for.items()
            }
        )
        self.flag_order = tuple(sorted(range(len(program.red_flags)), key=lambda i: program.red_flags[i].id))
        self.defaults = parameter_values(program.parameters, None)

    def default_dose(self, exercise: str) -> dict[str, Any] | None:
        """The exercise's own dose as a decision shows it: a new dict (and lists) for every decision."""
        dose = self.default_doses[exercise]
        if dose is None:
            return None
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dose.items()}

    # ------------------------------------------------------------ the entry points

    def inputs(
        self, state: object, parameters: Mapping[str, object] | None = None, as_of: object = None
    ) -> Inputs:
        """The checked inputs of one evaluation; the state is always validated.

        Raises:
            PatientDataError: the state is not valid for the model.
            ParameterError: a parameter override is not allowed.
        """
        program = self.program
        patient = patient_of(program.schema, state)
        now = evaluation_time(as_of, patient, self.has_as_of)
        params = self.defaults if parameters is None else parameter_values(program.parameters, parameters)
        sessions, by_ex = sessions_of(patient, now, program.schema.has_sessions)
        return (patient, params, now, sessions, by_ex)

    def rule_outcomes(self, inputs: Inputs, wanted: tuple[str, ...]) -> Any:
        """Every rule's outcome when every exercise is reported; else only what is read (lazily)."""
        if len(wanted) == len(self.exercise_ids):
            patient, params, now, _sessions, by_ex = inputs
            return self.compiled.all_rules(patient, params, now, by_ex)
        return LazyOutcomes(self, inputs)

    def outcomes(
        self, state: object, parameters: Mapping[str, object] | None = None, as_of: object = None
    ) -> Outcomes:
        """Every red flag's and rule's outcome, without building a Decision; see `RuleSet.outcomes`."""
        model = self.model
        patient = state if type(state) is model else patient_of(self.program.schema, state)
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

    def wanted(self, exercises: Iterable[str] | None) -> tuple[str, ...]:
        """The exercises to report, sorted; all of them for None.

        Raises:
            ExerciseError: an exercise the ruleset does not know.
        """
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


class LazyOutcomes:
    """Rule outcomes computed on first use, for an evaluation that reports a few exercises."""

    def __init__(self, evaluator: Evaluator, inputs: tuple[Any, ...]) -> None:
        self.ev = evaluator
        self.inputs = inputs
        self.values: dict[int, Any] = {}

    def __getitem__(self, index: int) -> Any:
        if index not in self.values:
            patient, params, now, _sessions, by_ex = self.inputs
            function = self.ev.compiled.rules[index]
            if self.ev.compiled.own_sessions[index]:
                targets = self.ev.program.rules[index].targets.exercises
                self.values[index] = {
                    x: function(patient, params, now, by_ex.get(x, ()), by_ex) for x in targets
                }
            else:
                self.values[index] = function(patient, params, now, (), by_ex)
        return self.values[index]


def _frozen_dose(dose: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """A dose's JSON form that cannot change: [low, high] becomes a tuple."""
    if dose is None:
        return None
    return MappingProxyType({k: tuple(v) if isinstance(v, list) else v for k, v in dose.items()})


def _reads_time(condition: ir.Condition) -> bool:
    """Whether a condition reads `now` or the session log."""
    return any(isinstance(n, ir.Now | ir.History) for n in ir.nodes(condition))
