"""FHIR R4 Questionnaires from a patient model: what an app asks is what the importer reads.

Stage: a tool over the schema stage (`schema/reader.py`), pure Python: the
resources are JSON-shaped dicts, so building one needs no FHIR package.
Design decision: every item is one field of the model, its `linkId` the
field's path (`red_flags.saddle_anaesthesia`, `sessions.pain_during`) and its
`text` the field's question, and no item is ever required: an unanswered
question is unknown, which rules never read as no. A model a Questionnaire
cannot express faithfully (an enum value that is no FHIR code, a whole-number
bound beyond FHIR's 32-bit integer, a field without a question) is refused
with the field's path rather than written approximately.

The parts (docs/integration.md, "The Questionnaire"):

- `checkin`: the `symptoms` group and every other field a patient answers
  outside the groups below (the top-level fields).
- `screen`: the `red_flags` group; `startback`: the `startback` group.
- `session`: one session's fields.
- `exam`: the clinician's: the `exam` group and every field a clinician
  answers. A clinician's field is in no other part, so a patient is never
  asked what a clinician records (such as red-flag symptoms recorded as
  longstanding, which lower a red flag).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel

from clinrules.schema import types as t
from clinrules.schema.reader import Field, Schema, schema_of

CANONICAL = "https://clinrules.org/fhir"
"""The base of every canonical URL clinrules gives (an identifier, not an address that resolves)."""

ANSWERED_BY_URL = f"{CANONICAL}/StructureDefinition/answered-by"
"""The extension on an item saying who answers it: `patient`, `clinician` or `device` (a `valueCode`)."""

MIN_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/maxValue"
UNIT_URL = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
UCUM = "http://unitsofmeasure.org"

UCUM_CODES = {
    "s": "s",
    "min": "min",
    "hours": "h",
    "days": "d",
    "weeks": "wk",
    "months": "mo",
    "years": "a",
    "kg": "kg",
    "cm": "cm",
    "in": "[in_i]",
    "%": "%",
}
"""The UCUM code of each unit of the conversion table (`schema/units.py`), by its name.

A year here is 365.25 days and a month a twelfth of it, which is what UCUM's
`a` and `mo` are (its Julian year and month, `a_j` and `mo_j`).
"""

PARTS = ("checkin", "screen", "session", "startback", "exam")
"""Every part, in the order `all` gives them."""

ALL = "all"

_TITLES = {
    "checkin": "check-in",
    "screen": "red-flag screen",
    "session": "exercise session",
    "startback": "STarT Back questions",
    "exam": "clinician's examination",
}
_GROUPS = {"screen": "red_flags.", "startback": "startback.", "exam": "exam."}
_CODE = re.compile(r"[^\s]+( [^\s]+)*")  # FHIR's code: no leading, trailing or doubled whitespace
_INTEGER = (-(2**31), 2**31 - 1)  # FHIR's integer is 32-bit
_MAX_LINK_ID = 255
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
_URL_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class QuestionnaireError(ValueError):
    """The model cannot become a Questionnaire as it is; `.problems` says why, field by field."""

    def __init__(self, model: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"the model '{model}' cannot be written as a FHIR Questionnaire: " + "; ".join(problems)
        )


def model_version(model: type[BaseModel]) -> str | None:
    """The model's version (`model_config`'s `json_schema_extra={"version": ...}`), or None."""
    extra = model.model_config.get("json_schema_extra")
    version = extra.get("version") if isinstance(extra, dict) else None
    return None if version is None or isinstance(version, bool) else str(version)


def build(model: type[BaseModel], part: str, name: str, date: dt.date) -> dict[str, Any]:
    """The Questionnaire of one part of a model, or for `all` a Bundle (type collection) of every part.

    Args:
        model: the pydantic patient model.
        part: one of `PARTS`, or `all`.
        name: the model's name as the user gave it (`sciatica`, `mymodule:Patient`).
        date: the Questionnaire's `date`; passed in so that the output depends on the inputs only.

    Raises:
        SchemaError: the model cannot be used by rules at all.
        QuestionnaireError: a field the Questionnaire cannot express, or a part with nothing to ask.
        ValueError: `part` is not a part.
    """
    if part != ALL and part not in PARTS:
        raise ValueError(f"unknown part {part!r}")
    schema = schema_of(model, name)
    version = model_version(model)
    if part != ALL:
        fields = part_fields(schema, part)
        if not fields:
            raise QuestionnaireError(name, [f"the part '{part}' has no fields: {_PART_WORDS[part]}"])
        return questionnaire(schema, part, fields, version, date)
    entries = [
        questionnaire(schema, each, fields, version, date)
        for each in PARTS
        if (fields := part_fields(schema, each))
    ]
    if not entries:
        raise QuestionnaireError(name, ["the model has no fields to ask about"])
    return {
        "resourceType": "Bundle",
        "id": _resource_id(name, version, "all"),
        "type": "collection",
        "entry": [{"fullUrl": _full_url(entry), "resource": entry} for entry in entries],
    }


_PART_WORDS = {
    "checkin": "the patient's own fields outside red_flags, startback and exam",
    "screen": "the red_flags group",
    "session": "the fields of a session in the log",
    "startback": "the startback group",
    "exam": "the exam group and the fields a clinician answers",
}


def part_fields(schema: Schema, part: str) -> list[Field]:
    """The fields of one part, in the model's order."""
    patient_fields = list(schema.fields.values())
    if part == "session":
        return [info for info in schema.session_fields.values() if not clinicians(info)]
    if part == "exam":
        in_exam = [
            info for info in patient_fields if info.path.startswith(_GROUPS["exam"]) or clinicians(info)
        ]
        return in_exam + [info for info in schema.session_fields.values() if clinicians(info)]
    if part in _GROUPS:
        return [
            info for info in patient_fields if info.path.startswith(_GROUPS[part]) and not clinicians(info)
        ]
    grouped = tuple(_GROUPS.values())
    return [info for info in patient_fields if not info.path.startswith(grouped) and not clinicians(info)]


