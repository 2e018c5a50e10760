"""`from_fhir`: FHIR resources -> (patient, provenance), by a model's mapping (docs/integration.md, "FHIR in").

The rules, all chosen for the patient's safety: only final, amended or
corrected Observations, completed QuestionnaireResponses and Procedures
count; what is dated after `as_of` is left out, and so is an undated
Observation or QuestionnaireResponse (it may be later than `as_of`); the
latest word on a field wins, and two words of the same time that disagree
give unknown; dataAbsentReason, an unanswered item or an absent resource give
unknown, never no. A red flag is true if any finding says so; only an
answer (a QuestionnaireResponse) may make it false.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from clinrules.base.errors import ArgumentError, PatientDataError
from clinrules.fhir.mapping import Mapping as FhirMapping
from clinrules.fhir.mapping import load_mapping
from clinrules.fhir.reading import Problems, entries, parse_time, well_formed
from clinrules.fhir.records import Words, condition_words, observation_words, patient_words, response_words
from clinrules.fhir.sessions import session_procedures, sessions_of
from clinrules.fhir.values import Found

Provenance = dict[str, str]


def from_fhir(
    resources: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    model: str | type[BaseModel] = "sciatica",
    as_of: dt.datetime | str | None = None,
    mapping: str | Path | Mapping[str, Any] | FhirMapping | None = None,
) -> tuple[dict[str, Any], Provenance]:
    """The patient a model reads, built from FHIR resources, and where each field came from.

    Args:
        resources: a Bundle (a dict), or an iterable of Bundles and resources.
        model: a registered model name, or a pydantic model class.
        as_of: the evaluation time (with a UTC offset); else the latest
            `Bundle.timestamp`; else the clock. It is written as the patient's `as_of`.
        mapping: a mapping file or dict, or one `checked_mapping` gave; else
            the one beside the model (`<model module>_fhir.json`).

    Returns:
        `(patient, provenance)`: the JSON-shaped patient (`RuleSet.evaluate`
        takes it), and field path -> resource reference (`Observation/abc`,
        or `Bundle.entry[3]` for a resource without an id).

    Raises:
        PatientDataError: every problem at once, each `(path, reason)` with the
            path naming the resource (`Bundle.entry[3].resource (Observation/abc).valueQuantity.unit`).
        ArgumentError: no such model, or a mapping that is not valid for it.
    """
    model_class = _model_class(model)
    rules = load_mapping(model_class, mapping)
    problems: Problems = []
    found, stamps = entries(resources, problems)
    when = _as_of(as_of, stamps, problems)
    usable = [entry for entry in found if well_formed(entry, problems)]
    words: Words = {}
    procedures = session_procedures(usable, rules, when, problems)
    for entry in usable:
        kind = entry.kind
        if kind == "Patient":
            patient_words(entry, rules, when, words, problems)
        elif kind == "Observation" and "partOf" not in entry.resource:
            observation_words(entry, rules, when, words, problems)
        elif kind == "Condition":
            condition_words(entry, rules, when, words, problems)
        elif kind == "QuestionnaireResponse" and "partOf" not in entry.resource:
            response_words(entry, rules, when, words, problems)
    patient: dict[str, Any] = {"as_of": when.isoformat().replace("+00:00", "Z")}
    provenance: Provenance = {}
    where: dict[str, str] = {}
    _muscles(words, rules)
    for path, said in sorted(words.items()):
        chosen = _decide(said, rules.is_red_flag(path))
        if chosen is None:
            continue
        _put(patient, path, chosen.value)
        provenance[path] = chosen.ref
        where[path] = chosen.where
    if rules.session_field is not None:
        listed = sessions_of(procedures, usable, rules, when, problems)
        if listed:
            patient[rules.session_field] = [session for session, _ in listed]
            for index, (_session, refs) in enumerate(listed):
                for name, (ref, at) in refs.items():
                    provenance[f"{rules.session_field}[{index}].{name}"] = ref
                    where[f"{rules.session_field}[{index}].{name}"] = at
    if not problems:
        _validate(model_class, patient, where, problems)
    if problems:
        raise PatientDataError(problems)
    return patient, provenance


def checked_mapping(
    model: str | type[BaseModel], mapping: str | Path | Mapping[str, Any] | None = None
) -> FhirMapping:
    """A model's mapping, read and checked once, for many `from_fhir` calls (`mapping=`).

    Raises:
        ArgumentError: no such model, or a mapping that is not valid for it.
    """
    return load_mapping(_model_class(model), mapping)


def _model_class(model: str | type[BaseModel]) -> type[BaseModel]:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model
    if not isinstance(model, str):
        raise ArgumentError(
            f"model: expected a model name or a pydantic model class, got {type(model).__name__}"
        )
    from clinrules.models import UnknownModelError, resolve_model

    try:
        return resolve_model(model)
    except UnknownModelError as error:
        raise ArgumentError(f"model: {error}") from None


def _as_of(as_of: dt.datetime | str | None, stamps: list[str], problems: Problems) -> dt.datetime:
    if isinstance(as_of, dt.datetime):
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise ArgumentError("as_of: a time needs a UTC offset, such as 2026-11-21T08:00:00Z")
        return as_of.astimezone(dt.UTC)
    if isinstance(as_of, str):
        parsed = parse_time(as_of)
        if parsed is None or not parsed[1]:
            raise ArgumentError(f"as_of: expected a time with a UTC offset, got {as_of[:60]!r}")
        return parsed[0]
    times = []
    for stamp in stamps:
        parsed = parse_time(stamp)
        if parsed is None or not parsed[1]:
            problems.append(("Bundle.timestamp", f"expected a time with a UTC offset, got {stamp[:60]!r}"))
        else:
            times.append(parsed[0])
    return max(times) if times else dt.datetime.now(dt.UTC)


def _decide(said: list[Found], red_flag: bool) -> Found | None:
    """The one word that counts for a field: a red flag's finding first, else the latest, else unknown."""
    if red_flag:
        for word in said:
            if word.value is True and word.finding:
                return word
    said = [word for word in said if not word.finding or word.value is True]
    if not said:
        return None
    latest = max(said, key=_order)
    ties = [word for word in said if _order(word) == _order(latest)]
    if any(word.value != latest.value for word in ties):
        if red_flag and any(word.value is True for word in ties):
            return next(word for word in ties if word.value is True)
        return Found(None, latest.time, ", ".join(sorted({w.ref for w in ties})), latest.where)
    return latest


