"""Conditions, quantities and doses in plain words, for the review page (`docgen.py`).

Stage: rendering, from the checked program (IR), never from rule text. Design
decision: the words come from the IR, where every name is resolved and every
number is in its unit, so the page says what the evaluator does, not what the
author meant to write; defined phrases stay by name (in quotes) and are
collected so the page can define each one once. Everything returned is
Markdown, escaped where it comes from the rule file. A field, a parameter
and a value are set as code, by their whole names (`exam.lateral_malleolus.tip_tender`,
never its leaf): the page is for the clinician who signs it, who must be able
to find each name in the model and the rule text, and a name in code cannot
be read as two words joined by `or`.
"""

from __future__ import annotations

from collections.abc import Mapping

from clinrules import ir
from clinrules.syntax.ast import SCOPE_WORDS, Quantifier, ScopeKind

_ORDER = {">=": "is at least", "<=": "is at most", ">": "is more than", "<": "is less than"}
_TIME = {">=": "is at or after", "<=": "is at or before", ">": "is after", "<": "is before"}
_EQUAL = {"=": "is", "!=": "is not"}
_DURATIONS = (
    ("year", 31557600),  # 365.25 days, as rules count a year
    ("month", 2629800),  # a twelfth of that year
    ("week", 604800),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
    ("second", 1),
)
_UNITS = {
    "s": "second",
    "min": "minute",
    "hours": "hour",
    "days": "day",
    "weeks": "week",
    "months": "month",
    "years": "year",
}


def md(text: str) -> str:
    """Text from a rule file, safe in Markdown (and in a table cell)."""
    for char in "\\`*_[]<>|":
        text = text.replace(char, "\\" + char)
    return text


def code(name: str) -> str:
    """A name of the model or the ruleset (a field path, a parameter, a value, a tag), whole, as code."""
    return f"`{name}`"


def link(name: str, anchor: str) -> str:
    """A name as code, linked to its section of the page."""
    return f"[`{name}`](#{anchor})"


