"""What each resource says about the model's fields: Patient, Observation, Condition, QuestionnaireResponse.

Each function adds `Found` words to `words` (field path -> every word on
it); `importer._decide` then picks the one that counts. Statuses are checked
against FHIR's own value sets here, because fhir.resources does not enforce
required bindings (`status: "finished"` passes it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinrules.fhir.mapping import Mapping, Rule
from clinrules.fhir.reading import Entry, Problems, codings, expected, has_code, parse_time
from clinrules.fhir.values import Found, answer_value, observation_value

Words = dict[str, list[Found]]

STATUS_CODES = {
    "Observation": (
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    ),
    "QuestionnaireResponse": ("in-progress", "completed", "amended", "entered-in-error", "stopped"),
    "Procedure": (
        "preparation",
        "in-progress",
        "not-done",
        "on-hold",
        "stopped",
        "completed",
        "entered-in-error",
        "unknown",
    ),
}
VERIFICATION = ("unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error")
VERIFICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CLINICAL_ACTIVE = ("active", "recurrence", "relapse")
CLINICAL = (*CLINICAL_ACTIVE, "inactive", "remission", "resolved")


def usable_status(entry: Entry, mapping: Mapping, problems: Problems) -> bool:
    """Whether the resource's status lets it count; a status outside FHIR's value set is a problem."""
    kind = entry.kind
    status = entry.resource.get("status")
    if status not in STATUS_CODES[kind]:
        problems.append(
            (entry.at("status"), f"expected one of {', '.join(STATUS_CODES[kind])}, got {expected(status)}")
        )
        return False
    return status in mapping.statuses.get(kind, frozenset())


def observation_time(entry: Entry, problems: Problems) -> tuple[dt.datetime | None, bool]:
    """When an Observation was made (effective[x], else issued), and whether that is known."""
    resource = entry.resource
    for key in ("effectiveDateTime", "effectiveInstant", "issued"):
        if key in resource:
            parsed = parse_time(resource[key])
            if parsed is None:
                problems.append(
                    (
                        entry.at(key),
                        f"expected a FHIR dateTime with a UTC offset, got {expected(resource[key])}",
                    )
                )
                return None, False
            return parsed[0], True
    period = resource.get("effectivePeriod")
    if isinstance(period, dict):
        parsed = parse_time(period.get("end", period.get("start")))
        if parsed is not None:
            return parsed[0], True
    return None, False


def patient_words(
    entry: Entry, mapping: Mapping, as_of: dt.datetime, words: Words, problems: Problems
) -> None:
    """Age from Patient.birthDate: whole years at `as_of`, unknown if a partial date leaves it open."""
    for rule in mapping.rules:
        if rule.source != "birth_date":
            continue
        born = entry.resource.get("birthDate")
        if born is None:
            continue
        age = _age(born, as_of.date())
        if age is ...:
            problems.append(
                (entry.at("birthDate"), f"expected a date on or before as_of, got {expected(born)}")
            )
            continue
        words.setdefault(rule.field, []).append(Found(age, None, entry.ref, entry.where))


def _age(born: object, on: dt.date) -> Any:
    if not isinstance(born, str):
        return ...
    parts = born.split("-")
    try:
        year = int(parts[0])
        months = [int(parts[1])] if len(parts) > 1 else list(range(1, 13))
        ages = set()
        for month in months:
            last = 31 if month in (1, 3, 5, 7, 8, 10, 12) else 30 if month != 2 else 28
            days = [int(parts[2])] if len(parts) > 2 else [1, last]
            for day in days:
                birth = dt.date(year, month, day)
                if birth > on:
                    continue
                ages.add(on.year - year - ((on.month, on.day) < (month, day)))
    except (ValueError, IndexError):
        return ...
    if not ages:
        return ...
    return ages.pop() if len(ages) == 1 else None


def observation_words(
    entry: Entry, mapping: Mapping, as_of: dt.datetime, words: Words, problems: Problems
) -> None:
    """An Observation not part of a session: the mapping's observation, finding and muscle-grade rows."""
    resource = entry.resource
    matching = [
        r
        for r in mapping.rules
        if r.source != "birth_date" and r.source != "condition" and has_code(resource.get("code"), r.codes)
    ]
    if not matching or not usable_status(entry, mapping, problems):
        return
    time, dated = observation_time(entry, problems)
    if not dated or time is None or time > as_of:
        return  # undated, or after as_of: it may not be the patient's state at as_of
    for rule in matching:
        if rule.body_site and not has_code(resource.get("bodySite"), rule.body_site):
            continue  # a pain score with no body site is not a back or a leg pain: unknown
        if rule.source == "finding":
            if _finding_said(entry, problems):
                words.setdefault(rule.field, []).append(
                    Found(True, time, entry.ref, entry.where, finding=True)
                )
        elif rule.source == "muscle_grades":
            _muscle_grade(entry, rule, mapping, time, words, problems)
        else:
            found = observation_value(entry, rule, time, problems)
            if found is not None:
                words.setdefault(rule.field, []).append(found)


def _finding_said(entry: Entry, problems: Problems) -> bool:
    """Whether an Observation of a finding says it is present: no value, or valueBoolean true."""
    resource = entry.resource
    if "dataAbsentReason" in resource:
        return False
    if "valueBoolean" in resource:
        value = resource["valueBoolean"]
        if not isinstance(value, bool):
            problems.append((entry.at("valueBoolean"), f"expected true or false, got {expected(value)}"))
            return False
        return value  # false: a finding never clears a flag
    return not any(key.startswith("value") for key in resource)


