"""clinrules: clinical decision-support rules that read like a clinician speaks.

Decision support, not diagnosis: every decision is advice for a clinician and
a patient to weigh, traceable to a rule, a line and a source.
"""

from clinrules.api import check_file, compile, load
from clinrules.decision import Decision, ExerciseDecision, Triage, Verdict
from clinrules.diagnostics import Diagnostic, Severity
from clinrules.errors import ClinrulesError, ExerciseError, ParameterError, PatientDataError, RulesetError
from clinrules.ordinal import OrdinalEnum
from clinrules.parser import parse
from clinrules.ruleset import RuleSet

__all__ = [
    "ClinrulesError",
    "Decision",
    "Diagnostic",
    "ExerciseDecision",
    "ExerciseError",
    "OrdinalEnum",
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
__version__ = "0.1.0"
