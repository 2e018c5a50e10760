"""Turns Lark's parse errors into diagnostics a clinician can act on.

Lark reports the terminals it expected by their grammar names (`NOT_KW`,
`LPAR`, `__ANON_0`). Rule authors need words: "expected a condition after
'if'". The expected set is grouped into the constructs of the language
(a condition, a verdict, a clause, a declaration, ...) and what is left is
named keyword by keyword, so every message is derived from the grammar and
none is written per parser state.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput

from clinrules.base.diagnostics import Diagnostic, make
from clinrules.base.span import Span, point_at_end, span_of_offsets
from clinrules.syntax.grammar import START_BODY, START_FILE, parser
from clinrules.syntax.transform import RESERVED_AFTER_NAME, span_of

# (terminals that must all be expected, terminals the group stands for, words)
_GROUPS: tuple[tuple[frozenset[str], frozenset[str], str], ...] = (
    (
        frozenset({"NOT_KW", "LPAR"}),
        frozenset(
            {
                "NOT_KW",
                "LPAR",
                "THE_KW",
                "ANY_KW",
                "NO_KW",
                "EVERY_KW",
                "NUMBER",
                "NAME",
                "STRING",
                "NOW_KW",
                "COUNT_KW",
                "SIGN",
            }
        ),
        "a condition",
    ),
    (
        frozenset({"STOP", "ALLOW"}),
        frozenset({"URGENT", "STOP", "AVOID", "CHECK", "REGRESS", "MODIFY", "ALLOW", "PROGRESS"}),
        "a verdict (stop, avoid, check, regress, modify, allow or progress; urgent in a red flag)",
    ),
    (
        frozenset({"REPS", "HOLD"}),
        frozenset({"REPS", "SETS", "HOLD", "REST", "DAILY", "RANGE", "LOAD"}),
        "a dose attribute (reps, sets, hold, rest, daily, range or load)",
    ),
    (
        frozenset({"TITLE", "STATUS"}),
        frozenset({"TITLE", "STATUS", "MODEL", "REVIEWED", "UNKNOWN_KW", "SAFETY", "__ANON_0"}),
        "a header line (title, version, status, model, reviewed, unknown or safety net)",
    ),
    (
        frozenset({"SAY", "CITE"}),
        frozenset({"INSTEAD", "DOSE", "SAY", "NOTE", "CITE", "WHEN", "CARE", "ASSUMPTION"}),
        "a clause (instead, dose, say, note, cite, when unknown, care or assumption)",
    ),
    (
        frozenset({"RULE", "DEFINE"}),
        frozenset(
            {
                "INCLUDE",
                "SOURCE",
                "PARAMETER",
                "EXERCISE",
                "LADDER",
                "DEFINE",
                "RED",
                "RULE",
                "OTHERWISE",
                "SCORE",
                "ASSESS",
                "REQUIRE",
                "$END",
            }
        ),
        "a new declaration (include, source, parameter, exercise, ladder, define, red flag, rule, "
        "score, assess, require or otherwise)",
    ),
    (
        frozenset({"AND_KW", "OR_KW"}),
        frozenset(
            {"AND_KW", "OR_KW", "COMPARATOR", "ADD_OP", "IS", "IN", "BETWEEN", "INCLUDES", "NAME", "UNIT"}
        ),
        "more of the condition ('and', 'or', a comparison, ...)",
    ),
    (
        frozenset({"NUMBER", "NAME", "NOW_KW"}),
        frozenset({"NUMBER", "NAME", "STRING", "NOW_KW", "SIGN", "COUNT_KW"}),
        "a value (a number, a name, 'now' or 'count of (...)')",
    ),
)

_REGEX_WORDS: Mapping[str, str] = {
    "NAME": "a name",
    "STRING": "a text in double quotes",
    "NUMBER": "a number",
    "VERSION": "a version like 1.0.0",
    "DATE": "a date like 2026-01-16",
    "UNIT": "a unit (s, minutes, hours, days, weeks, months, years, kg, cm, inches, or the model's own, like mmHg or /min)",
    "POINTS": "the points of a score line (a whole number, then 'if')",
    "VALUE_IF": "an assessment's value, then 'if'",
    "COMPARATOR": "a comparison (<, <=, >, >=, = or !=)",
    "ADD_OP": "'+' or '-'",
    "$END": "the end of the file",
}

_CHARACTER_HINTS: Mapping[str, str] = {
    "\u2265": "write >= for 'at least'",
    "\u2264": "write <= for 'at most'",
    "\u2260": "write != for 'is not equal to'",
    "\u201c": 'use straight double quotes: "like this"',
    "\u201d": 'use straight double quotes: "like this"',
    "\u2018": 'use straight double quotes: "like this"',
    "\u2019": 'use straight double quotes: "like this"',
    "\u2013": "write a plain minus sign: -",
    "\u2014": "write a plain minus sign: -",
    "'": 'texts go in double quotes: "like this"',
    "&": "write 'and'",
    "|": "write 'or'",
    "!": "write 'not', or != for 'is not equal to'",
    "\t": "use spaces",
}


# English for a comparison that the language writes as a sign; met right before the error.
_ENGLISH_COMPARISONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\bat\s+least\s*$"),
        "'at least' is not a form of the language: write >= (pain_during >= 3); "
        "'2 of the last 3 sessions had ...' already means at least 2, so write it without 'at least'",
    ),
    (
        re.compile(r"\bat\s+most\s*$"),
        "'at most' is not a form of the language: write <= (pain_during <= 3)",
    ),
    (re.compile(r"\b(?:more|greater)\s+than\s*$"), "write > for 'more than' (pain_during > 3)"),
    (re.compile(r"\b(?:less|fewer)\s+than\s*$"), "write < for 'less than' (pain_during < 3)"),
)

# Words people write after a number that are units elsewhere but not in the language.
_UNIT_LIKE = frozenset(
    {"mo", "mos", "h", "hr", "hrs", "d", "wk", "wks", "yr", "yrs", "y", "sec", "secs"}
    | {"mins", "ms", "m", "mm", "km", "lbs", "kgs", "cms", "percent"}
)
_PHRASE_LINE = re.compile(r"^[ \t]*define[ \t]+([^:\"\n]*)$")


@functools.cache
def known_units() -> tuple[str, ...]:
    """The unit words of the grammar's UNIT terminal, plurals only where both forms exist."""
    pattern = next((str(t.pattern.value) for t in parser().terminals if t.name == "UNIT"), "")
    inner = re.search(r"\(\?:([^()]*)\)", pattern)
    words = inner.group(1).split("|") if inner else []
    return tuple(w for w in words if w + "s" not in words and w + "es" not in words)


