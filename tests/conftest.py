"""Shared test set-up: hypothesis profiles and paths.

`ci` (the default) is bounded so `make test` stays quick: 150 examples a
property, or what `examples(n)` gives it (each such property says why).
`CLINRULES_LONG=1` selects `long` for a thorough run: 5,000 examples for every
property, sized or not.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
LONG = os.environ.get("CLINRULES_LONG") == "1"

settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "long", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("long" if LONG else "ci")


def examples(ci: int) -> settings:
    """Settings for a property that runs `ci` examples in the bounded profile.

    A fixed `@settings(max_examples=...)` would also cap the long run; this
    caps only the `ci` profile, so `CLINRULES_LONG=1` still runs 5,000.
    """
    return settings() if LONG else settings(max_examples=ci)
