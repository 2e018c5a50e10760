"""clinrules: clinical decision-support rules that read like a clinician speaks.

Decision support, not diagnosis: every decision is advice for a clinician and
a patient to weigh, traceable to a rule, a line and a source.

The names below are imported on first use, so that a command such as
`clinrules check` loads only the stages it runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_WHERE = {
    "check_file": "clinrules.api",
    "compile": "clinrules.api",
    "load": "clinrules.api",
    "parse": "clinrules.parser",
    "RuleSet": "clinrules.ruleset",
    "Outcomes": "clinrules.evaluator",
    "Decision": "clinrules.decision",
    "ExerciseDecision": "clinrules.decision",
    "Triage": "clinrules.decision",
    "Verdict": "clinrules.decision",
    "Diagnostic": "clinrules.diagnostics",
    "Severity": "clinrules.diagnostics",
    "ClinrulesError": "clinrules.errors",
    "ExerciseError": "clinrules.errors",
    "ParameterError": "clinrules.errors",
    "PatientDataError": "clinrules.errors",
    "RulesetError": "clinrules.errors",
    "OrdinalEnum": "clinrules.ordinal",
}

__all__ = [
    "ClinrulesError",
    "Decision",
    "Diagnostic",
    "ExerciseDecision",
    "ExerciseError",
    "OrdinalEnum",
    "Outcomes",
    "ParameterError",
    "PatientDataError",
    "RuleSet",
    "RulesetError",
    "Severity",
    "Triage",
    "Verdict",
    "check_file",
    "compile",
    "load",
    "parse",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'clinrules' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


if TYPE_CHECKING:
    from clinrules.api import check_file, compile, load
    from clinrules.decision import Decision, ExerciseDecision, Triage, Verdict
    from clinrules.diagnostics import Diagnostic, Severity
    from clinrules.errors import ClinrulesError, ExerciseError, ParameterError, PatientDataError, RulesetError
    from clinrules.evaluator import Outcomes
    from clinrules.ordinal import OrdinalEnum
    from clinrules.parser import parse
    from clinrules.ruleset import RuleSet
