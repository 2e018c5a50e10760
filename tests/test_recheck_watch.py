"""`recheck_at` of a watched verdict, and the directions in time of conditions (decision/timed.py).

A verdict of `check` or stricter is read from the rules that can still
change it, each rule's direction saying which outcomes it can reach; these
examples pin that reading to the verdict evaluating again gives. The
exactness property over random rulesets is in
tests/property/test_recheck_property.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import clinrules
from clinrules import ir
from clinrules.decision.timed import EITHER, FALLS, RISES, STILL, directions

AS_OF = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
HOUR = dt.timedelta(hours=1)

HEADER = """\
ruleset watch version 1.0.0 status draft model sciatica
exercise bridge "Bridge"
exercise squeeze "Squeeze"
ladder steps: squeeze, bridge
"""


def _at(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _patient(*sessions: dict[str, Any], **red_flags: Any) -> dict[str, Any]:
    return {
        "red_flags": {"screened_at": _at(AS_OF - 2 * HOUR), **red_flags},
        "sessions": list(sessions),
    }


def _session(exercise: str, hours_before: float, **values: Any) -> dict[str, Any]:
    return {"exercise": exercise, "at": _at(AS_OF - dt.timedelta(hours=hours_before)), **values}


def _verdict(ruleset: clinrules.RuleSet, patient: dict[str, Any], when: dt.datetime, ex: str) -> str:
    return ruleset.evaluate(patient, as_of=when, recheck=False).exercises[ex].verdict.value


def _recheck(text: str, patient: dict[str, Any], ex: str) -> dt.datetime | None:
    """The exercise's `recheck_at`, checked against evaluating again at it and a second before it."""
    ruleset = clinrules.compile(HEADER + text + "otherwise allow\n", allow_draft=True)
    decision = ruleset.evaluate(patient, as_of=AS_OF)
    when = decision.exercises[ex].recheck_at
    verdict = decision.exercises[ex].verdict.value
    if when is not None:
        assert _verdict(ruleset, patient, when, ex) != verdict
        assert when - SECOND <= AS_OF or _verdict(ruleset, patient, when - SECOND, ex) == verdict
    return when


def test_a_stop_set_by_two_windows_changes_when_the_later_one_lapses() -> None:
    text = (
        "rule a for bridge: stop if any session within 24 hours had pain_during > 5\n"
        "rule b for bridge: stop if any session of squeeze within 24 hours had shooting_pain\n"
    )
    patient = _patient(_session("bridge", 3, pain_during=7), _session("squeeze", 1, shooting_pain=True))
    assert _recheck(text, patient, "bridge") == AS_OF - HOUR + 24 * HOUR + SECOND


def test_an_avoid_kept_by_a_rule_without_time_waits_for_no_window_that_cannot_fire() -> None:
    # The stop window holds no provoked session: it only falls, so it never sets stop; the
    # avoid stays while `pregnant` does.
    text = (
        "rule scope for bridge: avoid if pregnant\n"
        "rule flare for bridge: stop if any session within 24 hours had pain_during > 5\n"
        "rule lapse for bridge: avoid if any session within 2 hours had shooting_pain\n"
    )
    patient = {**_patient(_session("bridge", 1, pain_during=2, shooting_pain=True)), "pregnant": True}
    assert _recheck(text, patient, "bridge") is None


def test_a_check_held_by_an_unknown_red_flag_changes_when_its_stricter_window_lapses() -> None:
    text = (
        "red flag fever_now: urgent if fever\n  care same_day\n"
        "rule flare for bridge: stop if any session within 6 hours had pain_during > 5\n"
    )
    patient = _patient(_session("bridge", 1, pain_during=7))  # fever unknown: triage check
    assert _recheck(text, patient, "bridge") == AS_OF - HOUR + 6 * HOUR + SECOND


def test_a_stale_screen_that_only_rises_keeps_check_after_the_window_lapses() -> None:
    text = (
        "rule stale for bridge: check if screened_at < now - 1 hours\n"
        "rule flare for bridge: stop if any session within 6 hours had pain_during > 5\n"
    )
    patient = _patient(_session("bridge", 1, pain_during=7))
    # stop until the session leaves the window, then check (the screen is stale): one change.
    assert _recheck(text, patient, "bridge") == AS_OF - HOUR + 6 * HOUR + SECOND


def test_a_regress_whose_target_is_not_permitted_keeps_avoid_when_the_avoid_lapses() -> None:
    # The regress to the squeeze ends at avoid while the squeeze is stopped (for 24 hours);
    # the avoid of its own lapses after 2 hours, the verdict only when the squeeze is permitted.
    text = (
        "rule held for bridge: avoid if any session within 2 hours had shooting_pain\n"
        "rule down for bridge: regress if any session within 48 hours had shooting_pain\n"
        "rule squeezed for squeeze: stop if any session of squeeze within 24 hours had pain_during > 5\n"
    )
    patient = _patient(_session("bridge", 1, shooting_pain=True), _session("squeeze", 1, pain_during=7))
    assert _recheck(text, patient, "bridge") == AS_OF - HOUR + 24 * HOUR + SECOND


def test_sessions_at_one_time_leave_a_window_together_and_an_older_one_still_counts() -> None:
    # Two sessions at one time (of two exercises) give one leaving instant (`Instants.history`
    # keeps it once); the older session at another time, the one that sets stop, still gives its own.
    text = (
        "rule flare for bridge:\n"
        "  stop if any session of any exercise within 24 hours had (pain_during > 5 and shooting_pain)\n"
    )
    patient = _patient(
        _session("bridge", 2, pain_during=1),
        _session("squeeze", 2, pain_during=2),
        _session("squeeze", 5, pain_during=7, shooting_pain=True),
    )
    assert _recheck(text, patient, "bridge") == AS_OF - 5 * HOUR + 24 * HOUR + SECOND


