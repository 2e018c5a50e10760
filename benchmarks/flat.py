"""Section 1: 30 rules over a flat 29-field state, clinrules beside hand-written Python and two peer engines.

The state is a flat pydantic model shaped like the sciatica policy (yes/no
answers, 0-10 pain scores, an age in years, an ordinal extent, plain enums
and a list of enums). The 30 rules (5 red flags, 25 rules each about an
exercise of its own, so every outcome is independent) are written four
times: in the clinrules language, as a hand-written three-valued (Kleene)
Python function, as rule-engine expressions and as JsonLogic. What is timed
is the cost per state of every rule's outcome:

- clinrules `RuleSet.outcomes(instance)` on instances pydantic has built,
  and the same with its outcomes by id (`by_id()`: the ids cost nothing
  until they are asked for);
- `three_valued`, the same rules by hand with None as unknown: the limit;
- `two_valued`, by hand without unknowns, on fully known states;
- rule-engine and json-logic-qubit (two-valued), on fully known states,
  given plain dicts built beforehand (enums as strings, the extent as its rank).

Beside them, from the states as JSON dicts: `outcomes(dict)`, `evaluate(dict)`
(the whole decision; its exercises' models are built only when read), and,
shown without a goal, `evaluate(dict)` then `model_dump_json()`: what a
caller that writes the JSON pays.

Every evaluator is checked against the hand-written functions on every state
it runs, and the run fails on the first disagreement.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Annotated, Any, NamedTuple

import json_logic  # type: ignore[import-untyped]
import rule_engine  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field

import clinrules
from benchmarks.timing import Row, at_least, at_most, check_equal, per_item_ns, scaled, us
from clinrules.models.sciatica import Extent, Muscle, Side, SlrResult

SECTION = "1. 30 rules, flat state"
SEED = 20261121
UNKNOWN_SHARE = 0.2

Pain = Annotated[int, Field(ge=0, le=10)]


class FlatState(BaseModel):
    """29 optional answers, the shape of the sciatica policy without its groups and sessions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    age: int | None = Field(default=None, ge=0, le=120, json_schema_extra={"unit": "years"})
    back_pain: Pain | None = None
    leg_pain: Pain | None = None
    pain_before: Pain | None = None
    pain_during: Pain | None = None
    pain_after: Pain | None = None
    next_morning_pain: Pain | None = None
    weakest_grade: int | None = Field(default=None, ge=0, le=5)
    radiating_pain: Extent | None = None
    extent_during: Extent | None = None
    side: Side | None = None
    straight_leg_raise: SlrResult | None = None
    weakness: list[Muscle] | None = None
    urinary_retention: bool | None = None
    faecal_incontinence: bool | None = None
    saddle_anaesthesia: bool | None = None
    weakness_worsening: bool | None = None
    foot_drop: bool | None = None
    fever: bool | None = None
    iv_drug_use: bool | None = None
    immunosuppression: bool | None = None
    history_of_cancer: bool | None = None
    unexplained_weight_loss: bool | None = None
    recent_trauma: bool | None = None
    shooting_pain: bool | None = None
    night_pain: bool | None = None
    acute_flare: bool | None = None
    bilateral_weakness: bool | None = None
    gait_disturbance: bool | None = None


_BOOLS = [name for name, f in FlatState.model_fields.items() if f.annotation == bool | None]
_PAINS = ["back_pain", "leg_pain", "pain_before", "pain_during", "pain_after", "next_morning_pain"]


# ---------------------------------------------------------------- the rules, four ways


def v(name: str) -> dict[str, Any]:
    """JsonLogic: the value of a field."""
    return {"var": name}


def op(name: str, *args: Any) -> dict[str, Any]:
    """JsonLogic: an operation."""
    return {name: list(args)}


