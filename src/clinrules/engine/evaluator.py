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
from itertools import repeat
from operator import attrgetter, is_
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple, cast

from clinrules import ir
from clinrules.base.errors import ClinrulesError, ExerciseError
from clinrules.check.doses import dose_json
from clinrules.engine import runtime
from clinrules.engine.compiler import CompiledProgram, compile_program
from clinrules.engine.datachecks import Warnings, sorted_warnings, time_fields_of, without_future
from clinrules.engine.inputs import evaluation_time, parameter_values, patient_of, sessions_of
from clinrules.schema import types as t

__all__ = ["Evaluator", "Inputs", "LazyOutcomes", "OutcomeIdError", "Outcomes"]

_NO_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# `Outcomes(flags, rules)` without the Python frame of a named tuple's `__new__`: the same tuple.
_new = tuple.__new__
# Read-only stand-ins for a ruleset that reads no session: shared by every
# evaluation, so they must not be mutable.
_NO_SESSIONS: tuple[Any, ...] = ()
_NO_BY_EX: Mapping[str, Sequence[Any]] = MappingProxyType({})


Inputs = tuple[Any, tuple[Any, ...], dt.datetime, Sequence[Any], Mapping[str, Sequence[Any]]]
"""The compiled functions' arguments: patient, parameters, time, sessions, sessions by exercise.

The patient is the one the rules read: a time after `now` in it is unknown
(None), and the sessions hold none after `now` (docs/semantics.md, "Data
that cannot be right"). So another `now` may be put in its place without
counting what was left out.
"""

DataWarnings = tuple[tuple[str, str], ...]
"""(path, reason) for each value not counted, sorted by path: the decision's `warnings`."""


