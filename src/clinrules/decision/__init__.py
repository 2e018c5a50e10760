"""Stage 5, decision: outcomes -> a `Decision`, by the combination rules of language.md section 7.

In: the engine's outcomes and inputs. Out: a `Decision` (`result.py`: the
pydantic models of contracts.md section 4, their JSON and their text) built
by `combine.py`: red flags first, then the most restrictive verdict per
exercise, doses merged to the most conservative, alternatives and targets
only when permitted. `clinrules.ruleset.RuleSet` calls this stage.

The names of `result.py` are re-exported here, so `clinrules.decision.Decision`
keeps working.
"""

from clinrules.base.vocabulary import DISCLAIMER, Care, RedFlagState, Triage, Verdict
from clinrules.decision.result import DataWarning, Decision, ExerciseDecision, RulesetInfo, TraceEntry, Where

__all__ = [
    "DISCLAIMER",
    "Care",
    "DataWarning",
    "Decision",
    "ExerciseDecision",
    "RedFlagState",
    "RulesetInfo",
    "TraceEntry",
    "Triage",
    "Verdict",
    "Where",
]