class Rule(NamedTuple):
    """One rule: its verdict (`urgent` for a red flag), its clinrules condition, and its peers' versions.

    Peers see the extent as its rank: none 0, buttock 1, thigh 2, below_knee 3, foot 4.
    """

    id: str
    verdict: str
    clinrules: str
    rule_engine: str
    json_logic: dict[str, Any]


_SOME_WEAK = ["knee_extension", "dorsiflexion", "plantarflexion"]

RULES = (
    Rule("cauda_equina", "urgent",
         "urinary_retention or faecal_incontinence or saddle_anaesthesia",
         "urinary_retention or faecal_incontinence or saddle_anaesthesia",
         op("or", v("urinary_retention"), v("faecal_incontinence"), v("saddle_anaesthesia"))),
    Rule("motor_deficit", "urgent",
         "weakness_worsening or foot_drop or (weakest_grade is known and weakest_grade <= 3)",
         "weakness_worsening or foot_drop or (weakest_grade != null and weakest_grade <= 3)",
         op("or", v("weakness_worsening"), v("foot_drop"),
            op("and", op("!==", v("weakest_grade"), None), op("<=", v("weakest_grade"), 3)))),
    Rule("infection", "urgent",
         "fever and (iv_drug_use or immunosuppression)",
         "fever and (iv_drug_use or immunosuppression)",
         op("and", v("fever"), op("or", v("iv_drug_use"), v("immunosuppression")))),
    Rule("cancer", "urgent",
         "history_of_cancer and (unexplained_weight_loss or age >= 50 years)",
         "history_of_cancer and (unexplained_weight_loss or age >= 50)",
         op("and", v("history_of_cancer"), op("or", v("unexplained_weight_loss"), op(">=", v("age"), 50)))),
    Rule("fracture", "urgent",
         "recent_trauma and (age > 70 or back_pain >= 8)",
         "recent_trauma and (age > 70 or back_pain >= 8)",
         op("and", v("recent_trauma"), op("or", op(">", v("age"), 70), op(">=", v("back_pain"), 8)))),
    Rule("r01", "stop", "shooting_pain", "shooting_pain", v("shooting_pain")),
    Rule("r02", "stop", "pain_during > 5", "pain_during > 5", op(">", v("pain_during"), 5)),
    Rule("r03", "avoid", "radiating_pain >= below_knee", "radiating_pain >= 3", op(">=", v("radiating_pain"), 3)),
    Rule("r04", "avoid",
         "straight_leg_raise is positive and leg_pain >= 4",
         "straight_leg_raise == 'positive' and leg_pain >= 4",
         op("and", op("==", v("straight_leg_raise"), "positive"), op(">=", v("leg_pain"), 4))),
    Rule("r05", "check",
         "back_pain between 7 and 10",
         "back_pain >= 7 and back_pain <= 10",
         op("<=", 7, v("back_pain"), 10)),
    Rule("r06", "modify",
         "next_morning_pain >= pain_before + 2",
         "next_morning_pain >= pain_before + 2",
         op(">=", v("next_morning_pain"), op("+", v("pain_before"), 2))),
    Rule("r07", "avoid",
         "side in {left, both} and radiating_pain > thigh",
         "side in ['left', 'both'] and radiating_pain > 2",
         op("and", op("in", v("side"), ["left", "both"]), op(">", v("radiating_pain"), 2))),
    Rule("r08", "avoid",
         "weakness includes any of {knee_extension, dorsiflexion, plantarflexion}",
         "'knee_extension' in weakness or 'dorsiflexion' in weakness or 'plantarflexion' in weakness",
         op("some", v("weakness"), op("in", v(""), _SOME_WEAK))),
    Rule("r09", "check",
         "weakness includes hip_extension",
         "'hip_extension' in weakness",
         op("in", "hip_extension", v("weakness"))),
    Rule("r10", "modify",
         "not night_pain and leg_pain between 3 and 6",
         "not night_pain and leg_pain >= 3 and leg_pain <= 6",
         op("and", op("!", v("night_pain")), op("<=", 3, v("leg_pain"), 6))),
    Rule("r11", "avoid",
         "acute_flare or extent_during > radiating_pain",
         "acute_flare or extent_during > radiating_pain",
         op("or", v("acute_flare"), op(">", v("extent_during"), v("radiating_pain")))),
    Rule("r12", "check",
         "age is unknown or age < 18",
         "age == null or age < 18",
         op("or", op("===", v("age"), None), op("<", v("age"), 18))),
    Rule("r13", "allow",
         "back_pain <= 3 and leg_pain <= 3 and not acute_flare",
         "back_pain <= 3 and leg_pain <= 3 and not acute_flare",
         op("and", op("<=", v("back_pain"), 3), op("<=", v("leg_pain"), 3), op("!", v("acute_flare")))),
    Rule("r14", "stop",
         "pain_after >= 7 or (shooting_pain and pain_during >= 4)",
         "pain_after >= 7 or (shooting_pain and pain_during >= 4)",
         op("or", op(">=", v("pain_after"), 7), op("and", v("shooting_pain"), op(">=", v("pain_during"), 4)))),
    Rule("r15", "avoid",
         "side is both or bilateral_weakness",
         "side == 'both' or bilateral_weakness",
         op("or", op("==", v("side"), "both"), v("bilateral_weakness"))),
    Rule("r16", "check",
         "straight_leg_raise is not negative",
         "straight_leg_raise != 'negative'",
         op("!=", v("straight_leg_raise"), "negative")),
    Rule("r17", "modify",
         "radiating_pain in {buttock, thigh}",
         "radiating_pain in [1, 2]",
         op("in", v("radiating_pain"), [1, 2])),
    Rule("r18", "avoid",
         "weakest_grade < 4 and weakness is not empty",
         "weakest_grade < 4 and weakness.length > 0",
         op("and", op("<", v("weakest_grade"), 4), op("!!", v("weakness")))),
    Rule("r19", "check",
         "night_pain and not (back_pain is known)",
         "night_pain and not (back_pain != null)",
         op("and", v("night_pain"), op("!", op("!==", v("back_pain"), None)))),
    Rule("r20", "modify",
         "age between 65 and 120 and (gait_disturbance or foot_drop)",
         "age >= 65 and age <= 120 and (gait_disturbance or foot_drop)",
         op("and", op("<=", 65, v("age"), 120), op("or", v("gait_disturbance"), v("foot_drop")))),
    Rule("r21", "avoid",
         "extent_during >= below_knee and not acute_flare",
         "extent_during >= 3 and not acute_flare",
         op("and", op(">=", v("extent_during"), 3), op("!", v("acute_flare")))),
    Rule("r22", "stop",
         "pain_during >= 8 or next_morning_pain >= 8",
         "pain_during >= 8 or next_morning_pain >= 8",
         op("or", op(">=", v("pain_during"), 8), op(">=", v("next_morning_pain"), 8))),
    Rule("r23", "allow",
         "radiating_pain <= buttock and straight_leg_raise is negative",
         "radiating_pain <= 1 and straight_leg_raise == 'negative'",
         op("and", op("<=", v("radiating_pain"), 1), op("==", v("straight_leg_raise"), "negative"))),
    Rule("r24", "check",
         "leg_pain > back_pain and night_pain",
         "leg_pain > back_pain and night_pain",
         op("and", op(">", v("leg_pain"), v("back_pain")), v("night_pain"))),
    Rule("r25", "avoid",
         "(fever or night_pain) and (age >= 60 or history_of_cancer)",
         "(fever or night_pain) and (age >= 60 or history_of_cancer)",
         op("and", op("or", v("fever"), v("night_pain")), op("or", op(">=", v("age"), 60), v("history_of_cancer")))),
)  # fmt: skip


