"""Shared test set-up: hypothesis profiles and paths.

`ci` (the default) is bounded so `make test` stays quick; `CLINRULES_LONG=1`
selects `long` for a thorough run.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "long", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("long" if os.environ.get("CLINRULES_LONG") == "1" else "ci")
