"""`recheck_at` (language-2 section 3): worked examples, the JSON, the text and `recheck=False`.

The exactness property against brute force is in tests/property/test_recheck_property.py.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest

import clinrules
from clinrules.cli import main
from clinrules.decision.result import recheck_words

AS_OF = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)

RULES = """\
ruleset recheck version 1.0.0 status draft model sciatica
parameter retrial = 2 days between 1 days and 14 days
exercise bridge "Bridge"
exercise squeeze "Squeeze"
exercise walking "Walking"
rule flare_today for bridge: stop if any session within 24 hours had pain_during > 5
  instead squeeze
rule stale_screen for squeeze: check if screened_at < now - 24 hours
  when unknown check
rule retrial_wait for walking: avoid if any session of bridge within retrial had shooting_pain
otherwise allow
"""


def _at(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _patient(**sessions: Any) -> dict[str, Any]:
    return {
        "red_flags": {"screened_at": _at(AS_OF - dt.timedelta(hours=2))},
        "sessions": list(sessions.values()),
    }


def _session(exercise: str, at: dt.datetime, **values: Any) -> dict[str, Any]:
    return {"exercise": exercise, "at": _at(at), **values}


@pytest.fixture(scope="module")
def ruleset() -> clinrules.RuleSet:
    return clinrules.compile(RULES, allow_draft=True)


def _evaluate(ruleset: clinrules.RuleSet, patient: dict[str, Any], **kwargs: Any) -> clinrules.Decision:
    return ruleset.evaluate(patient, as_of=AS_OF, **kwargs)


def test_a_24_hour_window_lapses_one_second_after_the_session_plus_24_hours(
    ruleset: clinrules.RuleSet,
) -> None:
    flare = AS_OF - dt.timedelta(hours=13, minutes=55)  # 1 Dec, 18:05
    patient = _patient(a=_session("bridge", flare, pain_during=7))
    bridge = _evaluate(ruleset, patient).exercises["bridge"]
    assert bridge.verdict == "stop"
    # Still in the window at flare + 24 h (`now - 24 hours <= at`), out just after it.
    assert bridge.recheck_at == flare + dt.timedelta(hours=24) + SECOND
    assert (
        _evaluate(ruleset, patient, exercises=["bridge"]).exercises["bridge"].recheck_at == bridge.recheck_at
    )
    assert ruleset.evaluate(patient, as_of=bridge.recheck_at).exercises["bridge"].verdict == "allow"
    assert ruleset.evaluate(patient, as_of=bridge.recheck_at - SECOND).exercises["bridge"].verdict == "stop"


def test_a_strict_bound_changes_one_second_after_its_instant(ruleset: clinrules.RuleSet) -> None:
    screened = AS_OF - dt.timedelta(hours=2)
    d = _evaluate(ruleset, _patient())
    # `screened_at < now - 24 hours` is false at screened + 24 h exactly, true after.
    assert d.exercises["squeeze"].verdict == "allow"
    assert d.exercises["squeeze"].recheck_at == screened + dt.timedelta(hours=24) + SECOND


def test_an_inclusive_bound_changes_at_its_instant() -> None:
    rules = RULES.replace("screened_at < now - 24 hours", "screened_at <= now - 24 hours")
    d = clinrules.compile(rules, allow_draft=True).evaluate(_patient(), as_of=AS_OF)
    assert d.exercises["squeeze"].recheck_at == AS_OF - dt.timedelta(hours=2) + dt.timedelta(hours=24)


def test_an_elapsed_time_compared_with_a_duration_is_solved_exactly() -> None:
    rules = RULES.replace("screened_at < now - 24 hours", "now - screened_at > 24 hours")
    d = clinrules.compile(rules, allow_draft=True).evaluate(_patient(), as_of=AS_OF)
    assert d.exercises["squeeze"].recheck_at == AS_OF + dt.timedelta(hours=22) + SECOND


def test_a_window_from_a_parameter_follows_the_parameter(ruleset: clinrules.RuleSet) -> None:
    shot = AS_OF - dt.timedelta(hours=6)
    patient = _patient(a=_session("bridge", shot, shooting_pain=True))
    default = _evaluate(ruleset, patient)
    assert default.exercises["walking"].verdict == "avoid"
    assert default.exercises["walking"].recheck_at == shot + dt.timedelta(days=2) + SECOND
    longer = _evaluate(ruleset, patient, parameters={"retrial": 5})
    assert longer.exercises["walking"].recheck_at == shot + dt.timedelta(days=5) + SECOND


def test_a_red_flag_whose_screening_lapses_gives_the_triage_and_every_exercise_a_recheck() -> None:
    rules = RULES.replace(
        "rule flare_today",
        'red flag screen_lapsed "Screen out of date": urgent if screened_at < now - 12 hours\n  care same_day\n'
        "rule flare_today",
    )
    d = clinrules.compile(rules, allow_draft=True).evaluate(_patient(), as_of=AS_OF)
    lapse = AS_OF - dt.timedelta(hours=2) + dt.timedelta(hours=12) + SECOND
    assert d.triage == "clear"
    assert d.recheck_at == lapse
    assert {e.recheck_at for e in d.exercises.values()} == {lapse}


def test_the_decision_recheck_at_is_the_earliest_of_its_exercises(ruleset: clinrules.RuleSet) -> None:
    flare = AS_OF - dt.timedelta(hours=20)
    d = _evaluate(ruleset, _patient(a=_session("bridge", flare, pain_during=7, shooting_pain=True)))
    times = [e.recheck_at for e in d.exercises.values() if e.recheck_at is not None]
    assert len(times) == 3
    assert d.recheck_at == min(times) == flare + dt.timedelta(hours=24) + SECOND


def test_with_nothing_timed_to_change_recheck_at_is_null() -> None:
    rs = clinrules.compile(
        "ruleset plain version 1.0.0 status draft model sciatica\n"
        'exercise walking "Walking"\nrule r for walking: avoid if leg_pain > 6\notherwise allow\n',
        allow_draft=True,
    )
    d = rs.evaluate({"symptoms": {"leg_pain": 8}}, as_of=AS_OF)
    assert d.recheck_at is None
    assert d.exercises["walking"].recheck_at is None
    assert d.model_dump(mode="json")["recheck_at"] is None


def test_recheck_false_leaves_every_recheck_at_null(ruleset: clinrules.RuleSet) -> None:
    patient = _patient(a=_session("bridge", AS_OF - dt.timedelta(hours=1), pain_during=7))
    assert _evaluate(ruleset, patient).recheck_at is not None
    off = _evaluate(ruleset, patient, recheck=False)
    assert off.recheck_at is None
    assert all(e.recheck_at is None for e in off.exercises.values())
    many = list(ruleset.evaluate_many([patient, patient], as_of=AS_OF, recheck=False))
    assert all(d.recheck_at is None for d in many)
    assert [d.recheck_at for d in ruleset.evaluate_many([patient], as_of=AS_OF)] == [
        _evaluate(ruleset, patient).recheck_at
    ]


@pytest.mark.parametrize("value", [1, "yes", None])
def test_recheck_must_be_a_bool(ruleset: clinrules.RuleSet, value: object) -> None:
    with pytest.raises(clinrules.ArgumentError):
        ruleset.evaluate(_patient(), as_of=AS_OF, recheck=value)  # type: ignore[arg-type]
    with pytest.raises(clinrules.ArgumentError):
        list(ruleset.evaluate_many([_patient()], as_of=AS_OF, recheck=value))  # type: ignore[arg-type]


def test_a_session_after_as_of_is_no_candidate(ruleset: clinrules.RuleSet) -> None:
    future = _session("bridge", AS_OF + dt.timedelta(hours=1), pain_during=7)
    d = _evaluate(ruleset, {"red_flags": {}, "sessions": [future]})
    assert d.exercises["bridge"].verdict == "allow"
    assert d.exercises["bridge"].recheck_at is None


def test_the_json_writes_recheck_at_like_as_of(ruleset: clinrules.RuleSet) -> None:
    flare = dt.datetime(2026, 12, 1, 19, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))  # 18:05 UTC
    data = _evaluate(ruleset, _patient(a=_session("bridge", flare, pain_during=7))).model_dump(mode="json")
    assert data["exercises"]["bridge"]["recheck_at"] == "2026-12-02T18:05:01Z"
    assert data["recheck_at"] == "2026-12-02T18:05:01Z"
    assert data["exercises"]["walking"]["recheck_at"] is None
    assert clinrules.Decision.model_validate(data).model_dump(mode="json") == data


def test_recheck_words_say_the_day_and_time_in_utc() -> None:
    moment = dt.datetime(2025, 12, 2, 19, 5, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert recheck_words(moment) == "check again after Tue 2 Dec 2025, 18:05 UTC"
    assert recheck_words(moment.replace(second=30)) == "check again after Tue 2 Dec 2025, 18:05:30 UTC"


def test_explain_and_the_cli_text_say_when_to_check_again(ruleset: clinrules.RuleSet, tmp_path: Path) -> None:
    patient = _patient(a=_session("bridge", dt.datetime(2026, 12, 1, 18, 5, tzinfo=dt.UTC), pain_during=7))
    decision = _evaluate(ruleset, patient)
    assert decision.recheck_at is not None
    words = recheck_words(decision.recheck_at)
    assert words in decision.explain()
    assert "check again" not in _evaluate(ruleset, patient, recheck=False).explain().lower()
    rules, data = tmp_path / "r.rules", tmp_path / "p.json"
    rules.write_text(RULES, encoding="utf-8")
    data.write_text(json.dumps({**patient, "as_of": _at(AS_OF)}), encoding="utf-8")
    out = io.StringIO()
    assert main(["eval", str(rules), str(data), "--allow-draft"], out, io.StringIO()) == 0
    assert words in out.getvalue()


def test_the_decision_schema_has_recheck_at() -> None:
    out = io.StringIO()
    assert main(["schema", "decision"], out, io.StringIO()) == 0
    schema = json.loads(out.getvalue())
    assert "recheck_at" in schema["properties"]
    assert "recheck_at" in schema["$defs"]["ExerciseDecision"]["properties"]


def test_a_red_flag_over_one_exercise_reads_that_exercise_s_sessions() -> None:
    # The newest session in the log is another exercise's: the flag's instant comes from squeeze's.
    rules = RULES.replace(
        "rule flare_today",
        'red flag squeeze_aged "Squeeze long ago": urgent if the last squeeze session had at < now - 1 hours\n'
        "  care same_day\nrule flare_today",
    )
    squeeze = AS_OF - dt.timedelta(minutes=30)
    patient = _patient(a=_session("squeeze", squeeze), b=_session("bridge", AS_OF - dt.timedelta(minutes=1)))
    d = clinrules.compile(rules, allow_draft=True).evaluate(patient, as_of=AS_OF)
    assert d.triage == "clear"
    assert d.recheck_at == squeeze + dt.timedelta(hours=1) + SECOND


def test_an_age_from_a_date_of_birth_changes_at_the_start_of_that_day_in_utc_plus_the_years() -> None:
    from tests.support.models import Ward

    rules = (
        "ruleset aged version 1.0.0 status draft model ward\n"
        'exercise walk "Walk"\n'
        "rule older for walk: check if now - birth_date >= 65 years\n"
        "otherwise allow\n"
    )
    ruleset = clinrules.compile(rules, model=Ward, allow_draft=True)
    # From 1961-12-03T00:00Z, 65 years of 365.25 days end at 2026-12-03T06:00Z.
    d = ruleset.evaluate({"birth_date": "1961-12-03"}, as_of=AS_OF)
    reached = dt.datetime(2026, 12, 3, 6, tzinfo=dt.UTC)
    assert d.exercises["walk"].verdict == "allow"
    assert d.exercises["walk"].recheck_at == reached
    assert ruleset.evaluate({"birth_date": "1961-12-03"}, as_of=reached).exercises["walk"].verdict == "check"
    assert (
        ruleset.evaluate({"birth_date": "1961-12-03"}, as_of=reached - SECOND).exercises["walk"].verdict
        == "allow"
    )


def test_a_score_reads_every_session_so_its_window_counts_for_a_rule_about_another_exercise() -> None:
    text = """\
