"""clinrules: clinical decision-support rules that read like a clinician speaks.

Decision support, not diagnosis: every decision is advice for a clinician and
a patient to weigh, traceable to a rule, a line and a source.
"""

from clinrules.diagnostics import Diagnostic, Severity
from clinrules.errors import ClinrulesError, RulesetError
from clinrules.parser import parse

__all__ = ["ClinrulesError", "Diagnostic", "RulesetError", "Severity", "parse"]
__version__ = "0.1.0"
