"""A Pygments lexer for the rule language, so fenced `clinrules` code is highlighted.

Registered under the entry-point group `pygments.lexers`, so Pygments (and
mkdocs, through it) finds it by the alias `clinrules`. The keyword lists
mirror the grammar (a test checks they are the same set). Highlighting is
lexical only: a word that is a keyword in one place and a name in another
(`range`, `reps`) is shown as a keyword everywhere, which is harmless for
reading. Pygments is a development dependency: importing this module needs it.
"""

from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

DECLARATIONS = (
    "ruleset",
    "library",
    "include",
    "source",
    "parameter",
    "exercise",
    "ladder",
    "define",
    "red",
    "flag",
    "rule",
    "otherwise",
    "score",
    "assess",
    "require",
)
HEADER = (
    "title",
    "version",
    "status",
    "model",
    "reviewed",
    "by",
    "unknown",
    "publisher",
    "year",
    "url",
    "safety",
    "net",
)
CLAUSES = (
    "if",
    "for",
    "tagged",
    "instead",
    "dose",
    "say",
    "note",
    "cite",
    "when",
    "care",
    "to",
    "assumption",
    "ignore",
    "at",
    "least",
    "most",
)
VERDICTS = ("urgent", "stop", "avoid", "check", "regress", "modify", "allow", "progress")
OPERATORS = (
    "and",
    "or",
    "not",
    "is",
    "in",
    "includes",
    "between",
    "known",
    "empty",
    "had",
    "within",
    "now",
    "count",
    "implies",
)
VALUES = ("yes",)
HISTORY = ("the", "last", "any", "of", "every", "one", "no", "session", "sessions", "exercise", "days")
SCOPES = ("on", "this", "a", "lower", "rung", "below", "above", "except")
DOSE = ("reps", "sets", "hold", "rest", "daily", "times", "range", "partial", "full", "load", "bodyweight")
UNITS = (
    "seconds",
    "second",
    "s",
    "minutes",
    "minute",
    "min",
    "hours",
    "hour",
    "days",
    "day",
    "weeks",
    "week",
    "months",
    "month",
    "years",
    "year",
    "kg",
    "cm",
    "inches",
    "inch",
    "bpm",
    "mg",
    "mcg",
    "ml",
    "mmol",
    "g",
    "lb",
)

_NUMBER_UNIT = bygroups(Number, Whitespace, Name.Constant)  # type: ignore[no-untyped-call]

KEYWORDS = frozenset(
    (*DECLARATIONS, *HEADER, *CLAUSES, *VERDICTS, *OPERATORS, *HISTORY, *SCOPES, *DOSE, *VALUES)
)
"""Every word the grammar reserves somewhere."""


class ClinrulesLexer(RegexLexer):
    """The clinrules rule language."""

    name = "clinrules"
    aliases: ClassVar[list[str]] = ["clinrules", "rules"]
    filenames: ClassVar[list[str]] = ["*.rules"]
    url = "https://pypi.org/project/clinrules/"

    tokens: ClassVar[dict[str, list[tuple[object, ...] | object]]] = {
        "root": [
            (r"\s+", Whitespace),
            (r"#.*$", Comment.Single),
            (r'"(\\\\|\\"|[^"\\\n])*"', String.Double),
            (r"\d{4}-\d{2}-\d{2}\b", Number.Other),
            (r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?\b", Number.Other),
            (
                r"(\d+(?:\.\d+)?)(\s*)(%|" + "|".join(sorted(UNITS, key=len, reverse=True)) + r")\b",
                _NUMBER_UNIT,
            ),
            # a model's own unit: with a '/' or a capital letter (mmHg, /min, mmol/L)
            (r"(\d+(?:\.\d+)?)(\s*)([A-Za-z]*/[A-Za-z0-9/]+|[a-z]+[A-Z][A-Za-z0-9/]*)", _NUMBER_UNIT),
            (r"\d+(\.\d+)?", Number),
            (words(VERDICTS, suffix=r"\b"), Keyword.Type),
            (words(DECLARATIONS, suffix=r"\b"), Keyword.Declaration),
            (words((*HEADER, *CLAUSES, *HISTORY, *SCOPES, *DOSE, *VALUES), suffix=r"\b"), Keyword),
            (words(OPERATORS, suffix=r"\b"), Operator.Word),
            (r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", Name),
            (r"<=|>=|!=|[<>=+\-%]", Operator),
            (r"[{}(),:]", Punctuation),
            (r".", Text),
        ],
    }