def describe_expected(expected: Collection[str], literals: Mapping[str, str]) -> str:
    """Words for a set of expected terminals: constructs first, then keywords."""
    left = set(expected)
    parts: list[str] = []
    for required, members, words in _GROUPS:
        if required <= left:
            parts.append(words)
            left -= members
    if len(parts) > 1:  # several constructs: their names alone, the details are long
        parts = [p.split(" (")[0] for p in parts]
    keywords = sorted(f"'{literals[n]}'" for n in left if n in literals)
    others = sorted(_REGEX_WORDS[n] for n in left if n in _REGEX_WORDS and n not in literals)
    parts.extend(keywords + others)
    if not parts:
        return "something else"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _shown(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    text = str(token)
    if len(text) > 30:
        text = text[:27] + "..."
    if token.type == "STRING":
        return f"the text {text}"
    if token.type == "NUMBER":
        return f"the number {text}"
    return f"'{text}'"


def from_unexpected_token(
    token: Token,
    expected: set[str],
    previous: Token | None,
    text: str,
    file: str,
    literals: Mapping[str, str],
) -> Diagnostic:
    """A diagnostic for a token the parser did not expect."""
    if previous is None and "RULESET_KW" in expected:
        return make(
            "CR105",
            "a rule file must start with 'ruleset ID' or 'library ID'",
            file,
            span_of(token) if token.type != "$END" else point_at_end(text),
            "add a header such as:  ruleset my_rules  version 1.0.0  status draft  model sciatica",
        )
    what = describe_expected(expected, literals)
    after = f" after '{_clip(str(previous))}'" if previous is not None else ""
    if token.type == "$END":
        end = (
            Span(
                previous.end_line or 1,
                previous.end_column or 1,
                previous.end_line or 1,
                previous.end_column or 1,
                previous.end_pos or 0,
                previous.end_pos or 0,
            )
            if previous is not None
            else point_at_end(text)
        )
        return make("CR104", f"expected {what}{after}, but the file ends here", file, end)
    return make(
        "CR101",
        f"expected {what}{after}, found {_shown(token)}",
        file,
        span_of(token),
        _hint(token, previous, expected, literals, text),
    )


def _clip(text: str) -> str:
    return text if len(text) <= 30 else text[:27] + "..."


def _hint(
    token: Token, previous: Token | None, expected: set[str], literals: Mapping[str, str], text: str = ""
) -> str | None:
    import difflib  # here: only a parse error needs it, and `clinrules check` of a good file never imports it

    words = [literals[n] for n in expected if n in literals and literals[n].isalpha()]
    close = difflib.get_close_matches(str(token), words, n=1, cutoff=0.6)
    if close and close[0] != str(token):
        return f"did you mean '{close[0]}'?"
    context = _context_hint(token, previous, expected, text)
    if context is not None:
        return context
    if previous is not None and previous.type == "NAME" and not str(token).isidentifier():
        # Only a keyword that could stand where the name stands: 'least' is not 'last' after 'at'.
        accepted = _accepted_at(text, previous.start_pos)
        keywords = [literals[n] for n in accepted or () if n in literals and literals[n].isalpha()]
        close = difflib.get_close_matches(str(previous), keywords, n=1, cutoff=0.6)
        if close and close[0] != str(previous):
            return f"'{previous}' was read as a name; did you mean '{close[0]}'?"
    if token.type == "COMPARATOR" and previous is not None:
        if previous.type == "COMPARATOR":
            return "write one comparison sign: <, <=, >, >=, = or !="
        if str(previous) == ")":
            return "parentheses group conditions, not arithmetic: write 'x + 1 > 2' without them"
        return "comparisons do not chain: write 'x > 1 and x < 3', or 'x between 1 and 3'"
    if previous is not None and str(previous) in RESERVED_AFTER_NAME and previous.type != "NAME":
        return (
            f"'{previous}' is a keyword here; if it is part of a name, "
            'write the whole name in double quotes, like "pain when sitting"'
        )
    if token.type != "NAME" and str(token).isidentifier() and "NAME" in expected:
        return f"'{token}' is a keyword here; if it is part of a name, write the whole name in double quotes"
    return None


def _context_hint(token: Token, previous: Token | None, expected: set[str], text: str) -> str | None:
    """A hint read from the words around the error: English comparisons, units, phrases with numbers."""
    start = token.start_pos
    if start is None or not text:
        return None
    line = text[text.rfind("\n", 0, start) + 1 : start]
    for pattern, hint in _ENGLISH_COMPARISONS:
        if pattern.search(line):
            return hint
    if previous is not None and previous.type == "NUMBER" and token.type == "NAME" and "UNIT" in expected:
        import difflib  # as in `_hint`

        units = ", ".join(known_units())
        close = difflib.get_close_matches(str(token), known_units(), n=1, cutoff=0.75)
        if close:
            return f"did you mean the unit '{close[0]}'?"
        if str(token).lower() in _UNIT_LIKE:
            return (
                f"'{token}' is not a unit the language knows; its units are {units}, and any unit "
                "written with a '/' or a capital letter as the model spells it (mmHg, /min, mmol/L)"
            )
        return f"after a number only a unit may follow ({units}); join another condition with 'and' or 'or'"
    phrase = _PHRASE_LINE.match(line)
    if phrase is not None and token.type == "NUMBER":
        end = text.find("\n", start)
        rest = text[start : len(text) if end == -1 else end]
        words = (phrase.group(1) + rest.partition(":")[0]).strip() if ":" in rest else "..."
        return f'a number cannot be a word of a plain phrase: put it in double quotes, define "{_clip(words)}": ...'
    return None


def _accepted_at(text: str, offset: int | None) -> set[str] | None:
    """The terminals the parser accepts at `offset` of `text`, or None when that cannot be known.

    The text may be a resumed one (declarations before it blanked out), which
    parses from the `body` start symbol, not from the file's.
    """
    if offset is None or not text:
        return None
    for start in (START_FILE, START_BODY):
        interactive = parser().parse_interactive(text[:offset], start=start)
        try:
            for _token in interactive.iter_parse():
                pass
        except UnexpectedInput:
            continue
        return {t for t in interactive.accepts() if t.isupper() or t == "$END"}  # type: ignore[no-untyped-call]
    return None


def from_unexpected_characters(error: UnexpectedCharacters, text: str, file: str) -> Diagnostic:
    """A diagnostic for text that no token of the language matches."""
    pos = error.pos_in_stream or 0
    char = text[pos] if pos < len(text) else ""
    if char == '"':
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end == -1 else line_end
        return make(
            "CR103",
            "this text has no closing double quote",
            file,
            span_of_offsets(text, pos, line_end),
            'close it on the same line: "like this"; write \\" for a quote inside it',
        )
    shown = char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"
    hint = _CHARACTER_HINTS.get(char)
    if hint is None and char.isalnum():
        hint = "names use the letters a-z and A-Z, digits and underscores; other words go in double quotes"
    return make(
        "CR102",
        f"the character '{shown}' is not part of the rule language here",
        file,
        span_of_offsets(text, pos, pos + 1),
        hint,
    )