ruleset scored version 1.0.0 status draft model sciatica
exercise bridge "Bridge"
exercise walking "Walking"
score flare_points "Flare points":
  1 if any session within 24 hours had shooting_pain
  1 if screened_at < now - 2 days
assess flare "Flare":
  flaring if flare_points >= 1
  otherwise settled
rule flare_today for bridge: avoid if flare_points >= 1
rule flaring for walking: check if flare is flaring
otherwise allow
"""
    ruleset = clinrules.compile(text, allow_draft=True)
    walked = AS_OF - dt.timedelta(hours=13, minutes=55)  # a walk, not a bridge session
    patient = _patient(a=_session("walking", walked, shooting_pain=True))
    decision = _evaluate(ruleset, patient)
    lapses = walked + dt.timedelta(hours=24) + SECOND
    for ex, verdict in (("bridge", "avoid"), ("walking", "check")):
        assert decision.exercises[ex].verdict == verdict
        assert decision.exercises[ex].recheck_at == lapses
        assert ruleset.evaluate(patient, as_of=lapses).exercises[ex].verdict == "allow"
        assert ruleset.evaluate(patient, as_of=lapses - SECOND).exercises[ex].verdict == verdict
    assert decision.scores["flare_points"].model_dump() == {"low": 1, "high": 1}
