"""Seeded realistic sciatica patients, as the JSON dicts an app sends (no timing here).

A patient is one of three kinds: clear (every answer known, no red flag),
unknown (about a third of the answers, and of each session's, left out) and
red flag (one cauda equina answer is yes). Each exercise asked for gets
0 to 12 logged sessions, one a day at 18:00 before the evaluation time.
Sessions are drawn from a seeded pool of a thousand, so that making a
patient costs little beside evaluating one, even a hundred thousand times.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from typing import Any

AS_OF = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)
MAX_SESSIONS = 12
RED_FLAG_SHARE = 0.15
UNKNOWN_SHARE = 0.25
DROP = 0.35  # the share of answers an `unknown` patient leaves out

_EXTENTS = ["none", "buttock", "thigh", "below_knee", "foot"]
_MUSCLES = ["hip_extension", "knee_extension", "dorsiflexion", "great_toe_extension", "plantarflexion"]
_CAUDA_EQUINA = ["urinary_retention", "faecal_incontinence", "saddle_anaesthesia"]
_OTHER_FLAGS = ["fever", "history_of_cancer", "recent_trauma", "weakness_worsening", "foot_drop"]


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


_AS_OF = _iso(AS_OF)
_SESSION_AT = [_iso(AS_OF.replace(hour=18) - dt.timedelta(days=day)) for day in range(MAX_SESSIONS + 1)]


def _session(rng: random.Random) -> dict[str, Any]:
    """The answers of one session, mostly low pain, sometimes a flare or shooting pain."""
    before = rng.choice([0, 1, 1, 2, 2, 3, 4, 5])
    extent = rng.choice(_EXTENTS[:3])
    return {
        "pain_before": before,
        "pain_during": max(0, min(10, before + rng.randint(-1, 3))),
        "pain_after": max(0, min(10, before + rng.randint(-1, 2))),
        "next_morning_pain": min(10, before + rng.choice([0, 0, 0, 1, 2, 3])),
        "extent_before": extent,
        "extent_during": rng.choice([extent, extent, extent, "thigh", "below_knee"]),
        "shooting_pain": rng.random() < 0.1,
        "completed": rng.random() < 0.9,
        "reps": rng.randint(5, 12),
        "form_ok": rng.random() < 0.8,
    }


class Patients:
    """A seeded source of patients with sessions of `exercises`."""

    def __init__(self, seed: int, exercises: Sequence[str]) -> None:
        self.rng = rng = random.Random(seed)
        self.exercises = tuple(exercises)
        known = [_session(rng) for _ in range(1_000)]
        self.pools = (known, [self._some(s, DROP) for s in known])

    def _some(self, values: dict[str, Any], drop: float) -> dict[str, Any]:
        return {k: x for k, x in values.items() if not drop or self.rng.random() >= drop}

    def one(self) -> dict[str, Any]:
        """One patient."""
        rng = self.rng
        kind = rng.random()
        unknown = RED_FLAG_SHARE <= kind < RED_FLAG_SHARE + UNKNOWN_SHARE
        drop = DROP if unknown else 0.0
        pool = self.pools[unknown]
        flags = dict.fromkeys(_CAUDA_EQUINA + _OTHER_FLAGS, False)
        if kind < RED_FLAG_SHARE:
            flags[rng.choice(_CAUDA_EQUINA)] = True
        screened = AS_OF - dt.timedelta(hours=rng.choice([1, 2, 5, 20, 30]))
        sessions = [
            {"exercise": ex, "at": _SESSION_AT[day], **rng.choice(pool)}
            for ex in self.exercises
            for day in range(1, rng.randint(0, MAX_SESSIONS) + 1)
        ]
        symptoms = {
            "back_pain": rng.randint(0, 8),
            "leg_pain": rng.randint(0, 8),
            "radiating_pain": rng.choice(_EXTENTS),
            "side": rng.choice(["left", "right", "both"]),
            "bilateral_new": False,
            "numbness": rng.random() < 0.3,
            "acute_flare": rng.random() < 0.2,
        }
        exam = {
            "straight_leg_raise": rng.choice(["positive", "negative"]),
            "weakness": rng.sample(_MUSCLES, rng.choice([0, 0, 0, 1, 2])),
            "weakest_grade": rng.choice([5, 5, 4, 4, 3]),
        }
        return {
            "as_of": _AS_OF,
            **self._some({"age": rng.randint(18, 90), "new_episode": rng.random() < 0.5}, drop),
            "symptoms": self._some(symptoms, drop),
            "red_flags": {**self._some(flags, drop), "screened_at": _iso(screened)},
            "exam": self._some(exam, drop),
            "sessions": sessions,
        }

    def many(self, count: int) -> Iterator[dict[str, Any]]:
        """`count` patients, each made only when it is asked for."""
        for _ in range(count):
            yield self.one()