def ruleset_text() -> str:
    """The 30 rules in the clinrules language, each rule about an exercise of its own."""
    lines = ["ruleset flat_bench", "  version 1.0.0", "  status draft", ""]
    rules = [r for r in RULES if r.verdict != "urgent"]
    lines += [f'exercise ex_{r.id} "Exercise {r.id}"' for r in rules]
    for r in RULES:
        if r.verdict == "urgent":
            lines += ["", f"red flag {r.id}:", f"  urgent if {r.clinrules}"]
        else:
            lines += ["", f"rule {r.id} for ex_{r.id}:", f"  {r.verdict} if {r.clinrules}"]
    return "\n".join([*lines, "", "otherwise allow", ""])


# ---------------------------------------------------------------- the same rules by hand

Truth = bool | None
Outcome = tuple[tuple[Truth, ...], tuple[Truth, ...]]

_KNEE_DOWN = frozenset({Extent.BELOW_KNEE, Extent.FOOT})
_UP_TO_BUTTOCK = frozenset({Extent.NONE, Extent.BUTTOCK})
_BUTTOCK_THIGH = frozenset({Extent.BUTTOCK, Extent.THIGH})
_LEFT_BOTH = frozenset({Side.LEFT, Side.BOTH})
_R08 = frozenset({Muscle.KNEE_EXTENSION, Muscle.DORSIFLEXION, Muscle.PLANTARFLEXION})
_RANK = {e: i for i, e in enumerate(Extent)}
_BOTH, _POSITIVE, _NEGATIVE, _HIP = Side.BOTH, SlrResult.POSITIVE, SlrResult.NEGATIVE, Muscle.HIP_EXTENSION


