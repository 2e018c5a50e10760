"""Diagnostics as data: a stable code, a severity, a span, words and a hint.

Every stage reports problems as `Diagnostic` values instead of raising on
the first one, so a rule author sees every mistake of a file in one run.
Codes are stable: tests and tools match on them, never on the wording, and
`docs/errors.md` has one anchor per code. `CODES` is the one list of codes;
a test checks that the docs and this table agree.

Code ranges: CR0xx input and limits, CR1xx syntax, CR2xx names, CR3xx types
and units, CR4xx structure, CR5xx warnings, CR6xx the findings of `clinrules prove`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from clinrules.base.span import Span
from clinrules.base.terminal import printable


class Severity(StrEnum):
    """How serious a diagnostic is: errors stop a load, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


# code -> (severity, one-line title used by the docs and tests)
CODES: dict[str, tuple[Severity, str]] = {
    "CR001": (Severity.ERROR, "the file is empty"),
    "CR002": (Severity.ERROR, "the file is not UTF-8 text"),
    "CR003": (Severity.ERROR, "the file is too large"),
    "CR004": (Severity.ERROR, "a condition is nested too deeply"),
    "CR005": (Severity.ERROR, "too many errors; the rest of the file was not read"),
    "CR006": (Severity.ERROR, "a condition is nested too deeply once its defined phrases are expanded"),
    "CR007": (Severity.ERROR, "a path that is not a regular file"),
    "CR008": (Severity.ERROR, "an invisible or control character in the text"),
    "CR101": (Severity.ERROR, "something else was expected here"),
    "CR102": (Severity.ERROR, "a character that the language does not use"),
    "CR103": (Severity.ERROR, "a text in quotes has no closing quote"),
    "CR104": (Severity.ERROR, "the file ends in the middle of a declaration"),
    "CR105": (Severity.ERROR, "the file does not start with 'ruleset' or 'library'"),
    "CR106": (Severity.ERROR, "a dotted path where a plain id is expected"),
    "CR107": (Severity.ERROR, "a count of sessions or a year that is not a whole number"),
    "CR108": (Severity.ERROR, "a date that does not exist"),
    "CR109": (Severity.ERROR, "a text in quotes with an unknown escape or a control character"),
    "CR110": (Severity.ERROR, "a date written in a condition"),
    "CR111": (Severity.ERROR, "a defined phrase that holds a keyword without quotes"),
    "CR112": (Severity.ERROR, "a number with too many digits"),
    "CR114": (Severity.ERROR, "a defined phrase that starts with a word that begins a condition"),
    "CR115": (Severity.ERROR, "an 'otherwise' that is neither a verdict nor an assessment's last branch"),
    "CR201": (Severity.ERROR, "unknown field"),
    "CR202": (Severity.ERROR, "unknown phrase"),
    "CR203": (Severity.ERROR, "a value that is not one of the field's values"),
    "CR204": (Severity.ERROR, "unknown status"),
    "CR205": (Severity.ERROR, "unknown model"),
    "CR206": (Severity.ERROR, "a define or parameter with the name of a field, or of each other"),
    "CR207": (Severity.ERROR, "unknown exercise"),
    "CR208": (Severity.ERROR, "unknown care level"),
    "CR209": (Severity.ERROR, "unknown source"),
    "CR210": (Severity.ERROR, "unknown tag"),
    "CR211": (Severity.ERROR, "a field name that could mean several fields"),
    "CR212": (Severity.ERROR, "a session field or session phrase outside 'had'"),
    "CR213": (Severity.ERROR, "a group of fields used as a value"),
    "CR214": (Severity.ERROR, "an id declared twice"),
    "CR215": (Severity.ERROR, "a file that cannot be read"),
    "CR217": (Severity.ERROR, "a model that rules cannot use"),
    "CR218": (Severity.ERROR, "a model bound that cannot be used"),
    "CR219": (Severity.ERROR, "a score or assessment with the name of a field, parameter or phrase"),
    "CR220": (Severity.ERROR, "a score used other than in a comparison with a number, parameter or score"),
    "CR221": (Severity.ERROR, "a score, count of or assessment inside 'had'"),
    "CR222": (Severity.ERROR, "a value that is not one of the assessment's values"),
    "CR223": (Severity.ERROR, "a score or assessment defined in terms of itself"),
    "CR224": (Severity.ERROR, "'otherwise' in a ruleset with no exercises"),
    "CR301": (Severity.ERROR, "quantities of different units"),
    "CR302": (Severity.ERROR, "values of different types"),
    "CR303": (Severity.ERROR, "an order on values that have none, or a unit that does not fit"),
    "CR304": (Severity.ERROR, "a fraction where a whole number is needed"),
    "CR305": (Severity.ERROR, "a length of time without a time unit"),
    "CR306": (Severity.ERROR, "a unit that is neither the table's nor one the model declares"),
    "CR307": (Severity.ERROR, "'is known' of a parameter, which is never unknown"),
    "CR401": (Severity.ERROR, "a required header line is missing"),
    "CR402": (Severity.ERROR, "a header line given twice"),
    "CR403": (Severity.ERROR, "no model"),
    "CR404": (Severity.ERROR, "'approved' without a 'reviewed' line"),
    "CR405": (Severity.ERROR, "an unknown condition may not allow or progress"),
    "CR406": (Severity.ERROR, "bounds or amounts the wrong way round"),
    "CR407": (Severity.ERROR, "a ladder that does not hold together"),
    "CR408": (Severity.ERROR, "a red flag whose verdict is not 'urgent'"),
    "CR409": (Severity.ERROR, "a clause that does not fit its verdict"),
    "CR410": (Severity.ERROR, "a clause given twice"),
    "CR411": (Severity.ERROR, "'urgent' outside a red flag"),
    "CR412": (Severity.ERROR, "progress or regress with no rung to move to"),
    "CR413": (Severity.ERROR, "rules or 'otherwise' in a library"),
    "CR414": (Severity.ERROR, "'otherwise' given twice"),
    "CR415": (Severity.ERROR, "an 'otherwise' verdict that is not allow, check or avoid"),
    "CR416": (Severity.ERROR, "a count of sessions out of range"),
    "CR417": (Severity.ERROR, "a phrase defined in terms of itself"),
    "CR418": (Severity.ERROR, "a session form inside 'had'"),
    "CR419": (Severity.ERROR, "an include that cannot be followed"),
    "CR420": (Severity.ERROR, "a ruleset that may not be used as it stands"),
    "CR421": (Severity.ERROR, "a session form with a model that has no session log"),
    "CR422": (Severity.ERROR, "a window or duration that cannot be evaluated"),
    "CR423": (Severity.ERROR, "a ladder scope with no rung to count from"),
    "CR424": (Severity.ERROR, "a target list that ends up empty"),
    "CR425": (Severity.ERROR, "a session form with both a prefix exercise and a scope"),
    "CR430": (Severity.ERROR, "a 'safety net' in a library"),
    "CR426": (Severity.ERROR, "an assessment used other than with is, is not, in or is known"),
    "CR427": (Severity.ERROR, "a require id declared twice"),
    "CR428": (Severity.WARNING, "a require whose verdict bound can never fail"),
    "CR429": (Severity.ERROR, "a require that names a rung in its verdict"),
    "CR501": (Severity.WARNING, "a condition that can never be true"),
    "CR502": (Severity.WARNING, "no 'otherwise'"),
    "CR503": (Severity.WARNING, "a phrase that is never used"),
    "CR504": (Severity.WARNING, "a source that is never cited"),
    "CR505": (Severity.WARNING, "an exercise no rule is about"),
    "CR506": (Severity.WARNING, "a field with no question that a red flag or a 'when unknown' rule reads"),
    "CR507": (Severity.WARNING, "a restrictive rule that can be unknown with no 'when unknown'"),
    "CR508": (Severity.WARNING, "a 'modify' dose that sets what the exercise's dose lacks"),
    "CR601": (Severity.ERROR, "a built-in promise refuted by a counterexample patient"),
    "CR602": (Severity.ERROR, "a 'require' refuted by a counterexample patient"),
    "CR603": (Severity.WARNING, "a rule that can never fire"),
    "CR604": (Severity.WARNING, "a rule that decides only through 'when unknown'"),
    "CR605": (Severity.WARNING, "a masked rule: a stricter verdict always wins"),
    "CR606": (Severity.WARNING, "a gap: a fully known patient no rule decides"),
    "CR607": (Severity.ERROR, "a construct 'prove' does not support"),
    "CR608": (Severity.ERROR, "a query the solver could not settle in time"),
    "CR609": (Severity.ERROR, "a counterexample the evaluator disagrees with (a bug in clinrules)"),
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a rule file.

    Attributes:
        code: stable code such as `CR201`; see docs/errors.md.
        severity: `error` or `warning`.
        message: what is wrong, in words a rule author can act on.
        file: the file name as given by the caller (or `<inline>`).
        span: where in the file.
        hint: how to fix it, or None.
    """

    code: str
    severity: Severity
    message: str
    file: str
    span: Span
    hint: str | None = None

    @property
    def line(self) -> int:
        """1-based line of the start of the problem."""
        return self.span.line

    @property
    def column(self) -> int:
        """1-based column of the start of the problem."""
        return self.span.column

    @property
    def end_line(self) -> int:
        """1-based line just after the problem."""
        return self.span.end_line

    @property
    def end_column(self) -> int:
        """1-based column just after the problem."""
        return self.span.end_column

    @property
    def end(self) -> tuple[int, int]:
        """(end_line, end_column) of the problem."""
        return (self.span.end_line, self.span.end_column)

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order by file, position, then code, so output is stable."""
        return (self.file, self.span.line, self.span.column, self.code)


def make(code: str, message: str, file: str, span: Span, hint: str | None = None) -> Diagnostic:
    """Build a diagnostic whose severity comes from the code table."""
    severity, _title = CODES[code]
    return Diagnostic(code, severity, message, file, span, hint)


def render(diagnostic: Diagnostic, text: str | None) -> str:
    """Render a diagnostic as `file:line:col: CODE message`, the source line,
    a caret under the span, and the hint (language.md section 4)."""
    d = diagnostic
    # Every part may quote a file name or rule text: shown escaped (base/terminal.py).
    head = f"{printable(d.file)}:{d.line}:{d.column}: {d.code} {printable(d.message)}"
    if d.severity is Severity.WARNING:
        head = f"{printable(d.file)}:{d.line}:{d.column}: {d.code} warning: {printable(d.message)}"
    out = [head]
    lines = text.split("\n") if text is not None else []
    if 1 <= d.line <= len(lines):
        raw = lines[d.line - 1]
        source_line = (raw[:-1] if raw.endswith("\r") else raw).expandtabs(1)
        gutter = f"{d.line:>5} | "
        width = d.end_column - d.column if d.end_line == d.line else len(source_line) - d.column + 1
        width = max(1, min(width, max(1, len(source_line) - d.column + 1)))
        # An escaped character takes several columns: the caret is placed under the escape.
        before = printable(source_line[: d.column - 1]).ljust(d.column - 1)
        under = printable(source_line[d.column - 1 : d.column - 1 + width])
        out.append(f"{gutter}{printable(source_line)}")
        out.append(" " * (len(gutter) - 2) + "| " + " " * len(before) + "^" * max(1, len(under)))
    if d.hint:
        out.append(f"   hint: {printable(d.hint)}")
    return "\n".join(out)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """True when any diagnostic is an error."""
    return any(d.severity is Severity.ERROR for d in diagnostics)
