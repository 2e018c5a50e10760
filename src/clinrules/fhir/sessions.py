"""Exercise sessions: Procedures with their Observations and QuestionnaireResponses (`partOf`).

A session is a completed Procedure coded with one of the mapping's
procedure codes and an exercise id (a coding of the mapping's exercise
system); its time is performedDateTime or performedPeriod.start, with an
offset. A not-done or unfinished Procedure is dropped. Its pain scores come
from Observations part of it (the pain code, a body site and the phase
extension), its other answers from a QuestionnaireResponse part of it, whose
linkIds are `sessions.NAME`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from clinrules.fhir.mapping import Mapping
from clinrules.fhir.reading import Entry, Problems, codings, expected, has_code, parse_time
from clinrules.fhir.records import items, observation_time, response_time, usable_status
from clinrules.fhir.values import Found, answer_value, observation_value


@dataclass(frozen=True)
class Procedure:
    """One session Procedure: its entry, exercise id and time, and the references that point at it."""

    entry: Entry
    exercise: str
    at: dt.datetime
    names: frozenset[str]


def session_procedures(
    usable: list[Entry], mapping: Mapping, as_of: dt.datetime, problems: Problems
) -> list[Procedure]:
    """The session Procedures that count, in time order."""
    found = []
    for entry in usable:
        if entry.kind != "Procedure" or not has_code(entry.resource.get("code"), mapping.procedure_codes):
            continue
        if not usable_status(entry, mapping, problems):
            continue
        exercises = [
            code for system, code in codings(entry.resource.get("code")) if system == mapping.exercise_system
        ]
        if len(exercises) != 1:
            problems.append(
                (
                    entry.at("code"),
                    f"expected one exercise coding of {mapping.exercise_system}, got {len(exercises)}",
                )
            )
            continue
        key = "performedDateTime" if "performedDateTime" in entry.resource else "performedPeriod.start"
        raw = entry.resource.get(
            "performedDateTime", (entry.resource.get("performedPeriod") or {}).get("start")
        )
        parsed = parse_time(raw)
        if parsed is None or not parsed[1]:
            problems.append(
                (entry.at(key), f"expected a date and time with a UTC offset, got {expected(raw)}")
            )
            continue
        if parsed[0] > as_of:
            continue
        names = {entry.ref} | ({entry.full_url} if entry.full_url else set())
        found.append(Procedure(entry, exercises[0], parsed[0], frozenset(names)))
    return sorted(found, key=lambda p: p.at)


def _part_of(entry: Entry, procedures: list[Procedure]) -> Procedure | None:
    listed = entry.resource.get("partOf")
    refs = {r.get("reference") for r in listed if isinstance(r, dict)} if isinstance(listed, list) else set()
    return next((p for p in procedures if p.names & refs), None)


def sessions_of(
    procedures: list[Procedure], usable: list[Entry], mapping: Mapping, as_of: dt.datetime, problems: Problems
) -> list[tuple[dict[str, Any], dict[str, tuple[str, str]]]]:
    """Each session as the model's JSON, with field name -> (reference, where) of its values."""
    said: dict[int, dict[str, list[Found]]] = {index: {} for index in range(len(procedures))}
    for entry in usable:
        if entry.kind not in ("Observation", "QuestionnaireResponse") or "partOf" not in entry.resource:
            continue
        procedure = _part_of(entry, procedures)
        if procedure is None:
            continue  # part of something that is not a counted session: it says nothing here
        words = said[procedures.index(procedure)]
        if entry.kind == "Observation":
            _observation(entry, mapping, as_of, words, problems)
        else:
            _response(entry, mapping, as_of, words, problems)
    out = []
    for index, procedure in enumerate(procedures):
        session: dict[str, Any] = {
            "exercise": procedure.exercise,
            "at": procedure.at.isoformat().replace("+00:00", "Z"),
        }
        refs = {
            "exercise": (procedure.entry.ref, procedure.entry.where),
            "at": (procedure.entry.ref, procedure.entry.where),
        }
        for name, heard in sorted(said[index].items()):
            latest = max(heard, key=lambda w: w.time or procedure.at)
            session[name] = latest.value
            refs[name] = (latest.ref, latest.where)
        out.append((session, refs))
    return out


def _observation(
    entry: Entry, mapping: Mapping, as_of: dt.datetime, words: dict[str, list[Found]], problems: Problems
) -> None:
    resource = entry.resource
    matching = [r for r in mapping.session_rules if has_code(resource.get("code"), r.codes)]
    if not matching or not usable_status(entry, mapping, problems):
        return
    time, _ = observation_time(entry, problems)
    if time is not None and time > as_of:
        return
    phases = [
        e.get("valueCode")
        for e in resource.get("extension", [])
        if isinstance(e, dict) and e.get("url") == mapping.phase_extension
    ]
    for rule in matching:
        if rule.body_site and not has_code(resource.get("bodySite"), rule.body_site):
            continue
        if rule.phase is not None and phases != [rule.phase]:
            continue
        found = observation_value(entry, rule, time, problems)
        if found is not None:
            words.setdefault(rule.field, []).append(found)


def _response(
    entry: Entry, mapping: Mapping, as_of: dt.datetime, words: dict[str, list[Found]], problems: Problems
) -> None:
    time = response_time(entry, mapping, as_of, problems)
    if time is None:
        return
    for at, item in items(entry, entry.resource.get("item"), "item", problems):
        link = item.get("linkId")
        field = mapping.session_fields.get(link) if isinstance(link, str) else None
        if field is None or link in (f"{mapping.session_field}.exercise", f"{mapping.session_field}.at"):
            if isinstance(link, str) and link.startswith(f"{mapping.session_field}."):
                problems.append(
                    (entry.at(f"{at}.linkId"), f"'{link[:60]}' is no session field the answers may set")
                )
            continue
        value = answer_value(entry, at, item, field, problems)
        if value is not ...:
            words.setdefault(field.path.split(".", 1)[1], []).append(
                Found(value, time, entry.ref, entry.where)
            )