def number(value: float) -> str:
    """A number without a needless `.0`."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def plural(value: float, word: str) -> str:
    """`1 day`, `2 days`."""
    return f"{number(value)} {word}{'' if value == 1 else 's'}"


def duration(seconds: float) -> str:
    """A length of time in the largest unit that holds it whole, but in hours under
    three days, as clinicians say them: 86400 -> `24 hours`, 604800 -> `1 week`."""
    if 0 < seconds < 3 * 86400 and seconds % 3600 == 0:
        return plural(seconds / 3600, "hour")
    for word, size in _DURATIONS:
        if seconds and seconds % size == 0:
            return plural(seconds / size, word)
    return plural(seconds, "second")


def quantity(value: float, unit: str | None) -> str:
    """A number in its unit, in words."""
    if unit is None:
        return number(value)
    if unit == "s":
        return duration(value)
    if unit in _UNITS:
        return plural(value, _UNITS[unit])
    if unit == "in":
        return f"{number(value)} {'inch' if value == 1 else 'inches'}"
    if unit == "%":
        return f"{number(value)}%"
    return f"{number(value)} {unit}"


def amount(a: ir.Amount, unit: str | None = None) -> str:
    """`5`, or `5 to 7`, with the unit after the second number."""
    if a.low == a.high:
        return quantity(a.low, unit)
    if unit == "s":
        for word, size in _DURATIONS:
            if a.low % size == 0 and a.high % size == 0:
                return f"{number(a.low / size)} to {plural(a.high / size, word)}"
    return f"{number(a.low)} to {quantity(a.high, unit)}"


def dose(d: ir.Dose) -> str:
    """A dose in words: `hold 6 to 7 seconds, rest 2 to 3 seconds, 10 repetitions`."""
    parts: list[str] = []
    if d.reps:
        parts.append(_counted(d.reps, "repetition"))
    if d.sets:
        parts.append(_counted(d.sets, "set"))
    if d.hold:
        parts.append(f"hold {amount(d.hold, 's')}")
    if d.rest:
        parts.append(f"rest {amount(d.rest, 's')}")
    if d.daily:
        parts.append("once a day" if d.daily.low == d.daily.high == 1 else f"{amount(d.daily)} times a day")
    if isinstance(d.range, str):
        parts.append(f"{d.range} range of movement")
    elif d.range is not None:
        parts.append(f"range {amount(d.range, 'in')}")
    if d.load:
        parts.append(f"load {amount(d.load)}% of body weight")
    return ", ".join(parts) or "the default dose"


def _counted(a: ir.Amount, word: str) -> str:
    if a.low == a.high:
        return plural(a.low, word)
    return f"{number(a.low)} to {number(a.high)} {word}s"


class Words:
    """Renders conditions in words, as Markdown, and remembers the defined phrases it named."""

    def __init__(self, exercises: Mapping[str, str] | None = None) -> None:
        """Start with no phrase named.

        Args:
            exercises: each exercise id's words on the page (its declared name).
        """
        self.phrases: dict[str, ir.Condition] = {}
        self.exercises = exercises or {}
        self._had = 0  # inside `had`: "had pain during more than 2", without "is"

    def exercise(self, exercise: str) -> str:
        """An exercise by its declared name, as Markdown (its id, when the page has no name for it)."""
        return self.exercises.get(exercise) or f"`{exercise}`"

    def condition(self, c: ir.Condition, nested: bool = False) -> str:
        """A condition in words (Markdown, escaped); `nested` puts `and`/`or` in parentheses."""
        match c:
            case ir.And(items=items) | ir.Or(items=items):
                joiner = " and " if isinstance(c, ir.And) else " or "
                text = joiner.join(self.condition(i, nested=True) for i in items)
                return f"({text})" if nested else text
            case ir.Not(item=item):
                inner = self.condition(item, nested=True)
                simple = isinstance(item, ir.Truth | ir.Phrase | ir.And | ir.Or)
                return f"not {inner}" if simple else f"not ({inner})"
            case ir.Phrase(name=name, condition=definition):
                self.phrases.setdefault(name, definition)
                return f'"{md(name)}"'
            case ir.Compare(op=op, kind=kind, left=left, right=right):
                table = _TIME if kind is ir.CompareKind.DATETIME else _ORDER
                verb = table.get(op) or _EQUAL[op]
                if self._had and verb.startswith("is "):
                    verb = verb[3:]
                return f"{self.expr(left)} {verb} {self.expr(right)}"
            case ir.Between(value=v, low=lo, high=hi):
                verb = "between" if self._had else "is between"
                return f"{self.expr(v)} {verb} {self.expr(lo)} and {self.expr(hi)}"
            case ir.Truth(value=v):
                return self.expr(v)
            case ir.Member(value=v, members=members, negated=negated):
                listed = _listed(members, "or")
                if len(members) == 1:
                    return f"{self.expr(v)} {'is not' if negated else 'is'} {listed}"
                return f"{self.expr(v)} {'is none of' if negated else 'is one of'} {listed}"
            case ir.Contains(value=v, members=members):
                any_of = "" if len(members) == 1 else "any of "
                return f"{self.expr(v)} includes {any_of}{_listed(members, 'or')}"
            case ir.Empty(value=v, negated=negated):
                return f"{self.expr(v)} {'is not empty' if negated else 'is empty'}"
            case ir.Known(value=v, negated=negated):
                subject = self.expr(v) if isinstance(v, ir.EXPRESSIONS) else self.condition(v, nested=True)
                return f"{subject} {'is unknown' if negated else 'is known'}"
            case ir.History():
                return self._history(c)
            case ir.Assessed(assessment=assessment, members=members, negated=negated):
                listed = _listed(members, "or")
                verb = ("is not" if negated else "is") if len(members) == 1 else "is one of"
                return f"{link(assessment.id, 'assessment-' + assessment.id)} {verb} {listed}"
        return "(a condition)"

    def _history(self, h: ir.History) -> str:
        pre = f"{self.exercise(h.exercise)} " if h.scope is ScopeKind.EXERCISE and h.exercise else ""
        of = ""
        if h.scope is not None and h.scope is not ScopeKind.EXERCISE:
            of = " " + SCOPE_WORDS[h.scope].format(code(h.tag or ""))
        self._had += 1
        try:
            inner = self.condition(h.condition, nested=True)
        finally:
            self._had -= 1
        window = self.expr(h.window) if h.window is not None else ""
        n = h.last or 1
        sessions = f"{'day' if h.days else pre + 'session'}{'' if n == 1 else 's'}{of}"
        if h.days and h.quantifier is not Quantifier.EVERY_OF_LAST:
            # A day counts when any of its sessions had it (language-2.md section 2).
            inner = f"{inner} (in any session of the day)"
        elif h.days:
            inner = f"{inner} (in every session of the day)"
        match h.quantifier:
            case Quantifier.LAST:
                return f"the last {pre}session{of} had {inner}"
            case Quantifier.ANY_OF_LAST:
                return f"any of the last {n} {sessions} had {inner}"
            case Quantifier.COUNT_OF_LAST:
                return f"{h.count} of the last {n} {sessions} had {inner}"
            case Quantifier.EVERY_OF_LAST:
                return f"every one of the last {n} {sessions} had {inner}"
            case Quantifier.ANY_WITHIN:
                return f"any {pre}session{of} within {window} had {inner}"
            case Quantifier.NONE_WITHIN:
                return f"no {pre}session{of} within {window} had {inner}"
        return f"the sessions had {inner}"

    def expr(self, e: ir.Expr) -> str:
        """A value in words."""
        match e:
            case ir.FieldRef(path=path, session=True) if path.rsplit(".", 1)[-1] == "at":
                return "the session time"
            case ir.FieldRef(path=path):
                return code(path)
            case ir.ParamRef(name=name):
                return code(name)
            case ir.Const(value=value, type=t):
                return quantity(value, t.unit.name if t.unit else None)
            case ir.EnumConst(member=member):
                return code(member)
            case ir.Now():
                return "now"
            case ir.Scale(expr=inner):
                return self.expr(inner)
            case ir.Arith():
                return self._arith(e)
            case ir.ScoreValue(score=score) if score.id is not None:
                return link(score.id, "score-" + score.id)
            case ir.ScoreValue(score=score):
                items = "; ".join(self.condition(item.condition) for item in score.items)
                return f"the number of ({items}) that hold"
            case ir.AssessValue(assessment=assessment):
                return link(assessment.id, "assessment-" + assessment.id)
        return "(a value)"

    def _arith(self, a: ir.Arith) -> str:
        left, right = self.expr(a.left), self.expr(a.right)
        if a.kind is ir.ArithKind.SHIFT:
            if isinstance(a.left, ir.Now):
                return f"{right} ago" if a.op == "-" else f"{right} from now"
            return f"{right} {'before' if a.op == '-' else 'after'} {left}"
        if a.kind is ir.ArithKind.ELAPSED:
            return (
                f"the time since {right}"
                if isinstance(a.left, ir.Now)
                else f"the time from {right} to {left}"
            )
        return f"{left} {'minus' if a.op == '-' else 'plus'} {right}"


def _listed(members: frozenset[str], last: str) -> str:
    names = [code(m) for m in sorted(members)]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"