def three_valued(s: FlatState) -> Outcome:
    """The 30 rules in Kleene logic, None for unknown, written for speed.

    `True if a and b else (False if a is False or b is False else None)` is
    Kleene and; `True if a or b else (None if a is None or b is None else
    False)` is Kleene or; a comparison with an unknown side is unknown.
    """
    age, bp, lp, pb, pd, pa, nmp = (
        s.age, s.back_pain, s.leg_pain, s.pain_before, s.pain_during, s.pain_after, s.next_morning_pain,
    )  # fmt: skip
    wg, rp, ed, side, slr, weak = (
        s.weakest_grade, s.radiating_pain, s.extent_during, s.side, s.straight_leg_raise, s.weakness,
    )  # fmt: skip
    sp, np_, af, fever, fd, hoc = (
        s.shooting_pain, s.night_pain, s.acute_flare, s.fever, s.foot_drop, s.history_of_cancer,
    )  # fmt: skip

    ur, fi, sa = s.urinary_retention, s.faecal_incontinence, s.saddle_anaesthesia
    f1 = True if ur or fi or sa else (None if ur is None or fi is None or sa is None else False)
    ww = s.weakness_worsening
    f2 = True if ww or fd or (wg is not None and wg <= 3) else (None if ww is None or fd is None else False)
    iv, im = s.iv_drug_use, s.immunosuppression
    x = True if iv or im else (None if iv is None or im is None else False)
    f3 = True if fever and x else (False if fever is False or x is False else None)
    wl = s.unexplained_weight_loss
    a = None if age is None else age >= 50
    x = True if wl or a else (None if wl is None or a is None else False)
    f4 = True if hoc and x else (False if hoc is False or x is False else None)
    rt = s.recent_trauma
    a, b = None if age is None else age > 70, None if bp is None else bp >= 8
    x = True if a or b else (None if a is None or b is None else False)
    f5 = True if rt and x else (False if rt is False or x is False else None)

    r01 = sp
    r02 = None if pd is None else pd > 5
    r03 = None if rp is None else rp in _KNEE_DOWN
    a, b = None if slr is None else slr is _POSITIVE, None if lp is None else lp >= 4
    r04 = True if a and b else (False if a is False or b is False else None)
    r05 = None if bp is None else 7 <= bp <= 10
    r06 = None if nmp is None or pb is None else nmp >= pb + 2
    a, b = None if side is None else side in _LEFT_BOTH, None if rp is None else rp in _KNEE_DOWN
    r07 = True if a and b else (False if a is False or b is False else None)
    r08 = None if weak is None else not _R08.isdisjoint(weak)
    r09 = None if weak is None else _HIP in weak
    a, b = None if np_ is None else not np_, None if lp is None else 3 <= lp <= 6
    r10 = True if a and b else (False if a is False or b is False else None)
    b = None if ed is None or rp is None else _RANK[ed] > _RANK[rp]
    r11 = True if af or b else (None if af is None or b is None else False)
    r12 = age is None or age < 18
    a, b, c = None if bp is None else bp <= 3, None if lp is None else lp <= 3, None if af is None else not af
    r13 = True if a and b and c else (False if a is False or b is False or c is False else None)
    b = None if pd is None else pd >= 4
    x = True if sp and b else (False if sp is False or b is False else None)
    a = None if pa is None else pa >= 7
    r14 = True if a or x else (None if a is None or x is None else False)
    a, bw = None if side is None else side is _BOTH, s.bilateral_weakness
    r15 = True if a or bw else (None if a is None or bw is None else False)
    r16 = None if slr is None else slr is not _NEGATIVE
    r17 = None if rp is None else rp in _BUTTOCK_THIGH
    a, b = None if wg is None else wg < 4, None if weak is None else len(weak) != 0
    r18 = True if a and b else (False if a is False or b is False else None)
    r19 = True if np_ and bp is None else (False if np_ is False or bp is not None else None)
    gd = s.gait_disturbance
    a = None if age is None else 65 <= age <= 120
    x = True if gd or fd else (None if gd is None or fd is None else False)
    r20 = True if a and x else (False if a is False or x is False else None)
    a, b = None if ed is None else ed in _KNEE_DOWN, None if af is None else not af
    r21 = True if a and b else (False if a is False or b is False else None)
    a, b = None if pd is None else pd >= 8, None if nmp is None else nmp >= 8
    r22 = True if a or b else (None if a is None or b is None else False)
    a, b = None if rp is None else rp in _UP_TO_BUTTOCK, None if slr is None else slr is _NEGATIVE
    r23 = True if a and b else (False if a is False or b is False else None)
    a = None if lp is None or bp is None else lp > bp
    r24 = True if a and np_ else (False if a is False or np_ is False else None)
    x = True if fever or np_ else (None if fever is None or np_ is None else False)
    a = None if age is None else age >= 60
    y = True if a or hoc else (None if a is None or hoc is None else False)
    r25 = True if x and y else (False if x is False or y is False else None)
    return (f1, f2, f3, f4, f5), (
        r01, r02, r03, r04, r05, r06, r07, r08, r09, r10, r11, r12, r13,
        r14, r15, r16, r17, r18, r19, r20, r21, r22, r23, r24, r25,
    )  # fmt: skip


