"""Reading FHIR resources: where each one is, its structure (fhir.resources R4B), and typed values.

fhir.resources is asked only whether a resource is well formed; every value
this package uses is read from the raw JSON by the readers here, which
refuse what fhir.resources would coerce (`valueBoolean: "yes"`).
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