class OutcomeIdError(ClinrulesError, KeyError):
    """`Outcomes.red_flag(id)` or `Outcomes.rule(id)` with an id the ruleset does not have.

    A `KeyError`, as for any lookup by key, and a `ClinrulesError`, as every
    error of the API.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class _OutcomeTuple(NamedTuple):
    red_flags: tuple[bool | None, ...]
    rules: tuple[bool | dict[str, bool | None] | None, ...]


class Outcomes(_OutcomeTuple):
    """The raw outcomes of one evaluation: True (fired), False, or None (unknown).

    A named tuple `(red_flags, rules)`, positional for speed, that also knows
    the ids: `red_flag_ids` and `rule_ids` name each position, `red_flag(id)`
    and `rule(id)` read one outcome by its id, and `by_id()` gives them all
    as mappings. The ids are the ruleset's, shared by all its outcomes (a
    class attribute, not a field): they cost nothing per evaluation.

    Attributes:
        red_flags: one per red flag, in the order of `RuleSet.program.red_flags`
            (and of `red_flag_ids`).
        rules: one per rule, in the order of `RuleSet.program.rules` (and of
            `rule_ids`): a truth value, or, for a rule that reads its own
            exercise's sessions, a dict exercise id -> truth value.
        red_flag_ids: the id of each red flag, in the order of `red_flags`.
        rule_ids: the id of each rule, in the order of `rules`.
    """

    __slots__ = ()
    red_flag_ids: ClassVar[tuple[str, ...]] = ()
    rule_ids: ClassVar[tuple[str, ...]] = ()

    def red_flag(self, id: str) -> bool | None:
        """The outcome of the red flag `id`.

        Raises:
            OutcomeIdError: the ruleset has no red flag `id` (a `KeyError`).
        """
        return self.red_flags[_index(self.red_flag_ids, id, "red flag")]

    def rule(self, id: str) -> bool | dict[str, bool | None] | None:
        """The outcome of the rule `id`: a truth value, or a dict exercise id -> truth value.

        Raises:
            OutcomeIdError: the ruleset has no rule `id` (a `KeyError`).
        """
        return self.rules[_index(self.rule_ids, id, "rule")]

    def by_id(self) -> tuple[Mapping[str, bool | None], Mapping[str, bool | dict[str, bool | None] | None]]:
        """The red flags' and the rules' outcomes by id, as two read-only mappings.

        Two, not one: a red flag and a rule may have the same id.
        """
        return (
            MappingProxyType(dict(zip(self.red_flag_ids, self.red_flags, strict=True))),
            MappingProxyType(dict(zip(self.rule_ids, self.rules, strict=True))),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # A ruleset's class is made at run time: pickled as the plain class, with the ids.
        return (_rebuilt, (self.red_flag_ids, self.rule_ids, self.red_flags, self.rules))


def outcomes_class(red_flag_ids: tuple[str, ...], rule_ids: tuple[str, ...]) -> type[Outcomes]:
    """The `Outcomes` of one ruleset: the same tuple, with its ids as class attributes."""
    attributes = {"__slots__": (), "red_flag_ids": red_flag_ids, "rule_ids": rule_ids}
    made = type("Outcomes", (Outcomes,), {"__module__": __name__, "__qualname__": "Outcomes", **attributes})
    return cast(type[Outcomes], made)


def _rebuilt(
    red_flag_ids: tuple[str, ...], rule_ids: tuple[str, ...], red_flags: Any, rules: Any
) -> Outcomes:
    return outcomes_class(red_flag_ids, rule_ids)(red_flags, rules)


def _index(ids: tuple[str, ...], id: str, what: str) -> int:
    try:
        return ids.index(id)
    except ValueError:
        raise OutcomeIdError(f"no {what} {id!r}; the ids are: {', '.join(ids) or 'none'}") from None


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
        self.time_fields, self.session_time_fields = time_fields_of(schema)
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
        # The fields each condition reads, through phrases, sessions and scores: all it can miss.
        self.flag_fields = tuple(_fields_read(f.condition) for f in program.red_flags)
        self.rule_fields = tuple(_fields_read(r.condition) for r in program.rules)
        read = frozenset().union(*self.flag_fields, *self.rule_fields)
        self.field_reads: Mapping[str, tuple[bool, tuple[str, ...]]] = MappingProxyType(
            {
                path: (False, schema.fields[path].attrs)
                if path in schema.fields
                else (True, schema.session_fields[path.split(".", 1)[-1]].attrs)
                for path in read
                if path in schema.fields or path.split(".", 1)[-1] in schema.session_fields
            }
        )
        self.flag_order = tuple(sorted(range(len(program.red_flags)), key=lambda i: program.red_flags[i].id))
        self.defaults = parameter_values(program.parameters, None)
        self.outcomes_type = outcomes_class(
            tuple(f.id for f in program.red_flags), tuple(r.id for r in program.rules)
        )
        # Decided once per ruleset: with no clock, time field, `as_of` field or session log
        # to read, an instance of the model with the defaults needs none of the work of `checked`.
        reads_inputs = self.uses_time or self.time_fields or self.has_as_of or self.has_sessions
        self.quick = None if reads_inputs else self.compiled.all_outcomes

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
        """The checked inputs of one evaluation; the state is always validated. See `checked`."""
        return self.checked(state, parameters, as_of)[0]

    def checked(
        self, state: object, parameters: Mapping[str, object] | None = None, as_of: object = None
    ) -> tuple[Inputs, DataWarnings]:
        """The checked inputs of one evaluation, and the warnings about what was not counted.

        Raises:
            PatientDataError: the state is not valid for the model, or a
                session is of an exercise the ruleset does not have.
            ParameterError: a parameter override is not allowed.
        """
        program = self.program
        patient = patient_of(program.schema, state, program.exercises)
        now = evaluation_time(as_of, patient, self.has_as_of)
        params = self.defaults if parameters is None else parameter_values(program.parameters, parameters)
        found: Warnings = []
        if self.time_fields:
            patient = without_future(patient, now, self.time_fields, found)
        sessions, by_ex = sessions_of(
            patient, now, self.has_sessions, program.exercises, found, self.session_time_fields
        )
        return (patient, params, now, sessions, by_ex), sorted_warnings(found) if found else ()

    def field_unknown(self, inputs: Inputs, path: str) -> bool:
        """Whether a field the rules read is unknown in these inputs, so that an outcome can miss it.

        A patient field is unknown when it, or a group above it, is None; a
        session field when it is None in a counted session. The interpreter
        reads them the same way (`interpret._read`). A path the rules do not
        read counts as unknown.
        """
        found = self.field_reads.get(path)
        if found is None:
            return True
        in_session, attrs = found
        patient, _params, _now, sessions, _by_ex = inputs
        if in_session and len(attrs) == 1:  # a session's own field: every session read in C
            return any(map(is_, map(attrgetter(attrs[0]), sessions), repeat(None)))
        for value in sessions if in_session else (patient,):
            for attr in attrs:
                value = getattr(value, attr)
                if value is None:
                    return True
        return False

    def rule_outcomes(self, inputs: Inputs, wanted: tuple[str, ...]) -> Any:
        """Every rule's outcome, in one call; only what is read (lazily) when few exercises are reported.

        One call runs every rule inlined; the lazy way runs each rule read as its own
        function, which costs more per rule: it is taken only when the exercises
        reported have fewer than a third of the rules, so that asking for some
        exercises is never slower than asking for all.
        """
        if len(wanted) < len(self.exercise_ids):
            rules_for = self.rules_for
            read = set().union(*(rules_for[ex] for ex in wanted))
            if 3 * len(read) < len(self.program.rules):
                return LazyOutcomes(self, inputs)
        patient, params, now, sessions, by_ex = inputs
        return self.compiled.all_rules(patient, params, now, by_ex, sessions)

    def rule_value(
        self, index: int, inputs: Inputs, exercise: str | None = None, picks: runtime.Picks | None = None
    ) -> Any:
        """One rule's outcome: a truth value, or for a rule that reads its exercise's own
        sessions (or its ladder's) a dict exercise -> truth value; with `exercise`, only
        that exercise's. `picks`: the scopes' selections of these inputs, kept between calls."""
        patient, params, now, sessions, by_ex = inputs
        function = self.compiled.rules[index]
        chosen = runtime.Picks(sessions) if picks is None else picks
        if not self.compiled.own_sessions[index]:
            return function(patient, params, now, (), by_ex, None, chosen)
        if exercise is not None:
            return function(patient, params, now, by_ex.get(exercise, ()), by_ex, exercise, chosen)
        targets = self.program.rules[index].targets.exercises
        return {x: function(patient, params, now, by_ex.get(x, ()), by_ex, x, chosen) for x in targets}

    def scored(self, inputs: Inputs) -> tuple[tuple[runtime.Range, ...], tuple[runtime.Assessed, ...]]:
        """Every score's range and every assessment's result, in program order (language-2.md 5, 6).

        Apart from `outcomes`, which stays the fast path: a decision asks for these.
        """
        if not (self.program.scores or self.program.assessments):
            return (), ()
        patient, params, now, sessions, by_ex = inputs
        return self.compiled.all_scored(patient, params, now, sessions, by_ex)

    def outcomes(
        self, state: object, parameters: Mapping[str, object] | None = None, as_of: object = None
    ) -> Outcomes:
        """Every red flag's and rule's outcome, without building a Decision; see `RuleSet.outcomes`.

        What `checked` leaves out is left out here too (a time after `now`
        reads as unknown, a later session is not counted, a session of an
        exercise the ruleset lacks is refused); the warnings are not kept.
        """
        quick = self.quick
        if quick is not None and type(state) is self.model and parameters is None and as_of is None:
            return _new(self.outcomes_type, quick(state, self.defaults, _NO_TIME, _NO_SESSIONS, _NO_BY_EX))
        program = self.program
        patient = state if type(state) is self.model else patient_of(program.schema, state, program.exercises)
        if as_of is None and not self.has_as_of:
            # No rule reads the time, a time field or a session: the clock is not even read.
            now = dt.datetime.now(dt.UTC) if self.uses_time or self.time_fields else _NO_TIME
        else:
            now = evaluation_time(as_of, patient, self.has_as_of)
        params = self.defaults if parameters is None else parameter_values(program.parameters, parameters)
        if self.time_fields:
            patient = without_future(patient, now, self.time_fields)
        sessions: Sequence[Any]
        by_ex: Mapping[str, Sequence[Any]]
        if self.has_sessions:
            sessions, by_ex = sessions_of(
                patient, now, True, program.exercises, None, self.session_time_fields
            )
        else:
            sessions, by_ex = _NO_SESSIONS, _NO_BY_EX
        compiled = self.compiled
        if compiled.all_outcomes is not None:
            return _new(self.outcomes_type, compiled.all_outcomes(patient, params, now, sessions, by_ex))
        flags = compiled.all_flags(patient, params, now, sessions, by_ex)
        return _new(self.outcomes_type, (flags, compiled.all_rules(patient, params, now, by_ex, sessions)))

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
        self.picks = runtime.Picks(inputs[3])  # every rule's scopes, each selected once

    def __getitem__(self, index: int) -> Any:
        if index not in self.values:
            self.values[index] = self.ev.rule_value(index, self.inputs, picks=self.picks)
        return self.values[index]


def _frozen_dose(dose: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """A dose's JSON form that cannot change: [low, high] becomes a tuple."""
    if dose is None:
        return None
    return MappingProxyType({k: tuple(v) if isinstance(v, list) else v for k, v in dose.items()})


def _fields_read(condition: ir.Condition) -> frozenset[str]:
    """The path of every field a condition reads: a superset of any set of fields it misses."""
    return frozenset(n.path for n in ir.nodes(condition) if isinstance(n, ir.FieldRef))


def _reads_time(condition: ir.Condition) -> bool:
    """Whether a condition reads `now` or the session log."""
    return any(isinstance(n, ir.Now | ir.History) for n in ir.nodes(condition))
