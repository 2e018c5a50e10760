"""A model's FHIR mapping: data, read from a JSON file beside the model or given by the caller.

The format (`clinrules-fhir-mapping/1`) is documented in docs/integration.md,
"FHIR in". A mapping is checked against its model when it is read: a field
it names that the model lacks, or a source kind it does not know, is the
integrator's error (`ArgumentError`), never a silent gap at run time.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from clinrules.base.errors import ArgumentError
from clinrules.fhir.fields import Field, model_fields

FORMAT = "clinrules-fhir-mapping/1"
SOURCES = frozenset({"birth_date", "observation", "condition", "finding", "muscle_grades"})
VALUES = frozenset({"integer", "decimal", "boolean", "weak_muscles", "lowest_grade"})


@dataclass(frozen=True)
class Rule:
    """One mapping row: the field, where it comes from, which codes, and how its value is read."""

    field: str
    source: str
    codes: frozenset[str]
    value: Any
    body_site: frozenset[str] = frozenset()
    phase: str | None = None


@dataclass(frozen=True)
class Mapping:
    """A checked mapping for one model."""

    model: type[BaseModel]
    fields: dict[str, Field]
    session_fields: dict[str, Field]
    rules: tuple[Rule, ...]
    statuses: dict[str, frozenset[str]]
    red_flag_groups: tuple[str, ...]
    screened_at: str | None
    muscles: dict[str, str]
    session_field: str | None
    procedure_codes: frozenset[str]
    exercise_system: str | None
    phase_extension: str | None
    session_rules: tuple[Rule, ...]

    def is_red_flag(self, path: str) -> bool:
        """Whether a field is a red flag: any finding may make it true, only an answer may clear it."""
        return any(path.startswith(group + ".") for group in self.red_flag_groups)


def default_mapping_path(model: type[BaseModel]) -> Path:
    """Where a model's own mapping lives: `<its module>_fhir.json` beside the module."""
    module = sys.modules.get(model.__module__)
    where = getattr(module, "__file__", None)
    if where is None:
        raise ArgumentError(f"the model {model.__name__} has no module file, so no mapping beside it")
    return Path(where).with_name(Path(where).stem + "_fhir.json")


def load_mapping(
    model: type[BaseModel], mapping: str | Path | MappingABC[str, Any] | Mapping | None
) -> Mapping:
    """The checked mapping: the caller's (a path, a dict, or one checked before), else the one beside the model.

    A mapping checked before (this function's result) is used as it is, so
    that a caller importing many patients (the service) checks it once.

    Raises:
        ArgumentError: no mapping file, not JSON, or not a valid mapping for this model.
    """
    if isinstance(mapping, Mapping):
        if mapping.model is not model:
            raise ArgumentError(
                f"the mapping given was checked for {mapping.model.__name__}, not for {model.__name__}"
            )
        return mapping
    if mapping is None or isinstance(mapping, (str, Path)):
        path = default_mapping_path(model) if mapping is None else Path(mapping)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ArgumentError(
                f"no FHIR mapping for the model {model.__name__}: {path} does not exist"
            ) from None
        except (OSError, ValueError) as error:
            raise ArgumentError(f"cannot read the FHIR mapping {path}: {error}") from None
        where = str(path)
    else:
        data, where = dict(mapping), "the mapping given"
    problems: list[str] = []
    result = _checked(model, data, problems)
    if problems or result is None:
        raise ArgumentError(
            f"{where} is not a valid FHIR mapping for {model.__name__}: " + "; ".join(problems)
        )
    return result


def _strings(value: Any, what: str, problems: list[str]) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and "|" in v for v in value):
        problems.append(f"{what}: expected a list of 'system|code' strings")
        return frozenset()
    return frozenset(value)


def _rule(path: str, row: Any, known: MappingABC[str, Field], problems: list[str]) -> Rule | None:
    if path not in known:
        problems.append(f"fields.{path}: the model has no such field")
        return None
    if not isinstance(row, dict) or row.get("from") not in SOURCES:
        problems.append(f"fields.{path}.from: expected one of {', '.join(sorted(SOURCES))}")
        return None
    source = row["from"]
    codes = (
        frozenset()
        if source == "birth_date"
        else _strings(row.get("codes"), f"fields.{path}.codes", problems)
    )
    value = row.get("value")
    if source in ("observation", "condition", "muscle_grades") and not (
        (isinstance(value, str) and value in VALUES) or (isinstance(value, dict) and len(value) == 1)
    ):
        problems.append(f"fields.{path}.value: expected a value reader")
    sites = _strings(row.get("body_site", []), f"fields.{path}.body_site", problems)
    phase = row.get("phase")
    return Rule(path, source, codes, value, sites, phase if isinstance(phase, str) else None)


def _checked(model: type[BaseModel], data: Any, problems: list[str]) -> Mapping | None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        problems.append(f"format: expected '{FORMAT}'")
        return None
    fields, session_fields = model_fields(model)
    rows = data.get("fields", {})
    if not isinstance(rows, dict):
        problems.append("fields: expected an object, field path -> row")
        rows = {}
    rules = [_rule(path, row, fields, problems) for path, row in rows.items()]
    statuses = data.get("statuses", {})
    if not isinstance(statuses, dict):
        problems.append("statuses: expected an object, resource type -> statuses")
        statuses = {}
    sessions = data.get("sessions") or {}
    session_rules: list[Rule | None] = []
    session_field = sessions.get("field") if isinstance(sessions, dict) else None
    if session_field is not None:
        named = {path.split(".", 1)[1]: f for path, f in session_fields.items()}
        for name, row in (sessions.get("observations") or {}).items():
            session_rules.append(_rule(name, {"from": "observation", **row}, named, problems))
    muscles = data.get("muscles", {})
    return Mapping(
        model=model,
        fields=fields,
        session_fields=session_fields,
        rules=tuple(r for r in rules if r is not None),
        statuses={kind: frozenset(names) for kind, names in statuses.items()},
        red_flag_groups=tuple(data.get("red_flag_groups", ())),
        screened_at=data.get("screened_at"),
        muscles=dict(muscles) if isinstance(muscles, dict) else {},
        session_field=session_field,
        procedure_codes=_strings(sessions.get("procedure_codes", []), "sessions.procedure_codes", problems)
        if isinstance(sessions, dict)
        else frozenset(),
        exercise_system=sessions.get("exercise_system") if isinstance(sessions, dict) else None,
        phase_extension=sessions.get("phase_extension") if isinstance(sessions, dict) else None,
        session_rules=tuple(r for r in session_rules if r is not None),
    )