def two_valued(s: Any) -> Outcome:
    """The 30 rules for a fully known `FlatState` (no field None): plain Python logic, no unknowns."""
    age, bp, lp, pd, nmp, wg = (
        s.age,
        s.back_pain,
        s.leg_pain,
        s.pain_during,
        s.next_morning_pain,
        s.weakest_grade,
    )
    rp, ed, side, slr, weak = s.radiating_pain, s.extent_during, s.side, s.straight_leg_raise, s.weakness
    sp, np_, af, fever, fd, hoc = (
        s.shooting_pain,
        s.night_pain,
        s.acute_flare,
        s.fever,
        s.foot_drop,
        s.history_of_cancer,
    )
    return (
        s.urinary_retention or s.faecal_incontinence or s.saddle_anaesthesia,
        s.weakness_worsening or fd or wg <= 3,
        fever and (s.iv_drug_use or s.immunosuppression),
        hoc and (s.unexplained_weight_loss or age >= 50),
        s.recent_trauma and (age > 70 or bp >= 8),
    ), (
        sp,
        pd > 5,
        rp in _KNEE_DOWN,
        slr is _POSITIVE and lp >= 4,
        7 <= bp <= 10,
        nmp >= s.pain_before + 2,
        side in _LEFT_BOTH and rp in _KNEE_DOWN,
        not _R08.isdisjoint(weak),
        _HIP in weak,
        not np_ and 3 <= lp <= 6,
        af or _RANK[ed] > _RANK[rp],
        age is None or age < 18,
        bp <= 3 and lp <= 3 and not af,
        s.pain_after >= 7 or (sp and pd >= 4),
        side is _BOTH or s.bilateral_weakness,
        slr is not _NEGATIVE,
        rp in _BUTTOCK_THIGH,
        wg < 4 and len(weak) != 0,
        np_ and bp is None,
        65 <= age <= 120 and (s.gait_disturbance or fd),
        ed in _KNEE_DOWN and not af,
        pd >= 8 or nmp >= 8,
        rp in _UP_TO_BUTTOCK and slr is _NEGATIVE,
        lp > bp and np_,
        (fever or np_) and (age >= 60 or hoc),
    )


