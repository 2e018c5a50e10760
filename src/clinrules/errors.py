"""The exceptions of the public API.

Every exception that leaves clinrules is a `ClinrulesError`, so a health app
can catch one type. Each carries a message a person can act on; a
`RulesetError` also carries every diagnostic of the failed load as data.
"""

from __future__ import annotations

from collections.abc import Sequence

from clinrules.diagnostics import Diagnostic, Severity


class ClinrulesError(Exception):
    """Base class of every error clinrules raises."""


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
