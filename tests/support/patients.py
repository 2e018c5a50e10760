"""Hypothesis strategies for patients of any pydantic model, from its schema.

Every field may be unknown (absent or null); values stay within the model's
bounds, so most patients validate and reach the rules. Sessions are drawn
for the given exercises, around a fixed evaluation time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from clinrules.engine import interpret
from clinrules.engine.inputs import parameter_values, patient_of, sessions_of
from clinrules.ir import Program
from clinrules.schema import types as t
from clinrules.schema.reader import Field, Schema

AS_OF = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)


def read_inputs(
    program: Program, state: dict[str, Any]
) -> tuple[Any, tuple[Any, ...], Any, Any, interpret.Env]:
    """A patient's inputs at `AS_OF` as the engine reads them: (patient, parameters, sessions,
    sessions by exercise, the interpreter's env over all of them), for tests that compare the two."""
    patient = patient_of(program.schema, state)
    params = parameter_values(program.parameters, None)
    sessions, by_ex = sessions_of(patient, AS_OF, program.schema.has_sessions)
    env = interpret.Env(
        program.schema,
        patient,
        dict(zip(program.parameters, params, strict=True)),
        AS_OF,
        sessions,
        by_ex,
        log=sessions,
        program=program,
    )
    return patient, params, sessions, by_ex, env


def value_of(kind: t.RuleType) -> st.SearchStrategy[Any]:
    """Values of one rule type, as JSON would carry them."""
    match kind:
        case t.BoolType():
            return st.booleans()
        case t.NumberType(integral=True, low=low, high=high):
            return st.integers(int(low) if low is not None else -5, int(high) if high is not None else 400)
        case t.NumberType(low=low, high=high):
            return st.floats(low if low is not None else -5.0, high if high is not None else 400.0)
        case t.EnumType(by_name=True, members=members, python=python) if python is not None:
            return st.sampled_from([python[m].value for m in members])  # an IntEnum's data is its value
        case t.EnumType(members=members):
            return st.sampled_from(members)
        case t.EnumListType(item=item):
            return st.lists(st.sampled_from(item.members), max_size=3, unique=True)
        case t.DateTimeType():
            return st.integers(-72 * 3600, 3600).map(lambda s: (AS_OF + dt.timedelta(seconds=s)).isoformat())
        case t.DateType():  # around the birthdays and admissions a rule of years or months turns on
            return st.integers(-40_000, 1).map(lambda d: (AS_OF.date() + dt.timedelta(days=d)).isoformat())
        case t.TextType():
            return st.text(max_size=5)
    return st.none()


def _nested(fields: list[Field], draw: st.DrawFn, skip: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in fields:
        parts = field.path.split(".")[skip:]
        if draw(st.integers(0, 4)) == 0:  # unknown, a fifth of the time
            continue
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = draw(value_of(field.type))
    return out


@st.composite
def patients(draw: st.DrawFn, schema: Schema, exercises: list[str], max_sessions: int = 6) -> dict[str, Any]:
    """A patient as a dict, with a session log when the model has one."""
    data = _nested([f for f in schema.fields.values() if f.path != "as_of"], draw)
    if schema.has_sessions and exercises:
        sessions = []
        fields = [f for name, f in schema.session_fields.items() if name not in ("exercise", "at")]
        used: set[tuple[str, int]] = set()
        for _ in range(draw(st.integers(0, max_sessions))):
            exercise = draw(st.sampled_from(exercises))
            hours = draw(st.integers(-200, 2))
            if (exercise, hours) in used:
                continue
            used.add((exercise, hours))
            session = _nested(fields, draw, skip=1)
            session.update(exercise=exercise, at=(AS_OF + dt.timedelta(hours=hours)).isoformat())
            sessions.append(session)
        data["sessions"] = sessions
    return data