def questionnaire(
    schema: Schema, part: str, fields: Iterable[Field], version: str | None, date: dt.date
) -> dict[str, Any]:
    """One Questionnaire resource: an item per field, flat, in the model's order.

    Raises:
        QuestionnaireError: every field the Questionnaire cannot express, at once.
    """
    problems: list[str] = []
    items: list[dict[str, Any]] = []
    for info in fields:
        try:
            items.append(_item(schema.name, info))
        except _Inexpressible as reason:
            problems.append(f"{info.path}: {reason}")
    if problems:
        raise QuestionnaireError(schema.name, problems)
    shown_version = f", version {version}" if version is not None else ""
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": _resource_id(schema.name, version, part),
        "url": _url(schema.name, version, part),
    }
    if version is not None:
        resource["version"] = version
    resource |= {
        "title": f"{schema.name}: {_TITLES[part]}",
        "status": "draft",
        "subjectType": ["Patient"],
        "date": date.isoformat(),
        "publisher": "clinrules",
        "description": (
            f"The {_TITLES[part]} of the model {schema.name}{shown_version}, written by clinrules "
            "from the model's fields and their questions. No question is required: one left "
            "unanswered is unknown, and unknown is never read as no."
        ),
        "item": items,
    }
    return resource


class _Inexpressible(Exception):
    pass


def _item(model: str, info: Field) -> dict[str, Any]:
    if info.ask is None:
        raise _Inexpressible(
            "it has no question; give it json_schema_extra={'ask': ...} or a description (docs/models.md)"
        )
    if len(info.path) > _MAX_LINK_ID:
        raise _Inexpressible(f"its path is longer than a linkId may be ({_MAX_LINK_ID} characters)")
    item: dict[str, Any] = {}
    extensions = _extensions(info)
    if extensions:
        item["extension"] = extensions
    item |= {"linkId": info.path, "text": info.ask, "type": _item_type(info.type), "required": False}
    kind = info.type
    if isinstance(kind, t.EnumListType):
        item["repeats"] = True
    if info.answered_by == "device":
        item["readOnly"] = True  # filled in by the app (a time, an exercise id), never typed by a person
    if isinstance(kind, t.EnumListType):
        kind = kind.item
    if isinstance(kind, t.EnumType):
        item["answerOption"] = [{"valueCoding": coding} for coding in enum_codings(model, kind)]
    return item


