"""The importer's own check of a plain QuestionnaireResponse never accepts what fhir.resources refuses.

`clinrules.fhir.reading.plain_response` stands in for fhir.resources' model
of a QuestionnaireResponse (the costly part of an import). It may decline
(then fhir.resources judges), but a response it accepts must be one
fhir.resources accepts. Responses are generated from plain parts and from
near misses: nulls, empty values, wrong types, padded or blank strings,
unknown elements, bad dates, references of another shape.
"""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import event, given, note
from hypothesis import strategies as st
from pydantic import ValidationError

from clinrules.fhir.reading import plain_response
from tests.conftest import ROOT, examples

_ODD = st.sampled_from(
    [
        None,
        "",
        " ",
        " x",
        "x ",
        "a\nb",
        "\t",
        [],
        {},
        0,
        -1,
        2**31,
        1.5,
        float("nan"),
        True,
        "yes",
        "3",
        "x" * 65,
        "a_b",
        "a  b",
        "2026-11-21T08:00",
        "2026-11-21T08:00:00",
        "2026-13-01",
        "2026-02-30T08:00:00Z",
        "2026-11",
        {"reference": "Patient/p", "type": "Patient"},
        {"display": "x"},
        {"code": None},
    ]
)


_TENTHS = st.sampled_from(range(10))  # 0 one time in ten (integers() favours its ends)


def _mostly(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` nine times in ten, else a near miss: many responses are plain, and a gap is still found."""
    return _TENTHS.flatmap(lambda n: _ODD if n == 0 else good)


_TEXT = _mostly(st.sampled_from(["pregnant", "symptoms.numbness", "Yes", "a b", "é", "x" * 80]))
_TIME = _mostly(
    st.sampled_from(
        ["2026-11-21T08:00:00Z", "2026-11-21T08:00:00+01:00", "2026-11-21", "2026-11-21T08:00:00.123Z"]
    )
)
_REFERENCE = _mostly(
    st.one_of(
        st.fixed_dictionaries({"reference": _TEXT}, optional={"display": _TEXT}),
        st.sampled_from(
            [{"reference": "Patient/p"}, {"reference": "Procedure/s1"}, {"reference": "Group/g"}]
        ),
    )
)
_CODING = st.fixed_dictionaries(
    {"code": _TEXT}, optional={"system": _TEXT, "display": _TEXT, "version": _TEXT, "userSelected": _ODD}
)
_VALUE = st.one_of(
    st.tuples(st.just("valueBoolean"), _mostly(st.booleans())),
    st.tuples(st.just("valueInteger"), _mostly(st.integers(-(2**32), 2**32))),
    st.tuples(st.just("valueDecimal"), _mostly(st.one_of(st.integers(-(2**32), 2**32), st.floats()))),
    st.tuples(st.just("valueString"), _TEXT),
    st.tuples(st.just("valueDateTime"), _TIME),
    st.tuples(st.just("valueCoding"), _mostly(_CODING)),
)
_OTHER_VALUE = st.tuples(st.sampled_from(["valueDate", "valueUri", "valueFoo", "extension"]), _TEXT)


def _answers(items: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    answer = st.tuples(
        _TENTHS.flatmap(
            lambda n: (
                st.lists(_VALUE | _OTHER_VALUE, max_size=2)
                if n == 0
                else st.lists(_VALUE, min_size=1, max_size=1)
            )
        ),
        st.one_of(st.none(), st.none(), items),
    ).map(lambda parts: {**dict(parts[0]), **({"item": parts[1]} if parts[1] is not None else {})})
    return _mostly(st.lists(answer, min_size=1, max_size=3))


def _item_lists(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    item = st.fixed_dictionaries(
        {"linkId": _TEXT}, optional={"text": _TEXT, "answer": _answers(children), "item": children}
    )
    odd_item = st.fixed_dictionaries({}, optional={"linkId": _TEXT, "x": _TEXT, "modifierExtension": _ODD})
    return _mostly(st.lists(_TENTHS.flatmap(lambda n: odd_item if n == 0 else item), min_size=1, max_size=3))


_ITEMS = st.recursive(_mostly(st.just([])), _item_lists, max_leaves=8)
_RESPONSE = st.fixed_dictionaries(
    {
        "resourceType": st.just("QuestionnaireResponse"),
        "status": _mostly(st.sampled_from(["completed", "amended"])),
    },
    optional={
        "id": _mostly(st.sampled_from(["r1", "a.b-C", "x" * 64])),
        "authored": _TIME,
        "subject": _REFERENCE,
        "partOf": _mostly(st.lists(_REFERENCE, max_size=2)),
        "questionnaire": _TEXT,
        "item": _ITEMS,
    },
).flatmap(
    lambda plain: _TENTHS.map(
        lambda n: (
            {**plain, "meta": {"versionId": "1"}}
            if n == 0
            else {**plain, "unknownElement": 1}
            if n == 1
            else plain
        )
    )
)


def _fhir_accepts(resource: dict[str, Any]) -> bool:
    try:
        QuestionnaireResponse.model_validate(resource)
    except (ValidationError, ValueError, TypeError, KeyError):
        return False
    return True


@examples(ci=400)
@given(_RESPONSE)
def test_a_plain_response_is_one_fhir_resources_accepts(response: dict[str, Any]) -> None:
    plain = plain_response(response)
    event("plain" if plain else "declined")
    if plain:
        note(json.dumps(response, default=str))
        assert _fhir_accepts(response)


def test_the_shipped_answers_take_the_plain_path() -> None:
    # Else the speed-up is lost without a failing test; these are the shipped patients' responses.
    from tests.support.fhir import to_bundle

    responses = [
        entry["resource"]
        for path in sorted((ROOT / "rulesets" / "sciatica" / "patients").glob("*.json"))
        for entry in to_bundle(json.loads(path.read_text(encoding="utf-8")))["entry"]
        if entry["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    assert responses
    assert [r.get("id") for r in responses if not plain_response(r)] == []
    assert all(_fhir_accepts(r) for r in responses)


def test_a_response_the_plain_check_declines_still_gets_fhir_resources_errors() -> None:
    from clinrules.fhir.reading import Entry, well_formed

    problems: list[tuple[str, str]] = []
    bad = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": [{"text": "no linkId"}]}
    assert not plain_response(bad)
    assert not well_formed(Entry(bad, "Bundle.entry[0].resource", "QuestionnaireResponse/q", None), problems)
    assert problems
    assert all(path.startswith("Bundle.entry[0].resource") for path, _ in problems)
