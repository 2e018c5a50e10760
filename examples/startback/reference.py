"""The STarT Back scoring as plain Python: the reference the rule file is checked against.

Written from the published scoring (Hill et al., Arthritis & Rheumatism
2008), not from `startback.rules`, so that the two can disagree: items 1-8
score 1 when agreed with, item 9 (bothersomeness) scores 1 at "very much" or
"extremely"; the total is items 1-9 and the psychosocial subscale items 5-9.
A total of 3 or less is low risk; 4 or more is medium risk, unless the
subscale is 4 or more, which is high risk.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping

AGREE_ITEMS = (
    "leg_pain_spread",
    "shoulder_or_neck_pain",
    "walked_short_distances_only",
    "dressed_slowly",
    "not_safe_to_be_active",
    "worrying_thoughts",
    "terrible_never_better",
    "not_enjoyed_things",
)
BOTHERSOME = ("not_at_all", "slightly", "moderately", "very_much", "extremely")
PSYCHOSOCIAL_AGREE_ITEMS = AGREE_ITEMS[4:]


def scores(answers: Mapping[str, object]) -> tuple[int, int]:
    """The total score and the psychosocial subscale of a fully answered questionnaire."""
    bothered = 1 if answers["bothersome"] in ("very_much", "extremely") else 0
    total = sum(1 for item in AGREE_ITEMS if answers[item] is True) + bothered
    psychosocial = sum(1 for item in PSYCHOSOCIAL_AGREE_ITEMS if answers[item] is True) + bothered
    return total, psychosocial


def risk_group(answers: Mapping[str, object]) -> str:
    """`low`, `medium` or `high`, by the published cut-offs."""
    total, psychosocial = scores(answers)
    if total <= 3:
        return "low"
    return "high" if psychosocial >= 4 else "medium"


def every_answer_set() -> Iterator[dict[str, object]]:
    """All 2**8 * 5 = 1,280 ways to answer the nine items, in a fixed order."""
    for agreed in itertools.product((False, True), repeat=len(AGREE_ITEMS)):
        for bothersome in BOTHERSOME:
            yield {**dict(zip(AGREE_ITEMS, agreed, strict=True)), "bothersome": bothersome}
