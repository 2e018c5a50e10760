"""Session scopes, target forms and day counting (language-2.md sections 1, 2 and 11).

The golden files (tests/golden/parse/scopes.yaml, check/scopes.yaml,
eval/scopes.yaml) hold the spec's examples; the tests here show the review's
worst case fixed, count days against a brute-force reading of the spec, and
check what the forms leave in generated code and on the review page.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clinrules
from clinrules.authoring.fmt import format_text
from clinrules.cli import main
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "ladder_flare.rules"
AS_OF = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)
GOOD = {"completed": True, "pain_during": 1, "shooting_pain": False, "new_numbness": False}


def _session(exercise: str, at: str, **values: Any) -> dict[str, Any]:
    return {"exercise": exercise, "at": at, "extent_before": "buttock", "extent_during": "buttock", **values}


def test_the_example_case_file_passes() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["test", str(ROOT / "examples" / "ladder_flare.cases.yaml")], out, err)
    assert code == 0, out.getvalue() + err.getvalue()


def test_shooting_leg_pain_on_the_glute_bridge_last_night_stops_the_harder_rung_today() -> None:
    """The review's worst case: language 1 read only each exercise's own sessions."""
    rs = clinrules.load(EXAMPLE, allow_draft=True)
    earned = [_session("glute_bridge", f"2026-11-{day}T10:00:00Z", **GOOD) for day in (18, 19, 20)]
    flare = _session("glute_bridge", "2026-11-20T21:30:00Z", **{**GOOD, "shooting_pain": True})
    before = rs.evaluate({"sessions": earned}, as_of=AS_OF).exercises
    after = rs.evaluate({"sessions": [*earned, flare]}, as_of=AS_OF).exercises
    assert before["single_leg_bridge"].verdict == "allow"
    assert after["single_leg_bridge"].verdict == "avoid"
    assert "harder_after_adverse" in after["single_leg_bridge"].because
    assert after["glute_bridge"].verdict == "stop"
    assert {after[x].verdict for x in ("nerve_glide", "hamstring_stretch")} == {"avoid"}
    assert after["walking"].verdict == "allow"


def test_three_good_sessions_in_one_day_do_not_earn_the_rung() -> None:
    rs = clinrules.load(EXAMPLE, allow_draft=True)
    one_day = [_session("glute_bridge", f"2026-11-20T{h:02}:00:00Z", **GOOD) for h in (8, 12, 18)]
    three_days = [_session("glute_bridge", f"2026-11-{d}T10:00:00Z", **GOOD) for d in (18, 19, 20)]
    assert rs.evaluate({"sessions": one_day}, as_of=AS_OF).exercises["single_leg_bridge"].verdict == "avoid"
    assert (
        rs.evaluate({"sessions": three_days}, as_of=AS_OF).exercises["single_leg_bridge"].verdict == "allow"
    )


def test_a_sessions_day_is_its_date_in_its_own_offset() -> None:
    """23:30 and 00:30 at +01:00 are two days; the same instants at +00:00 are one."""
    rs = clinrules.load(EXAMPLE, allow_draft=True)
    local = ["2026-11-18T10:00:00+01:00", "2026-11-19T23:30:00+01:00", "2026-11-20T00:30:00+01:00"]
    utc = [dt.datetime.fromisoformat(t).astimezone(dt.UTC).isoformat() for t in local]
    verdicts = [
        rs.evaluate({"sessions": [_session("glute_bridge", t, **GOOD) for t in times]}, as_of=AS_OF)
        .exercises["single_leg_bridge"]
        .verdict
        for times in (local, utc)
    ]
    assert verdicts == ["allow", "avoid"]


def test_asking_for_one_exercise_selects_the_same_sessions_as_asking_for_all() -> None:
    """The lazy path (a few exercises) passes the target and the selections as `all_rules` does."""
    rs = clinrules.load(EXAMPLE, allow_draft=True)
    state = {"sessions": [_session("bridge_partial", "2026-11-20T21:00:00Z", **{**GOOD, "pain_during": 7})]}
    whole = rs.evaluate(state, as_of=AS_OF).exercises
    for exercise, decision in whole.items():
        assert rs.evaluate(state, exercises=[exercise], as_of=AS_OF).exercises[exercise] == decision
    assert whole["glute_bridge"].verdict == "avoid"
    assert whole["glute_squeeze"].verdict == "allow"


# ---------------------------------------------------------------- days, brute force

_DAYS = """ruleset days version 1.0.0 status draft model sciatica
exercise e0 "E0" tagged t
exercise e1 "E1"
exercise e2 "E2" tagged t
rule any_days for e1: avoid if any of the last {n} days tagged t had shooting_pain
rule k_days for e1: modify if {k} of the last {n} days of any exercise had shooting_pain
rule every_days for e1: check if every one of the last {n} days tagged t had shooting_pain
otherwise allow
"""


def _kleene_any(values: list[bool | None]) -> bool | None:
    return True if True in values else (None if None in values else False)


def _kleene_all(values: list[bool | None]) -> bool | None:
    return False if False in values else (None if None in values else True)


def _brute_days(
    sessions: list[dict[str, Any]], exercises: set[str] | None, n: int
) -> list[list[bool | None]]:
    """The spec read literally: the newest n local dates holding a selected session at or before now."""
    chosen = [
        s
        for s in sessions
        if (exercises is None or s["exercise"] in exercises) and dt.datetime.fromisoformat(s["at"]) <= AS_OF
    ]
    dates = sorted({dt.datetime.fromisoformat(s["at"]).date() for s in chosen}, reverse=True)[:n]
    return [
        [s.get("shooting_pain") for s in chosen if dt.datetime.fromisoformat(s["at"]).date() == d]
        for d in dates
    ]


@settings(max_examples=150)
@given(
    n=st.integers(1, 4),
    data=st.data(),
    times=st.lists(st.tuples(st.integers(-60, 100), st.sampled_from([-12, -5, 0, 1, 9, 14])), max_size=8),
)
def test_day_counts_match_a_brute_force_reading_of_the_spec(
    n: int, data: st.DataObject, times: list[tuple[int, int]]
) -> None:
    k = data.draw(st.integers(1, n))
    rs = clinrules.compile(_DAYS.format(n=n, k=k), allow_draft=True)
    sessions = []
    for index, (hours, offset) in enumerate(times):
        at = (AS_OF - dt.timedelta(hours=hours, minutes=index)).astimezone(
            dt.timezone(dt.timedelta(hours=offset))
        )
        pain = data.draw(st.sampled_from([True, False, None]))
        sessions.append(
            {
                "exercise": data.draw(st.sampled_from(["e0", "e1", "e2"])),
                "at": at.isoformat(),
                "shooting_pain": pain,
            }
        )
    outcomes = dict(
        zip(
            (r.id for r in rs.program.rules),
            rs.outcomes({"sessions": sessions}, as_of=AS_OF).rules,
            strict=True,
        )
    )
    tagged = _brute_days(sessions, {"e0", "e2"}, n)
    anything = [_kleene_any(day) for day in _brute_days(sessions, None, n)]
    # A scope that does not depend on the target gives one value for all targets.
    assert outcomes["any_days"] is _kleene_any([_kleene_any(day) for day in tagged])
    yes, maybe = anything.count(True), anything.count(None)
    expected_k = True if yes >= k else (None if yes + maybe >= k else False)
    assert outcomes["k_days"] is expected_k
    every = False if len(tagged) < n else _kleene_all([_kleene_all(day) for day in tagged])
    assert outcomes["every_days"] is every


# ---------------------------------------------------------------- code, words, layout


def test_scope_names_never_reach_the_generated_code() -> None:
    """Tags and ladder selections are constants passed in, like every value from a rule file."""
    rs = clinrules.compile(
        "ruleset r version 1.0.0 status draft model sciatica\n"
        'exercise qqa "A" tagged zzsneakytag\nexercise qqb "B"\nladder qqsteps: qqa, qqb\n'
        "rule r1 for ladder qqsteps: avoid if any session on a lower rung within 2 days had shooting_pain\n"
        "  or the last session tagged zzsneakytag had shooting_pain\notherwise allow\n",
        allow_draft=True,
    )
    source = rs._evaluator.compiled.source
    assert "zzsneakytag" not in source
    assert "qq" not in source


def test_the_review_page_names_the_rungs_a_scope_reads() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["doc", str(EXAMPLE)], out, err) == 0, err.getvalue()
    page = out.getvalue()
    assert (
        "- Written for: ladder `bridge` above *Partial-range glute bridge* (*Glute bridge* → *Single-leg bridge*)"
        in page
    )
    assert (
        "on the rung below (for *Glute bridge*: *Partial-range glute bridge*; for *Single-leg bridge*: "
        in page
    )
    assert "on a lower rung (for *Lying glute squeeze*: none; for *Partial-range glute bridge*: " in page


@pytest.mark.parametrize(
    "targets",
    [
        "ladder bridge",
        "ladder bridge above bridge_partial",
        "walking, tagged strengthening, gentle, ladder bridge, nerve_glide except glute_squeeze, tagged x",
        "every exercise except walking, tagged a",
    ],
)
def test_target_lists_format_to_what_they_parse_to(targets: str) -> None:
    text = f"ruleset r version 1.0.0 status draft\nrule a for {targets}: avoid if x\n"
    formatted = format_text(text)
    assert f"for {targets}:" in " ".join(formatted.split())
    assert format_text(formatted) == formatted