def _item_type(kind: t.RuleType) -> str:
    if isinstance(kind, t.BoolType):
        return "boolean"
    if isinstance(kind, t.NumberType):
        return "integer" if kind.integral else "decimal"
    if isinstance(kind, t.EnumType | t.EnumListType):
        return "choice"  # never open-choice: a word outside the enum is no value the model can hold
    if isinstance(kind, t.DateTimeType):
        return "dateTime"
    if isinstance(kind, t.DateType):
        return "date"
    if isinstance(kind, t.TextType):
        return "string"
    raise _Inexpressible(f"its type ({kind.describe()}) has no Questionnaire item type")


def _extensions(info: Field) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    kind = info.type
    if isinstance(kind, t.NumberType):
        value_key = "valueInteger" if kind.integral else "valueDecimal"
        for url, bound, rounding in (
            (MIN_VALUE_URL, kind.low, math.ceil),
            (MAX_VALUE_URL, kind.high, math.floor),
        ):
            if bound is None:
                continue
            value = _integer(bound, rounding) if kind.integral else _number(bound)
            found.append({"url": url, value_key: value})
        if kind.unit is not None:
            found.append({"url": UNIT_URL, "valueCoding": unit_coding(kind.unit.name)})
    if info.answered_by is not None:
        found.append({"url": ANSWERED_BY_URL, "valueCode": info.answered_by})
    return found


def _integer(bound: float, rounding: Callable[[float], int]) -> int:
    value = rounding(bound)  # the nearest whole number inside the bound
    if not _INTEGER[0] <= value <= _INTEGER[1]:
        raise _Inexpressible(
            f"its bound {_number(bound)} is beyond what a FHIR integer holds "
            f"({_INTEGER[0]} to {_INTEGER[1]}); use a float field or a smaller bound"
        )
    return value


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def unit_coding(unit: str) -> dict[str, str]:
    """The `questionnaire-unit` Coding of a unit: UCUM for the table's, else the model's word as its display."""
    code = UCUM_CODES.get(unit)
    if code is None:
        return {"display": unit}
    return {"system": UCUM, "code": code, "display": unit}


def enum_codings(model: str, kind: t.EnumType) -> list[dict[str, str]]:
    """The Codings of an enum's members, in the model's order, in a CodeSystem of its own.

    Raises:
        _Inexpressible: a member that is not a FHIR code.
    """
    bad = [member for member in kind.members if _CODE.fullmatch(member) is None]
    if bad:
        raise _Inexpressible(
            f"the enum {kind.name} has values that cannot be FHIR codes ({', '.join(map(repr, bad))}): "
            "a code is not empty and has no leading, trailing or doubled spaces, tabs or new lines"
        )
    system = f"{CANONICAL}/CodeSystem/{_url_part(model)}/{_url_part(kind.name)}"
    return [{"system": system, "code": member, "display": _words(member)} for member in kind.members]


def _words(member: str) -> str:
    words = member.replace("_", " ")
    return words.lower() if words.isupper() else words


def _url(model: str, version: str | None, part: str) -> str:
    parts = [_url_part(model), *([_url_part(version)] if version is not None else []), part]
    return f"{CANONICAL}/Questionnaire/" + "/".join(parts)


def _url_part(text: str) -> str:
    return _URL_UNSAFE.sub("-", text)


def _resource_id(model: str, version: str | None, part: str) -> str:
    """A FHIR id (`[A-Za-z0-9.-]{1,64}`) made of the model, its version and the part."""
    written = _ID_UNSAFE.sub("-", "-".join([model, *([version] if version is not None else []), part]))
    if len(written) <= 64:
        return written
    digest = hashlib.sha256(written.encode()).hexdigest()[:12]
    return f"{written[: 64 - 13]}-{digest}"


def _full_url(resource: dict[str, Any]) -> str:
    """A Bundle entry's fullUrl: a UUID made from the canonical URL and version, the same every time."""
    canonical = f"{resource['url']}|{resource.get('version', '')}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, canonical)}"


def clinicians(info: Field) -> bool:
    """True for a field a clinician answers: it belongs to the `exam` part only."""
    return info.answered_by == "clinician"
