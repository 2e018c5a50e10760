"""What every engine does on the driver before any work is sent: ship the ruleset, check the options.

Design decision: everything a record shares (the ruleset, `as_of`, the
exercises, the id field) is refused here, once, on the driver: a mistake in
it is a failed call, never millions of error rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from clinrules.api import load
from clinrules.base.errors import ArgumentError
from clinrules.batch.partition import BatchOptions, checked_options
from clinrules.batch.shipped import ShippedRuleset, ship
from clinrules.ruleset import RuleSet

RulesetArg = RuleSet | ShippedRuleset | str | os.PathLike[str]


def prepared(
    ruleset: RulesetArg,
    *,
    as_of: str,
    allow_draft: bool,
    model: str | None,
    id_field: str,
    exercises: Iterable[str] | None,
    decision: bool,
    recheck: bool,
) -> tuple[ShippedRuleset, BatchOptions]:
    """The shipped ruleset and the checked options of one batch.

    Raises:
        RulesetError: a path whose ruleset does not load or may not be used.
        BatchError: a ruleset that is not approved without `allow_draft`.
        ArgumentError, ExerciseError, PatientDataError: as `checked_options`.
    """
    for name, flag in (("allow_draft", allow_draft), ("decision", decision), ("recheck", recheck)):
        if not isinstance(flag, bool):
            raise ArgumentError(f"{name} must be True or False, not {type(flag).__name__}")
    if isinstance(ruleset, ShippedRuleset):
        shipped = ruleset
    elif isinstance(ruleset, RuleSet):
        shipped = ship(ruleset, allow_draft=allow_draft, model=model)
    elif isinstance(ruleset, str | os.PathLike):
        shipped = ship(
            load(ruleset, model=model, allow_draft=allow_draft), allow_draft=allow_draft, model=model
        )
    else:
        raise ArgumentError(
            f"ruleset must be a RuleSet, a ShippedRuleset or a path, not {type(ruleset).__name__}"
        )
    if exercises is not None and not isinstance(exercises, str):
        exercises = tuple(exercises)
    elif isinstance(exercises, str):
        exercises = (exercises,)
    options = BatchOptions(
        as_of=as_of, id_field=id_field, exercises=exercises, decision=decision, recheck=recheck
    )
    return shipped, checked_options(shipped, options)
