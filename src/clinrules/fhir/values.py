"""The values of FHIR elements, read by the mapping's rules and by a field's kind, never coerced.

Each reader returns a `Found` (a value, or None for unknown, with the
resource it came from) or nothing when the resource says nothing about the
field; a value of the wrong type is a problem at its path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from clinrules.fhir.fields import Field
from clinrules.fhir.mapping import Rule
from clinrules.fhir.reading import Entry, Problems, codings, expected, parse_time

ABSENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
VALUE_KEYS = (
    "valueQuantity",
    "valueCodeableConcept",
    "valueString",
    "valueBoolean",
    "valueInteger",
    "valueRange",
    "valueRatio",
    "valueSampledData",
    "valueTime",
    "valueDateTime",
    "valuePeriod",
)


@dataclass(frozen=True)
class Found:
    """One resource's word on one field: a JSON value, or None for unknown.

    `finding` marks a value that only a finding gives (it can make a red flag
    true, never false); `time` is when it was recorded (None: undated).
    """

    value: Any
    time: dt.datetime | None
    ref: str
    where: str
    finding: bool = False


def whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def observation_value(entry: Entry, rule: Rule, time: dt.datetime | None, problems: Problems) -> Found | None:
    """An Observation's value for a rule: a typed value, None if absent or dataAbsentReason."""
    resource = entry.resource
    present = [key for key in VALUE_KEYS if key in resource]
    if present and "dataAbsentReason" in resource:
        problems.append((entry.at("dataAbsentReason"), f"given together with {present[0]} (invariant obs-6)"))
        return None
    if not present:  # dataAbsentReason, or no value at all: unknown, never no
        return Found(None, time, entry.ref, entry.where)
    reader = rule.value
    if reader == "boolean":
        value = resource.get("valueBoolean")
        if not isinstance(value, bool):
            problems.append(
                (entry.at(present[0]), f"expected valueBoolean true or false, got {expected(value)}")
            )
            return None
        return Found(value, time, entry.ref, entry.where)
    if reader in ("integer", "lowest_grade", "weak_muscles"):
        value = resource.get("valueInteger")
        if value is None and isinstance(resource.get("valueQuantity"), dict):
            value = resource["valueQuantity"].get("value")
            if number(value) and float(value).is_integer():
                value = int(value)
        if not whole(value):
            problems.append(
                (entry.at(present[0]), f"expected a whole number (valueInteger), got {expected(value)}")
            )
            return None
        return Found(value, time, entry.ref, entry.where)
    if isinstance(reader, dict) and "coding" in reader:
        table: dict[str, Any] = reader["coding"]
        concept = resource.get("valueCodeableConcept")
        if concept is None:
            problems.append((entry.at(present[0]), "expected valueCodeableConcept"))
            return None
        for system, code in codings(concept):
            if f"{system}|{code}" in table:
                return Found(table[f"{system}|{code}"], time, entry.ref, entry.where)
        return Found(None, time, entry.ref, entry.where)  # any other code: unknown
    if isinstance(reader, dict) and "quantity" in reader:
        return _quantity(entry, reader["quantity"], time, present[0], problems)
    problems.append((entry.where, f"the mapping's value reader {reader!r} does not read Observations"))
    return None


def _quantity(
    entry: Entry, units: dict[str, float], time: dt.datetime | None, key: str, problems: Problems
) -> Found | None:
    quantity = entry.resource.get("valueQuantity")
    if not isinstance(quantity, dict):
        problems.append((entry.at(key), "expected valueQuantity"))
        return None
    value = quantity.get("value")
    unit = quantity.get("code", quantity.get("unit"))
    field = "code" if "code" in quantity else "unit"
    if unit not in units:
        wanted = " or ".join(units)
        problems.append(
            (
                entry.at(f"valueQuantity.{field}"),
                f"expected {wanted}, got {unit if isinstance(unit, str) else expected(unit)}",
            )
        )
        return None
    if not number(value):
        problems.append((entry.at("valueQuantity.value"), f"expected a number, got {expected(value)}"))
        return None
    assert isinstance(value, (int, float))
    return Found(round(float(value) * units[unit], 3), time, entry.ref, entry.where)


def answer_value(entry: Entry, item_at: str, item: dict[str, Any], field: Field, problems: Problems) -> Any:
    """A QuestionnaireResponse item's answer for its field: a JSON value, or None when unanswered.

    Raises nothing; a wrongly typed answer is a problem and gives `...` (Ellipsis), meaning
    "no value at all", so the caller neither sets nor clears the field.
    """
    answers = item.get("answer")
    if not answers:
        return None  # unanswered: unknown
    if not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers):
        problems.append((entry.at(f"{item_at}.answer"), "expected a list of answers"))
        return ...
    for answer in answers:
        coding = answer.get("valueCoding")
        if isinstance(coding, dict) and coding.get("system") == ABSENT_SYSTEM:
            return None  # asked-unknown and its kin: unknown
    if field.kind != "codings" and len(answers) != 1:
        problems.append((entry.at(f"{item_at}.answer"), f"expected one answer, got {len(answers)}"))
        return ...
    values = [_one_answer(entry, f"{item_at}.answer[{i}]", a, field, problems) for i, a in enumerate(answers)]
    if any(v is ... for v in values):
        return ...
    if field.kind == "codings":
        return sorted(set(values), key=field.members.index)
    return values[0]


_ANSWER_KEYS = {
    "boolean": ("valueBoolean",),
    "integer": ("valueInteger",),
    "decimal": ("valueDecimal", "valueInteger"),
    "coding": ("valueCoding",),
    "codings": ("valueCoding",),
    "dateTime": ("valueDateTime",),
    "string": ("valueString",),
}


def _one_answer(entry: Entry, at: str, answer: dict[str, Any], field: Field, problems: Problems) -> Any:
    keys = _ANSWER_KEYS[field.kind]
    key = next((k for k in keys if k in answer), None)
    given = next((k for k in answer if k.startswith("value")), "no value")
    if key is None:
        problems.append((entry.at(at), f"{field.path} takes {' or '.join(keys)}, got {given}"))
        return ...
    value = answer[key]
    element = f"{at}.{key}"
    ok: bool
    if field.kind == "boolean":
        ok = isinstance(value, bool)
    elif field.kind == "integer":
        ok = whole(value)
    elif field.kind == "decimal":
        ok = number(value)
    elif field.kind in ("coding", "codings"):
        code = value.get("code") if isinstance(value, dict) else None
        if code in field.members:
            return code
        problems.append(
            (entry.at(f"{element}.code"), f"expected one of {', '.join(field.members)}, got {expected(code)}")
        )
        return ...
    elif field.kind == "dateTime":
        parsed = parse_time(value)
        if parsed is None or not parsed[1]:
            problems.append(
                (entry.at(element), f"expected a date and time with a UTC offset, got {expected(value)}")
            )
            return ...
        return parsed[0].isoformat().replace("+00:00", "Z")
    else:
        ok = isinstance(value, str)
    if not ok:
        problems.append(
            (entry.at(element), f"expected a {field.kind} for {field.path}, got {expected(value)}")
        )
        return ...
    return value