# ---------------------------------------------------------------- states and peers


def random_state(rng: random.Random, unknown: float) -> FlatState:
    """A seeded random state; each answer is left out (unknown) with probability `unknown`."""
    values: dict[str, Any] = {name: rng.random() < 0.2 for name in _BOOLS}
    values |= {name: rng.randint(0, 10) for name in _PAINS}
    values |= {
        "age": rng.randint(14, 95),
        "weakest_grade": rng.choice([5, 5, 5, 4, 4, 3, 2]),
        "radiating_pain": rng.choice(list(Extent)).value,
        "extent_during": rng.choice(list(Extent)).value,
        "side": rng.choice(list(Side)).value,
        "straight_leg_raise": rng.choice(list(SlrResult)).value,
        "weakness": [m.value for m in rng.sample(list(Muscle), rng.choice([0, 0, 1, 2]))],
    }
    return FlatState.model_validate({k: x for k, x in values.items() if rng.random() >= unknown})


def peer_data(state: FlatState) -> dict[str, Any]:
    """A known state as the peers read it: plain values, enums as strings, the extent as its rank."""
    data: dict[str, Any] = state.model_dump(mode="json")
    data["radiating_pain"] = _RANK[state.radiating_pain]  # type: ignore[index]
    data["extent_during"] = _RANK[state.extent_during]  # type: ignore[index]
    return data


def flat_outcome(outcome: Outcome) -> tuple[Truth, ...]:
    return outcome[0] + outcome[1]


