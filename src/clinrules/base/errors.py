"""The exceptions of the public API.

Every exception that leaves clinrules is a `ClinrulesError`, so a health app
can catch one type. Each carries a message a person can act on; a
`RulesetError` also carries every diagnostic of the failed load as data.
"""

from __future__ import annotations

from collections.abc import Sequence

from clinrules.base.diagnostics import Diagnostic, Severity


class ClinrulesError(Exception):
    """Base class of every error clinrules raises."""


class ArgumentError(ClinrulesError, TypeError):
    """An API function was called with an argument of the wrong type, such as
    `load(123)`, `parameters=[1]` or `allow_draft="no"`: a mistake in the
    calling code, not in the rules or the patient data.

    It is also a `TypeError`, the exception Python raises for such calls.
    """


class RulesetError(ClinrulesError):
    """A rule file could not be loaded: it has one or more errors.

    Attributes:
        diagnostics: every diagnostic found, errors and warnings, sorted by
            file and position.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        errors = [d for d in self.diagnostics if d.severity is Severity.ERROR]
        first = errors[0] if errors else (self.diagnostics[0] if self.diagnostics else None)
        if first is None:
            summary = "the rule file could not be loaded"
        else:
            summary = f"{first.file}:{first.line}:{first.column}: {first.code} {first.message}"
            if len(errors) > 1:
                summary += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
        super().__init__(summary)


class FormatError(ClinrulesError):
    """The formatter's output would not mean what its input meant (a bug in clinrules).

    The formatter checks every result against its input before returning it,
    so a file is never rewritten into something that reads differently.
    """


class PatientDataError(ClinrulesError):
    """The patient data is not valid for the ruleset's model.

    Attributes:
        problems: (field path, reason) for each bad value, such as
            ("sessions[2].pain_during", "must be at most 10, got 11").
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        listed = "; ".join(f"{path}: {reason}" if path else reason for path, reason in self.problems)
        super().__init__(f"the patient data is not valid: {listed}")


class ParameterError(ClinrulesError):
    """A parameter override is not allowed: unknown name, out of bounds, or a fraction for a whole number."""


class ExerciseError(ClinrulesError):
    """An evaluation asked about an exercise the ruleset does not know."""