def _muscle_grade(
    entry: Entry, rule: Rule, mapping: Mapping, time: dt.datetime, words: Words, problems: Problems
) -> None:
    muscles = [
        mapping.muscles[f"{s}|{c}"]
        for s, c in codings(entry.resource.get("bodySite"))
        if f"{s}|{c}" in mapping.muscles
    ]
    if len(muscles) != 1:
        problems.append(
            (entry.at("bodySite"), f"expected one muscle action of the mapping, got {len(muscles)}")
        )
        return
    found = observation_value(entry, rule, time, problems)
    if found is None or found.value is None:
        return
    if not 0 <= found.value <= 5:
        problems.append((entry.at("valueInteger"), f"expected an MRC grade from 0 to 5, got {found.value}"))
        return
    words.setdefault(f"{rule.field}#{muscles[0]}", []).append(found)


def condition_words(
    entry: Entry, mapping: Mapping, as_of: dt.datetime, words: Words, problems: Problems
) -> None:
    """A Condition: the diagnosis rows (verification, onset) and the findings it records."""
    resource = entry.resource
    matching = [
        r
        for r in mapping.rules
        if r.source in ("condition", "finding") and has_code(resource.get("code"), r.codes)
    ]
    if not matching:
        return
    verification = _status_code(entry, "verificationStatus", VERIFICATION_SYSTEM, VERIFICATION, problems)
    clinical = _status_code(entry, "clinicalStatus", CLINICAL_SYSTEM, CLINICAL, problems)
    if verification is ... or clinical is ... or verification == "entered-in-error":
        return
    time = None
    for key in ("recordedDate", "onsetDateTime"):
        if key in resource:
            parsed = parse_time(resource[key])
            if parsed is None:
                problems.append((entry.at(key), f"expected a FHIR dateTime, got {expected(resource[key])}"))
                return
            time = parsed[0]
            break
    if time is not None and time > as_of:
        return
    for rule in matching:
        if rule.source == "finding":
            if verification != "refuted" and clinical in (None, *CLINICAL_ACTIVE):
                words.setdefault(rule.field, []).append(
                    Found(True, time, entry.ref, entry.where, finding=True)
                )
            continue
        reader = rule.value if isinstance(rule.value, dict) else {}
        if "verification" in reader:
            value = reader["verification"].get(verification) if isinstance(verification, str) else None
            words.setdefault(rule.field, []).append(Found(value, time, entry.ref, entry.where))
        elif "onset_within_days" in reader:
            onset = parse_time(
                resource.get("onsetDateTime", (resource.get("onsetPeriod") or {}).get("start"))
            )
            within = None if onset is None else (as_of - onset[0]).days <= int(reader["onset_within_days"])
            words.setdefault(rule.field, []).append(Found(within, time, entry.ref, entry.where))


def _status_code(
    entry: Entry, element: str, system: str, allowed: tuple[str, ...], problems: Problems
) -> Any:
    concept = entry.resource.get(element)
    if concept is None:
        return None
    codes = [code for s, code in codings(concept) if s == system]
    if len(codes) != 1 or codes[0] not in allowed:
        problems.append(
            (entry.at(element), f"expected one {system} code of {', '.join(allowed)}, got {expected(codes)}")
        )
        return ...
    return codes[0]


def items(entry: Entry, listed: object, at: str, problems: Problems) -> list[tuple[str, dict[str, Any]]]:
    """Every item of a QuestionnaireResponse with its path, nested groups included."""
    if listed is None:
        return []
    if not isinstance(listed, list):
        problems.append((entry.at(at), "expected a list of items"))
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    for index, item in enumerate(listed):
        path = f"{at}[{index}]"
        if isinstance(item, dict):
            out.append((path, item))
            out.extend(items(entry, item.get("item"), f"{path}.item", problems))
    return out


def response_time(
    entry: Entry, mapping: Mapping, as_of: dt.datetime, problems: Problems
) -> dt.datetime | None:
    """When a usable QuestionnaireResponse was authored; None if it does not count (status, undated, later)."""
    if not usable_status(entry, mapping, problems):
        return None
    parsed = parse_time(entry.resource.get("authored"))
    if "authored" in entry.resource and (parsed is None or not parsed[1]):
        problems.append(
            (
                entry.at("authored"),
                f"expected a time with a UTC offset, got {expected(entry.resource['authored'])}",
            )
        )
        return None
    if parsed is None or parsed[0] > as_of:
        return None
    return parsed[0]


def response_words(
    entry: Entry, mapping: Mapping, as_of: dt.datetime, words: Words, problems: Problems
) -> None:
    """A QuestionnaireResponse not part of a session: each item whose linkId is a field path."""
    time = response_time(entry, mapping, as_of, problems)
    if time is None:
        return
    groups = {path.split(".", 1)[0] for path in mapping.fields if "." in path}
    if mapping.session_field is not None:
        groups.add(mapping.session_field)
    screened = False
    for at, item in items(entry, entry.resource.get("item"), "item", problems):
        link = item.get("linkId")
        field = mapping.fields.get(link) if isinstance(link, str) else None
        if field is None:
            if isinstance(link, str) and (link.split(".", 1)[0] in groups and "." in link):
                problems.append((entry.at(f"{at}.linkId"), f"'{link[:60]}' is no field of the model"))
            continue
        value = answer_value(entry, at, item, field, problems)
        if value is not ...:
            words.setdefault(field.path, []).append(Found(value, time, entry.ref, entry.where))
        screened = screened or mapping.is_red_flag(field.path)
    if screened and mapping.screened_at is not None and mapping.screened_at not in _linked(entry):
        stamp = time.isoformat().replace("+00:00", "Z")
        words.setdefault(mapping.screened_at, []).append(Found(stamp, time, entry.ref, entry.where))


def _linked(entry: Entry) -> set[object]:
    listed = entry.resource.get("item")
    return {i.get("linkId") for i in listed if isinstance(i, dict)} if isinstance(listed, list) else set()