def run() -> tuple[list[Row], dict[str, Any]]:
    count, peer_count = scaled(10_000, 1_000), scaled(1_000, 100)
    rng = random.Random(SEED)
    states = [random_state(rng, UNKNOWN_SHARE) for _ in range(count)]
    known = [random_state(rng, 0.0) for _ in range(count)]
    peer_states = known[:peer_count]
    data = [peer_data(s) for s in peer_states]

    rs = clinrules.compile(ruleset_text(), model=FlatState, allow_draft=True)
    engine = [rule_engine.Rule(r.rule_engine) for r in RULES]
    logic = [r.json_logic for r in RULES]

    def by_rule_engine(d: dict[str, Any]) -> tuple[bool, ...]:
        return tuple([rule.matches(d) for rule in engine])

    def by_json_logic(d: dict[str, Any]) -> tuple[bool, ...]:
        return tuple([bool(json_logic.jsonLogic(rule, d)) for rule in logic])

    expected = [three_valued(s) for s in states]
    check_equal(
        "clinrules outcomes()", expected, [(o.red_flags, o.rules) for o in map(rs.outcomes, states)], states
    )
    expected_known = [flat_outcome(two_valued(s)) for s in known]
    check_equal(
        "three_valued on known states", expected_known, [flat_outcome(three_valued(s)) for s in known], known
    )
    check_equal("rule-engine", expected_known[:peer_count], map(by_rule_engine, data), peer_states)
    check_equal("json-logic-qubit", expected_known[:peer_count], map(by_json_logic, data), peer_states)

    dicts = [s.model_dump(mode="json", exclude_none=True) for s in states]
    check_equal(
        "clinrules outcomes(dict)",
        expected,
        [(o.red_flags, o.rules) for o in map(rs.outcomes, dicts)],
        states,
    )
    sample = rs.outcomes(states[0])
    if sample.red_flag_ids + sample.rule_ids != tuple(r.id for r in RULES):
        raise AssertionError("clinrules outcomes(): the ids are not the rules' ids in their order")

    def by_id(state: FlatState) -> Any:
        return rs.outcomes(state).by_id()

    clin = per_item_ns(rs.outcomes, states)
    clin_by_id = per_item_ns(by_id, states)
    clin_known = per_item_ns(rs.outcomes, known)
    outcomes_dict = per_item_ns(rs.outcomes, dicts)
    evaluate_dict = per_item_ns(rs.evaluate, dicts)

    def evaluate_json(d: dict[str, Any]) -> str:
        return rs.evaluate(d).model_dump_json()

    evaluate_json_ns = per_item_ns(evaluate_json, dicts)
    hand3 = per_item_ns(three_valued, states)
    hand2 = per_item_ns(two_valued, known)
    engine_ns = per_item_ns(by_rule_engine, data)
    logic_ns = per_item_ns(by_json_logic, data)

    s = SECTION
    rows = [
        Row(s, f"clinrules outcomes(), {count:,} states, 20% unknown", us(clin), "us/state"),
        Row(s, "hand-written three-valued, same states", us(hand3), "us/state"),
        at_most(s, "clinrules / hand-written three-valued", clin / hand3, 1.5, "unknown_three_valued"),
        Row(s, "clinrules outcomes().by_id(), same states (two mappings)", us(clin_by_id), "us/state"),
        Row(s, f"clinrules outcomes(), {count:,} known states", us(clin_known), "us/state"),
        Row(s, "hand-written two-valued, known states", us(hand2), "us/state"),
        at_most(
            s,
            "clinrules / hand-written two-valued (known states)",
            clin_known / hand2,
            1.5,
            "known_two_valued",
        ),
        Row(s, "clinrules outcomes(dict), same states as the first row", us(outcomes_dict), "us/state"),
        Row(s, "clinrules evaluate(dict), the whole decision, same states", us(evaluate_dict), "us/state"),
        at_most(s, "evaluate(dict) / outcomes(dict)", evaluate_dict / outcomes_dict, 2, "decision_flat"),
        Row(s, "evaluate(dict) then model_dump_json(), same states", us(evaluate_json_ns), "us/state"),
        Row(s, f"rule-engine, {peer_count:,} known states", us(engine_ns), "us/state"),
        Row(s, f"json-logic-qubit, {peer_count:,} known states", us(logic_ns), "us/state"),
        at_least(s, "rule-engine / clinrules (known states)", engine_ns / clin_known, 100),
        at_least(s, "json-logic-qubit / clinrules (known states)", logic_ns / clin_known, 100),
    ]
    details = {
        "states": count,
        "peer_states": peer_count,
        "rules": len(RULES),
        "fields": len(FlatState.model_fields),
        "outcomes": _outcome_counts(expected),
    }
    return rows, details


def _outcome_counts(outcomes: Sequence[Outcome]) -> dict[str, int]:
    """How often the outcomes were true, false and unknown: a check that the states exercise every branch."""
    flat = [x for o in outcomes for x in flat_outcome(o)]
    return {"true": flat.count(True), "false": flat.count(False), "unknown": flat.count(None)}
