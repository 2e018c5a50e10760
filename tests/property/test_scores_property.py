"""Scores and assessments against brute force (language-2.md sections 5, 6, docs/semantics.md).

Every unknown item or branch condition is completed both ways, and each
completion evaluated as if everything were known: a score's range must be
exactly the lowest and highest total of its completions; an assessment's
`possible` must be the values some completion gives, in branch order, with
"no value" possible exactly when some completion has none; and a test on
its result must be true when every completion passes, false when none does.
Then, for random rulesets with scores and assessments: a fired red flag
still makes every exercise urgent.
"""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

import clinrules
from clinrules.engine import runtime
from tests.conftest import examples
from tests.strategies import rulesets, sciatica_patients

_TRUTH = st.sampled_from([True, False, None])


def _completions(values: list[bool | None]) -> list[list[bool]]:
    unknown = [i for i, v in enumerate(values) if v is None]
    out = []
    for choice in itertools.product([True, False], repeat=len(unknown)):
        filled = [bool(v) for v in values]
        for i, c in zip(unknown, choice, strict=True):
            filled[i] = c
        out.append(filled)
    return out


@examples(300)
@given(st.lists(st.tuples(st.integers(-5, 5), _TRUTH), max_size=7))
def test_a_score_s_range_is_every_completion_s_total(items: list[tuple[int, bool | None]]) -> None:
    points = [n for n, _ in items]
    values = [v for _, v in items]
    low, high = runtime.tally(values, points)
    totals = [sum(n for n, v in zip(points, filled, strict=True) if v) for filled in _completions(values)]
    assert (low, high) == (min(totals), max(totals))


@examples(300)
@given(
    st.tuples(st.integers(-4, 4), st.integers(0, 3)),
    st.tuples(st.integers(-4, 4), st.integers(0, 3)),
    st.sampled_from(["<", "<=", ">", ">=", "=", "!="]),
)
def test_a_comparison_of_ranges_is_true_for_every_pair_false_for_none(
    a: tuple[int, int], b: tuple[int, int], op: str
) -> None:
    left, right = (a[0], a[0] + a[1]), (b[0], b[0] + b[1])
    test = {
        "<": lambda x, y: x < y,
        "<=": lambda x, y: x <= y,
        ">": lambda x, y: x > y,
        ">=": lambda x, y: x >= y,
        "=": lambda x, y: x == y,
        "!=": lambda x, y: x != y,
    }[op]
    pairs = [test(x, y) for x in range(left[0], left[1] + 1) for y in range(right[0], right[1] + 1)]
    expected = True if all(pairs) else (False if not any(pairs) else None)
    assert runtime.ranged(op, left, right) is expected


def _decided(values: list[str], outcomes: list[bool], otherwise: str | None) -> str | None:
    for value, outcome in zip(values, outcomes, strict=True):
        if outcome:
            return value
    return otherwise


@examples(300)
@given(
    st.lists(st.tuples(st.sampled_from("abc"), _TRUTH), max_size=5),
    st.sampled_from([None, "a", "d"]),
    st.sets(st.sampled_from("abcd")),
    st.booleans(),
)
def test_an_assessment_is_what_every_completion_of_its_branches_gives(
    branches: list[tuple[str, bool | None]], otherwise: str | None, members: set[str], negated: bool
) -> None:
    values = [v for v, _ in branches]
    outcomes = [o for _, o in branches]
    tests = [lambda o=o: o for o in outcomes]
    value, possible, open_ = runtime.assess(values, tests, otherwise)
    results = [_decided(values, filled, otherwise) for filled in _completions(outcomes)]
    settled = set(results)
    # Known only when a branch is true and every earlier one false (or every one false, before
    # `otherwise`); an earlier unknown leaves it unknown, even when every completion agrees.
    first = next((i for i, o in enumerate(outcomes) if o is not False), len(outcomes))
    known = (first == len(outcomes) and otherwise is not None) or (
        first < len(outcomes) and bool(outcomes[first])
    )
    assert value == (results[0] if known else None)
    assert known or value is None
    # In the order of the branches that make them possible (a false branch makes nothing possible).
    candidates = [v for v, o in zip(values, outcomes, strict=True) if o is not False] + [otherwise]
    in_order = [v for v in candidates if v is not None and v in settled]
    assert list(possible) == list(dict.fromkeys(in_order))
    assert open_ == (None in settled)
    passes = [(r in members) != negated for r in results]  # no value is in no set
    expected = True if all(passes) else (False if not any(passes) else None)
    assert runtime.assessed((value, possible, open_), frozenset(members), negated) is expected


@examples(100)
@given(data=st.data())
def test_a_fired_red_flag_makes_everything_urgent_whatever_the_scores_and_assessments(
    data: st.DataObject,
) -> None:
    generated = data.draw(rulesets())
    ruleset = clinrules.compile(generated.text(), allow_draft=True)
    if not ruleset.program.red_flags:
        return
    patient = data.draw(sciatica_patients(generated.exercises))
    decision = ruleset.evaluate(patient).model_dump(mode="json")
    assert set(decision["scores"]) == set(ruleset.program.scores)
    assert set(decision["assessments"]) == set(ruleset.program.assessments)
    if "fired" in decision["red_flags"].values():
        assert decision["triage"] == "urgent"
        assert all(e["verdict"] == "urgent" for e in decision["exercises"].values())