def _muscles(words: Words, rules: FhirMapping) -> None:
    """Per-muscle grades (`FIELD#muscle`) -> the weak muscles (grade below 5) or the lowest grade."""
    for rule in rules.rules:
        if rule.source != "muscle_grades":
            continue
        grades: dict[str, Found] = {}
        for key in [k for k in words if k.startswith(rule.field + "#")]:
            chosen = _decide(words.pop(key), red_flag=False)
            if chosen is not None and chosen.value is not None:
                grades[key.split("#", 1)[1]] = chosen
        if not grades:
            continue  # nothing tested: unknown
        order = list(rules.fields[rule.field].members) if rule.value == "weak_muscles" else []
        refs = ", ".join(sorted({g.ref for g in grades.values()}))
        latest = max(grades.values(), key=_order)
        if rule.value == "weak_muscles":
            value: Any = sorted((m for m, g in grades.items() if g.value < 5), key=order.index)
        else:
            value = min(g.value for g in grades.values())
        words[rule.field] = [Found(value, latest.time, refs, latest.where)]


def _order(word: Found) -> dt.datetime:
    return word.time or dt.datetime.min.replace(tzinfo=dt.UTC)


def _put(patient: dict[str, Any], path: str, value: Any) -> None:
    *groups, leaf = path.split(".")
    into = patient
    for group in groups:
        into = into.setdefault(group, {})
    into[leaf] = value


def _validate(
    model: type[BaseModel], patient: dict[str, Any], where: dict[str, str], problems: Problems
) -> None:
    """The model's own checks (ranges, required fields), each named by the resource that gave the value."""
    try:
        model.model_validate(patient)
    except ValidationError as error:
        for detail in error.errors():
            path = ".".join(str(p) for p in detail["loc"])
            path = path.replace(".", "[", 1).replace(".", "].", 1) if path.startswith("sessions.") else path
            source = where.get(path)
            problems.append((f"{source} ({path})" if source else path, detail["msg"]))
