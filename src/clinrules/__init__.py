"""clinrules: clinical decision-support rules that read like a clinician speaks.

Decision support, not diagnosis: every decision is advice for a clinician and
a patient to weigh, traceable to a rule, a line and a source.

The names below are imported on first use, so that a command such as
`clinrules check` loads only the stages it runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from clinrules.base.version import __version__ as __version__

_WHERE = {
    "check_file": "clinrules.api",
    "compile": "clinrules.api",
    "load": "clinrules.api",
    "parse": "clinrules.syntax.parser",
    "RuleSet": "clinrules.ruleset",
    "Outcomes": "clinrules.engine.evaluator",
    "Decision": "clinrules.decision.result",
    "ExerciseDecision": "clinrules.decision.result",
    "Triage": "clinrules.base.vocabulary",
    "Verdict": "clinrules.base.vocabulary",
    "Diagnostic": "clinrules.base.diagnostics",
    "Severity": "clinrules.base.diagnostics",
    "ArgumentError": "clinrules.base.errors",
    "ClinrulesError": "clinrules.base.errors",
    "ExerciseError": "clinrules.base.errors",
    "ParameterError": "clinrules.base.errors",
    "PatientDataError": "clinrules.base.errors",
    "RulesetError": "clinrules.base.errors",
    "OrdinalEnum": "clinrules.models.ordinal",
    "ParameterInfo": "clinrules.ruleset",
}

__all__ = [
    "ArgumentError",
    "ClinrulesError",
    "Decision",
    "Diagnostic",
    "ExerciseDecision",
    "ExerciseError",
    "OrdinalEnum",
    "Outcomes",
    "ParameterError",
    "ParameterInfo",
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
    from clinrules.base.diagnostics import Diagnostic, Severity
    from clinrules.base.errors import (
        ArgumentError,
        ClinrulesError,
        ExerciseError,
        ParameterError,
        PatientDataError,
        RulesetError,
    )
    from clinrules.base.vocabulary import Triage, Verdict
    from clinrules.decision.result import Decision, ExerciseDecision
    from clinrules.engine.evaluator import Outcomes
    from clinrules.models.ordinal import OrdinalEnum
    from clinrules.ruleset import ParameterInfo, RuleSet
    from clinrules.syntax.parser import parse