def test_a_time_test_inside_a_window_is_read_on_the_sessions_in_the_window() -> None:
    # The session in the window has no stop at `as_of` (its time test is false): the test turns
    # true two hours after it, long before the session leaves (`Instants.history` keeps the
    # sessions in the window for the tests it runs on them).
    text = "rule late for bridge: stop if any session within 24 hours had (pain_during > 5 and at < now - 2 hours)\n"
    patient = _patient(_session("bridge", 1, pain_during=7), _session("bridge", 30, pain_during=7))
    assert _recheck(text, patient, "bridge") == AS_OF - HOUR + 2 * HOUR + SECOND


def _first_change_by_grid(
    text: str, patient: dict[str, Any], ex: str, step: dt.timedelta, end: dt.timedelta
) -> Any:
    """Brute force: the first moment on a grid of `step` after `as_of` with another verdict."""
    ruleset = clinrules.compile(HEADER + text + "otherwise allow\n", allow_draft=True)
    verdict = _verdict(ruleset, patient, AS_OF, ex)
    moment = AS_OF + step
    while moment <= AS_OF + end:
        if _verdict(ruleset, patient, moment, ex) != verdict:
            return moment
        moment += step
    return None


def test_an_any_window_of_a_yes_no_field_changes_only_when_its_newest_yes_lapses() -> None:
    # Newest first: unknown, yes, yes, no. Only the newest yes leaving changes the rule
    # (to unknown, until the unknown leaves too); the older sessions' leaving changes nothing.
    text = "rule a for bridge: stop if any session within 10 hours had shooting_pain\n"
    patient = _patient(
        _session("bridge", 1),
        _session("bridge", 3, shooting_pain=True),
        _session("bridge", 5, shooting_pain=True),
        _session("bridge", 7, shooting_pain=False),
    )
    assert _recheck(text, patient, "bridge") == AS_OF + 7 * HOUR + SECOND
    step = dt.timedelta(minutes=10)
    assert _first_change_by_grid(text, patient, "bridge", step, 12 * HOUR) == AS_OF + 7 * HOUR + step


def test_a_yes_no_window_on_a_lower_rung_waits_for_its_own_newest_yes() -> None:
    # Only a form of the base language's scopes is read as its newest yes leaving: the bridge's
    # own newer yes is not on a lower rung, so the squeeze's older one is the form's.
    text = "rule below for bridge: stop if any session on a lower rung within 24 hours had shooting_pain\n"
    patient = _patient(_session("bridge", 1, shooting_pain=True), _session("squeeze", 5, shooting_pain=True))
    assert _recheck(text, patient, "bridge") == AS_OF - 5 * HOUR + 24 * HOUR + SECOND


def test_a_no_window_of_a_yes_no_field_waits_for_its_newest_yes_behind_a_newer_unknown() -> None:
    text = "rule a for bridge: regress if no session within 28 days had completed\n  when unknown check\n"
    day = dt.timedelta(days=1)
    patient = _patient(
        _session("bridge", 24),  # completed unknown, newer than every yes
        _session("bridge", 48, completed=True),
        _session("bridge", 120, completed=True),
    )
    assert _recheck(text, patient, "bridge") == AS_OF + 26 * day + SECOND
    assert _first_change_by_grid(text, patient, "bridge", HOUR, 30 * day) == AS_OF + 26 * day + HOUR
    # With no yes in the window, the newest unknown's leaving is the change.
    unknown_only = _patient(_session("bridge", 24), _session("bridge", 48, completed=False))
    assert _recheck(text, unknown_only, "bridge") == AS_OF + 27 * day + SECOND


def _conditions(*rules: str) -> tuple[ir.Condition, ...]:
    text = HEADER + "".join(f"rule r{i} for bridge: check if {c}\n" for i, c in enumerate(rules))
    program = clinrules.compile(text + "otherwise allow\n", allow_draft=True)._evaluator.program
    return tuple(rule.condition for rule in program.rules)


def test_directions_of_windows_bounds_and_their_negation() -> None:
    found = directions(
        _conditions(
            "any session within 24 hours had pain_during > 5",
            "no session within 24 hours had pain_during > 5",
            "screened_at < now - 24 hours",
            "screened_at >= now - 24 hours",
            "not (screened_at < now - 24 hours)",
            "any of the last 2 sessions had at >= now - 24 hours",
            "any session within 1 hours had shooting_pain and screened_at < now - 1 hours",
            "screened_at = now - 24 hours",
            "pregnant",
        )
    )
    assert found == (FALLS, RISES, RISES, FALLS, FALLS, FALLS, EITHER, EITHER, STILL)


def test_a_score_over_a_window_is_not_read_as_still() -> None:
    text = HEADER + (
        "score ts:\n  1 if any session within 1 s had pain_during > 5\n"
        "rule r0 for bridge: stop if ts >= 1\notherwise allow\n"
    )
    program = clinrules.compile(text, allow_draft=True)._evaluator.program
    assert directions((program.rules[0].condition,)) == (EITHER,)


def test_directions_walk_a_deep_condition_without_recursion() -> None:
    leaf = _conditions("screened_at < now - 24 hours")[0]
    node: ir.Condition = leaf
    for _ in range(20_001):  # an odd number of `not`: the direction turns round
        node = ir.Not(item=node, span=leaf.span)
    assert directions((node,)) == (FALLS,)
