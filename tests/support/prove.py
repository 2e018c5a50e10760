"""A concrete patient pinned into prove's encoding, for the differential tests (tests/property/test_prove_agrees.py).

`pin` gives every variable the encoding made the value the patient gives
it; the solver then computes each exercise's verdict by the encoding alone,
to compare with the evaluator's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import z3

from clinrules.prove.kleene import DAY, MICROS
from clinrules.prove.queries import Encoding
from clinrules.prove.values import Value, exact
from clinrules.prove.verdicts import RANK
from clinrules.schema import types as t

NAMES = {rank: verdict for verdict, rank in RANK.items()}


def _micros(delta: dt.timedelta) -> int:
    return delta // dt.timedelta(microseconds=1)


def _read(data: Mapping[str, Any] | None, path: list[str]) -> Any:
    value: Any = data
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _pin_value(value: Value, raw: Any, kind: t.RuleType, now: dt.datetime) -> list[Any]:
    if raw is None:
        return [z3.Not(value.known)]
    out = [value.known]
    if isinstance(kind, t.BoolType):
        out.append(value.value == bool(raw))
    elif isinstance(kind, t.NumberType):
        out.append(value.value == exact(raw))
    elif isinstance(kind, t.EnumType):
        names = [
            str(kind.value_of(m).value) if hasattr(kind.value_of(m), "value") else m for m in kind.members
        ]
        out.append(value.value == names.index(str(raw)))
    elif isinstance(kind, t.EnumListType):
        chosen = {str(x) for x in raw}
        out += [bit == (m in chosen) for m, bit in zip(kind.item.members, value.value, strict=True)]
    elif isinstance(kind, t.DateTimeType):
        at = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        if at > now:  # read as unknown by the evaluator
            return [z3.Not(value.known)]
        out.append(value.value == _micros(at - now))
    elif isinstance(kind, t.DateType):
        day = dt.date.fromisoformat(str(raw))
        out.append(value.var == (day - now.astimezone(dt.UTC).date()).days)
    return out


def pin(
    encoding: Encoding, patient: Mapping[str, Any], parameters: Mapping[str, Any], now: dt.datetime
) -> list[Any]:
    """Constraints that fix every variable of the encoding to this patient, these parameters and this time."""
    for exercise in encoding.program.exercises:  # every field and slot the verdicts read, made first
        encoding.verdicts.terms(exercise)
    p = encoding.patient
    schema = encoding.program.schema
    utc = now.astimezone(dt.UTC)
    facts = [p.tod == _micros(utc - utc.replace(hour=0, minute=0, second=0, microsecond=0))]
    for path, value in p.fields.items():
        facts += _pin_value(value, _read(patient, path.split(".")), schema.fields[path].type, now)
    for name, term in p.params.items():
        declared = encoding.program.parameters[name]
        facts.append(term == exact(parameters.get(name, declared.default)))
    by_exercise: dict[str, list[dict[str, Any]]] = {}
    for session in patient.get("sessions", []):
        at = dt.datetime.fromisoformat(str(session["at"]).replace("Z", "+00:00"))
        if at <= now:
            by_exercise.setdefault(session["exercise"], []).append({**session, "_at": at})
    for exercise, slots in p.slots.items():
        sessions = sorted(by_exercise.get(exercise, []), key=lambda s: s["_at"], reverse=True)
        if slots and len(sessions) > len(slots):
            raise ValueError(f"{len(sessions)} sessions of {exercise} for {len(slots)} slots")
        for slot in slots:
            if slot.index >= len(sessions):
                facts.append(z3.Not(slot.present))
                continue
            session = sessions[slot.index]
            offset = session["_at"].utcoffset() or dt.timedelta(0)
            facts += [
                slot.present,
                slot.at == _micros(session["_at"] - now),
                slot.offset == _micros(offset) // (60 * MICROS),
            ]
            for (ex, index, leaf), value in p.session_values.items():
                if ex == exercise and index == slot.index:
                    facts += _pin_value(value, session.get(leaf), schema.session_fields[leaf].type, now)
    return facts


def verdicts(encoding: Encoding, facts: list[Any]) -> tuple[str, dict[str, str]]:
    """The triage and every exercise's verdict by the encoding, for pinned facts."""
    terms = {x: encoding.verdicts.terms(x).final for x in encoding.program.exercises}
    result, model = encoding.check(*facts)
    if result != z3.sat:
        raise AssertionError(f"the pinned patient has no model ({result}): the encoding refuses real data")
    fired = z3.is_true(model.eval(encoding.verdicts.fired, model_completion=True))
    unknown = z3.is_true(model.eval(encoding.verdicts.unknown_flag, model_completion=True))
    triage = "urgent" if fired else ("check" if unknown else "clear")
    return triage, {x: NAMES[model.eval(f, model_completion=True).as_long()] for x, f in terms.items()}


__all__ = ["DAY", "pin", "verdicts"]
