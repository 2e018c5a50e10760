"""Section 4: a generated ruleset of 2,000 rules over 200 exercises (10 rules each, sciatica model).

Timed: loading it from a file, and `evaluate(patient, exercises=[one])`
beside the same call on a ruleset that holds only that exercise and its 10
rules (the same text, and the same two red flags). Asking about one
exercise should cost about what a ruleset of that one exercise costs.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import clinrules
from benchmarks.patients import Patients
from benchmarks.timing import Row, at_most, median_ns, ms, per_item_ns, scaled, us

SECTION = "4. 2,000 generated rules"
SEED = 11
RULES_PER_EXERCISE = 10

_MUSCLES = ["hip_extension", "knee_extension", "dorsiflexion", "plantarflexion", "eversion"]

_HEADER = """\
ruleset generated
  version 1.0.0
  status draft
  model sciatica

red flag cauda_equina:
  urgent if urinary_retention or faecal_incontinence or saddle_anaesthesia or bilateral_new
red flag motor_deficit:
  urgent if weakness_worsening or foot_drop or (weakest_grade is known and weakest_grade <= 2)
  care same_day

otherwise allow
"""

_TEMPLATES: list[Callable[[random.Random], str]] = [
    lambda r: (
        "stop if the last session had (shooting_pain or extent_during > extent_before)\n  when unknown check"
    ),
    lambda r: (
        f"avoid if leg_pain >= {r.randint(5, 8)} and radiating_pain >= {r.choice(['thigh', 'below_knee'])}"
    ),
    lambda r: (
        f"modify if the last session had pain_during > {r.randint(2, 4)}\n  dose reps {r.randint(3, 6)}"
    ),
    lambda r: f"avoid if 2 of the last 3 sessions had next_morning_pain >= pain_before + {r.randint(2, 3)}",
    lambda r: f"check if screened_at < now - {r.choice([12, 24, 48])} hours",
    lambda r: f"avoid if weakness includes any of {{{', '.join(r.sample(_MUSCLES, 2))}}}",
    lambda r: f"check if back_pain between {r.randint(6, 8)} and 10 and not numbness",
    lambda r: "allow if every one of the last 3 sessions had (pain_during <= 2 and completed)",
    lambda r: f"avoid if age >= {r.randint(60, 80)} years and acute_flare",
    lambda r: f"check if straight_leg_raise is positive or side is {r.choice(['left', 'right', 'both'])}",
]


def exercise_id(index: int) -> str:
    return f"e{index:03d}"


def ruleset_text(exercises: Iterable[int]) -> str:
    """The header, the red flags, and for each exercise its declaration and its 10 rules (the same for a given index)."""
    parts = [_HEADER]
    for index in exercises:
        ex, rng = exercise_id(index), random.Random(index)
        parts.append(f'exercise {ex} "Exercise {index}" tagged t{index % 10}\n  dose reps 10, sets 2\n')
        for n, template in enumerate(_TEMPLATES[:RULES_PER_EXERCISE]):
            parts.append(f"rule {ex}_r{n} for {ex}:\n  {template(rng)}\n")
    return "\n".join(parts)


def run() -> tuple[list[Row], dict[str, Any]]:
    exercises = scaled(200, 20)
    count = scaled(200, 20)
    one = exercises // 2
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.rules"
        path.write_text(ruleset_text(range(exercises)), encoding="utf-8")
        load = median_ns(lambda: clinrules.load(path, allow_draft=True))
        large = clinrules.load(path, allow_draft=True)
    others = [exercise_id(i) for i in (0, exercises - 1)]
    # The others are declared, without rules, so that their sessions are of the ruleset's exercises.
    declared = "".join(f'\nexercise {ex} "Exercise {ex}"\n' for ex in others)
    small = clinrules.compile(ruleset_text([one]) + declared, allow_draft=True)
    patients = list(Patients(SEED, [exercise_id(one), *others]).many(count))
    wanted = [exercise_id(one)]

    for patient in patients:  # the same rules must decide the same way
        a = large.evaluate(patient, exercises=wanted).model_dump()
        b = small.evaluate(patient, exercises=wanted).model_dump()
        a["ruleset"] = b["ruleset"] = None
        if a != b:
            raise AssertionError(f"the large and the small ruleset disagree:\n{a}\n{b}")

    big = per_item_ns(lambda p: large.evaluate(p, exercises=wanted), patients)
    little = per_item_ns(lambda p: small.evaluate(p, exercises=wanted), patients)
    n = len(large.program.rules)
    s = SECTION
    rows = [
        Row(s, f"load() of {n:,} rules over {exercises} exercises", ms(load), "ms"),
        Row(s, f"evaluate(exercises=[one]), {n:,} rules", us(big), "us/patient"),
        Row(s, f"evaluate(exercises=[one]), {RULES_PER_EXERCISE} rules", us(little), "us/patient"),
        at_most(s, f"{n:,} rules / {RULES_PER_EXERCISE} rules, one exercise", big / little, 2),
    ]
    return rows, {"rules": n, "exercises": exercises, "patients": count, "exercise": wanted[0]}
