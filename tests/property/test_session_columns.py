"""The session log's column-at-a-time ways decide nothing: `sessions_of` and the model's
one-session-per-time check give what their session-by-session ways give, on any log.

`datachecks.sessions_in_order` and `validated.apart_in_time` answer only in
the common case (every time in one fixed-offset zone object, none after
`as_of`, no two of one exercise at one time) and otherwise say "not sure";
the session-by-session ways then word each problem.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from clinrules.base.errors import PatientDataError
from clinrules.engine import inputs
from clinrules.engine.inputs import sessions_of
from clinrules.models import validated
from clinrules.models.sciatica import Patient, Session
from tests.conftest import examples

NOW = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)
EXERCISES = frozenset({"glute_squeeze", "glute_bridge"})
ZONES = [
    dt.UTC,
    dt.timezone(dt.timedelta(hours=1)),
    dt.timezone(dt.timedelta(hours=-5)),
    ZoneInfo("Europe/London"),
]


def _times_in(zones: st.SearchStrategy[dt.tzinfo]) -> st.SearchStrategy[dt.datetime]:
    # Half-hours around NOW: some after it, and often two at one time.
    return st.builds(
        lambda steps, zone: (NOW - dt.timedelta(minutes=30 * steps)).astimezone(zone),
        st.integers(-3, 12),
        zones,
    )


TIMES = _times_in(st.sampled_from(ZONES))
LOGS = st.one_of(
    st.lists(st.tuples(st.sampled_from(["glute_squeeze", "glute_bridge", "glute_brige"]), TIMES), max_size=8),
    st.sampled_from(ZONES).flatmap(
        lambda zone: st.lists(
            st.tuples(st.sampled_from(["glute_squeeze", "glute_bridge"]), _times_in(st.just(zone))),
            max_size=8,
        )
    ),
)
TEXTS = st.sampled_from(["2026-11-20T18:00:00Z", "2026-11-20T19:00:00+01:00", "2026-11-21T09:00:00Z"])


def _outcome(run: Any) -> object:
    try:
        chosen, by_exercise = run()
    except PatientDataError as error:
        return ("refused", error.problems)
    return [id(s) for s in chosen], {k: [id(s) for s in v] for k, v in by_exercise.items()}


@examples(ci=300)
@given(LOGS, st.sampled_from([EXERCISES, None]))
def test_sessions_of_orders_and_refuses_as_session_by_session(
    drawn: list[tuple[str, dt.datetime]], exercises: frozenset[str] | None
) -> None:
    sessions = [Session.model_construct(exercise=exercise, at=at) for exercise, at in drawn]
    patient = Patient.model_construct(sessions=sessions)
    warned: list[tuple[str, str]] = []
    fast = _outcome(lambda: sessions_of(patient, NOW, True, exercises, warned))
    slow_warned: list[tuple[str, str]] = []
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(inputs, "sessions_in_order", lambda *args: None)
        slow = _outcome(lambda: sessions_of(patient, NOW, True, exercises, slow_warned))
    assert fast == slow
    assert warned == slow_warned


@examples(ci=300)
@given(
    st.lists(
        st.tuples(st.sampled_from(["glute_squeeze", "glute_bridge"]), st.one_of(TEXTS, TIMES)), max_size=6
    )
)
def test_the_model_refuses_two_sessions_at_one_time_as_session_by_session(
    drawn: list[tuple[str, object]],
) -> None:
    state = {"sessions": [{"exercise": exercise, "at": at} for exercise, at in drawn]}

    def outcome() -> object:
        try:
            return Patient.model_validate(state).model_dump()
        except ValidationError as error:
            return [(e["loc"], e["msg"]) for e in error.errors()]

    fast = outcome()
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(validated, "apart_in_time", lambda sessions: False)
        patched.setattr("clinrules.models.sciatica.apart_in_time", lambda sessions: False)
        slow = outcome()
    assert fast == slow


def test_a_log_of_one_zone_is_told_apart_a_column_at_a_time() -> None:
    at = dt.datetime(2026, 11, 20, 18, tzinfo=dt.UTC)
    apart = [
        Session.model_construct(exercise="glute_squeeze", at=at - dt.timedelta(days=d)) for d in range(5)
    ]
    assert validated.apart_in_time(apart)
    assert not validated.apart_in_time([*apart, apart[2]])  # two at one time
    london = [s.model_copy(update={"at": s.at.astimezone(ZoneInfo("Europe/London"))}) for s in apart]
    assert not validated.apart_in_time(london)  # not a fixed offset: not sure
