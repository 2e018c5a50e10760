"""Reading FHIR resources: where each one is, its structure (fhir.resources R4B), and typed values.

fhir.resources is asked only whether a resource is well formed; every value
this package uses is read from the raw JSON by the readers here, which
refuse what fhir.resources would coerce (`valueBoolean: "yes"`).

Building fhir.resources' model of a QuestionnaireResponse costs most of an
import (its items nest three classes deep), so a plain one is checked here
instead (`plain_response`): only the elements an answer to the check-in or
the screen uses, each held to a rule at least as strict as fhir.resources'
(a test compares the two on generated responses). Whatever that check does
not cover, or doubts, goes to fhir.resources, whose errors name the paths.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

Problems = list[tuple[str, str]]

# The FHIR dateTime: a year, a month, a date, or a time with an offset (seconds optional here, as R4B).
_DATE_TIME = re.compile(
    r"(?P<date>\d{4}(-\d{2}(-\d{2})?)?)(T(?P<time>\d{2}:\d{2}(:\d{2}(\.\d+)?)?)(?P<zone>Z|[+-]\d{2}:\d{2})?)?"
)


@dataclass(frozen=True)
class Entry:
    """One resource and where it was found: `where` names it in problems, `ref` in provenance."""

    resource: dict[str, Any]
    where: str
    ref: str
    full_url: str | None

    @property
    def kind(self) -> str:
        return str(self.resource.get("resourceType"))

    def at(self, element: str) -> str:
        """The path of one element of this resource, for a problem."""
        return f"{self.where}.{element}" if element else self.where


def _named(resource: dict[str, Any], where: str, ref_if_no_id: str, full_url: str | None) -> Entry:
    kind, ident = resource.get("resourceType"), resource.get("id")
    ref = f"{kind}/{ident}" if isinstance(ident, str) and ident else ref_if_no_id
    label = f"{where} ({ref})" if ref != ref_if_no_id else where
    return Entry(resource, label, ref, full_url)


def entries(resources: object, problems: Problems) -> tuple[list[Entry], list[str]]:
    """Every resource of a Bundle or of an iterable of Bundles and resources, and the Bundles' timestamps."""
    items: list[tuple[object, str]]
    if isinstance(resources, dict):
        items = [(resources, "Bundle" if resources.get("resourceType") == "Bundle" else "resource")]
    elif isinstance(resources, (str, bytes)) or not isinstance(resources, Iterable):
        problems.append(
            ("", f"expected a FHIR Bundle or an iterable of resources, got {type(resources).__name__}")
        )
        return [], []
    else:
        items = [(item, f"resources[{index}]") for index, item in enumerate(resources)]
    found: list[Entry] = []
    stamps: list[str] = []
    for item, where in items:
        if not isinstance(item, dict):
            problems.append((where, f"expected a FHIR resource (a JSON object), got {type(item).__name__}"))
        elif item.get("resourceType") == "Bundle":
            where = where if where == "Bundle" else f"{where} (Bundle)"
            stamp = item.get("timestamp")
            if isinstance(stamp, str):
                stamps.append(stamp)
            found.extend(_bundle_entries(item, where, problems))
        else:
            found.append(_named(item, where, where, None))
    return found, stamps


def _bundle_entries(bundle: dict[str, Any], where: str, problems: Problems) -> list[Entry]:
    listed = bundle.get("entry", [])
    if not isinstance(listed, list):
        problems.append((f"{where}.entry", "expected a list of entries"))
        return []
    found = []
    for index, entry in enumerate(listed):
        at = f"{where}.entry[{index}]"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            problems.append((f"{at}.resource", "expected a resource (a JSON object)"))
            continue
        full_url = entry.get("fullUrl")
        found.append(_named(resource, f"{at}.resource", at, full_url if isinstance(full_url, str) else None))
    return found


def well_formed(entry: Entry, problems: Problems) -> bool:
    """Whether fhir.resources (R4B) reads the resource; its errors become problems at their paths.

    An unknown resourceType is a problem here (fhir.resources would raise a
    raw KeyError from inside a Bundle, or a ValueError alone).
    """
    kind = entry.resource.get("resourceType")
    if not isinstance(kind, str):
        problems.append((entry.at("resourceType"), "missing: every FHIR resource names its resourceType"))
        return False
    if kind == "QuestionnaireResponse" and plain_response(entry.resource):
        return True
    try:
        model = get_fhir_model_class(kind)
    except (KeyError, ValueError):
        problems.append((entry.at("resourceType"), f"'{kind[:60]}' is not a FHIR R4 resource type"))
        return False
    try:
        model.model_validate(entry.resource)
    except ValidationError as error:
        for detail in error.errors()[:20]:
            spot = ".".join(str(part) for part in detail["loc"] if part != "__root__")
            problems.append((entry.at(spot), detail["msg"]))
        return False
    except (KeyError, ValueError, TypeError) as error:  # a contained resource of an unknown type, and kin
        problems.append((entry.where, f"not a valid {kind}: {error}"))
        return False
    return True


