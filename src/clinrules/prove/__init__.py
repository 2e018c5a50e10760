"""`prove`: the safety promises of a ruleset proved for every patient within the model's bounds (issue 17).

A layer above `decision` and below `ruleset`: it reads the checked program
(`ir.Program`), encodes it into z3 (`values`, `conditions`, `history`,
`verdicts`), asks its queries (`queries`), and replays every counterexample
through the real evaluator (`witness`) before reporting it (`report`). z3
is the extra `clinrules[prove]`; this module imports it only inside
`prove`, so that without it the error names the install command.

In: a checked `ir.Program`. Out: a `ProofReport`: what was proved, and
each finding (CR601-CR609) with its counterexample patient, replayed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from clinrules.base.errors import ClinrulesError

if TYPE_CHECKING:
    from clinrules import ir
    from clinrules.prove.report import ProofReport

INSTALL_HINT = "pip install 'clinrules[prove]'"


class ProveUnavailableError(ClinrulesError):
    """`prove` needs z3, the extra `clinrules[prove]`, which is not installed."""


def prove(
    program: ir.Program,
    *,
    fix_params: bool = False,
    complete: bool = False,
    extra_slots: int = 0,
    timeout_ms: int = 60_000,
) -> ProofReport:
    """Prove the built-in promises and every `require` of `program`; find dead, masked rules and gaps.

    Args:
        program: a checked program (`RuleSet.program`).
        fix_params: pin every parameter at its default (default: every value within its bounds).
        complete: also look for gaps: fully known patients no rule decides.
        extra_slots: session slots beyond the bound, per exercise (tests of the bound).
        timeout_ms: the solver's time per query; a query not settled in it is unproved (CR608).

    Raises:
        ProveUnavailableError: z3 is not installed.
    """
    try:
        import z3  # noqa: F401
    except ImportError:
        raise ProveUnavailableError(f"prove needs z3, which is not installed: {INSTALL_HINT}") from None
    from clinrules.prove.run import run

    started = time.perf_counter()
    report = run(program, fix_params, complete, extra_slots, timeout_ms)
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["INSTALL_HINT", "ProveUnavailableError", "prove"]
