"""The strict type check's fast passes (`engine/kinds.py`) never change what is refused, nor its wording.

A pass only says "all right" or "not sure"; on "not sure" the full check runs
from the start. So, over any session log, the problems found with the pass
are those found without it, and a log the pass accepts has no problem.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinrules.engine import inputs
from clinrules.engine.inputs import strict_problems
from clinrules.models.sciatica import Patient
from clinrules.schema.reader import schema_of
from tests.conftest import examples

SCHEMA = schema_of(Patient)
EXERCISES = frozenset({"glute_squeeze", "glute_bridge"})
KEYS = [*sorted(SCHEMA.session_fields), "not_a_field"]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**16), max_value=10**16),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, 1e15, -1e15, 1e15 + 1, 10**15, 10**15 + 1]),
    st.sampled_from(
        [
            "glute_squeeze",
            "glute_brige",
            "2026-11-20T18:00:00Z",
            "2026-11-20T18:00:00+01:00",
            "2026-11-20T18:00:00",
            "yesterday",
            "thigh",
            "7",
            "N",
        ]
    ),
    st.lists(st.sampled_from(["thigh", 3]), max_size=2),
)
SESSION = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)


def _without_pass(monkeypatch: pytest.MonkeyPatch, state: dict[str, Any]) -> list[tuple[str, str]]:
    with monkeypatch.context() as patched:
        patched.setattr(inputs, "sessions_pass", lambda *args: False)
        return strict_problems(SCHEMA, state, EXERCISES)


@examples(ci=300)
@given(
    st.lists(
        st.one_of(SESSION, st.just({"exercise": "glute_squeeze", "at": "2026-11-20T18:00:00Z"})), max_size=5
    )
)
def test_the_session_pass_refuses_exactly_what_the_loop_refuses(sessions: list[dict[str, Any]]) -> None:
    state = {"sessions": sessions}
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert strict_problems(SCHEMA, state, EXERCISES) == _without_pass(monkeypatch, state)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("pain_during", True),
        ("pain_during", "7"),
        ("pain_during", math.nan),
        ("pain_during", 1e16),
        ("at", "2026-11-20T18:00:00"),
        ("exercise", "glute_brige"),
        ("shooting_pain", "N"),
        ("extent_during", 3),
    ],
)
def test_one_wrong_value_in_a_long_log_is_found(key: str, value: object) -> None:
    good = {
        "exercise": "glute_squeeze",
        "at": "2026-11-20T18:00:00Z",
        "pain_during": 2,
        "shooting_pain": False,
    }
    sessions = [dict(good, at=f"2026-10-{day:02d}T18:00:00Z") for day in range(1, 29)]
    sessions[17] = {**sessions[17], key: value}
    problems = strict_problems(SCHEMA, {"sessions": sessions}, EXERCISES)
    assert [path for path, _ in problems] == [f"sessions[17].{key}"]
    assert strict_problems(SCHEMA, {"sessions": sessions[:17]}, EXERCISES) == []