_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_CODE = re.compile(r"[^\s]+( [^\s]+)*")
_URI = re.compile(r"\S+")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2}))?")
_RESPONSE_KEYS = frozenset(
    {"resourceType", "id", "status", "subject", "authored", "item", "questionnaire", "partOf"}
)
_ITEM_KEYS = frozenset({"linkId", "text", "answer", "item"})
_ANSWER_VALUES = frozenset(
    {"valueBoolean", "valueInteger", "valueDecimal", "valueString", "valueCoding", "valueDateTime"}
)
_CODING_KEYS = frozenset({"system", "code", "display", "version"})
_INT32 = 2**31
_MAX_DEPTH = 8


def plain_response(resource: dict[str, Any]) -> bool:
    """Whether a QuestionnaireResponse is plainly well formed: True only where fhir.resources would agree.

    False means "not covered here" (another element, another answer type, a
    doubt), not "malformed": the caller then asks fhir.resources.
    """
    if not resource.keys() <= _RESPONSE_KEYS or not _text(resource.get("status"), _CODE):
        return False
    if "id" in resource and not _text(resource["id"], _ID):
        return False
    if "questionnaire" in resource and not _text(resource["questionnaire"], _URI):
        return False
    if "authored" in resource and not _instant(resource["authored"]):
        return False
    if "subject" in resource and not _reference(resource["subject"]):
        return False
    part_of = resource.get("partOf", [{"reference": "Procedure/x"}])
    if not (isinstance(part_of, list) and part_of and all(_reference(r) for r in part_of)):
        return False
    return "item" not in resource or _items(resource["item"], 0)


def _text(value: object, pattern: re.Pattern[str] | None = None) -> bool:
    if not isinstance(value, str) or not value or value != value.strip() or not value.isprintable():
        return False
    return pattern is None or pattern.fullmatch(value) is not None


def _instant(value: object) -> bool:
    if not isinstance(value, str) or _INSTANT.fullmatch(value) is None:
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _reference(value: object) -> bool:
    return (
        isinstance(value, dict)
        and value.keys() <= {"reference", "display"}
        and "reference" in value
        and _text(value["reference"], _URI)
        and ("display" not in value or _text(value["display"]))
    )


def _items(listed: object, depth: int) -> bool:
    if depth > _MAX_DEPTH or not isinstance(listed, list) or not listed:
        return False
    for item in listed:
        if not isinstance(item, dict) or not item.keys() <= _ITEM_KEYS or not _text(item.get("linkId")):
            return False
        if "text" in item and not _text(item["text"]):
            return False
        if "item" in item and not _items(item["item"], depth + 1):
            return False
        answers = item.get("answer", [{"valueBoolean": True}])
        if not isinstance(answers, list) or not answers or not all(_answer(a, depth) for a in answers):
            return False
    return True


def _answer(answer: object, depth: int) -> bool:
    if not isinstance(answer, dict) or ("item" in answer and not _items(answer["item"], depth + 1)):
        return False
    values = [key for key in answer if key != "item"]
    if len(values) != 1 or values[0] not in _ANSWER_VALUES:
        return False
    value = answer[values[0]]
    if values[0] == "valueBoolean":
        return isinstance(value, bool)
    if values[0] == "valueInteger":
        return isinstance(value, int) and not isinstance(value, bool) and -_INT32 <= value < _INT32
    if values[0] == "valueDecimal":
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return number and -_INT32 <= value < _INT32 and value == value  # NaN is not equal to itself
    if values[0] == "valueString":
        return _text(value)
    if values[0] == "valueDateTime":
        return _instant(value)
    return (
        isinstance(value, dict)
        and bool(value)
        and value.keys() <= _CODING_KEYS
        and all(_text(value[key], None if key == "display" else _URI) for key in value)
    )


def parse_time(text: object) -> tuple[dt.datetime, bool] | None:
    """A FHIR dateTime as (its earliest instant in UTC, whether it carried a time with an offset).

    A date alone is read as the start of that day in UTC. None if the text
    is not a FHIR dateTime, or is a time without an offset.
    """
    if not isinstance(text, str):
        return None
    match = _DATE_TIME.fullmatch(text)
    if match is None or (match["time"] is not None and match["zone"] is None):
        return None
    try:
        if match["time"] is None:
            parts = [int(p) for p in match["date"].split("-")] + [1, 1]
            return dt.datetime(parts[0], parts[1], parts[2], tzinfo=dt.UTC), False
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC), True
    except ValueError:
        return None


def codings(concept: object) -> list[tuple[str, str]]:
    """The (system, code) pairs of a CodeableConcept; malformed codings are skipped (structure checks them)."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    return [
        (c["system"], c["code"])
        for c in concept["coding"]
        if isinstance(c, dict) and isinstance(c.get("system"), str) and isinstance(c.get("code"), str)
    ]


def has_code(concept: object, codes: frozenset[str]) -> bool:
    return any(f"{s}|{c}" in codes for s, c in codings(concept))


def expected(value: object) -> str:
    """A value as a problem shows it: type and, when short, the value."""
    shown = repr(value)
    return shown if len(shown) <= 40 else type(value).__name__
