"""Source positions shared by every stage.

A span is 1-based (line, column) to (end_line, end_column), end exclusive, as
editors and compilers print them, plus the character offsets that tools such
as the formatter need. Spans are plain values: every AST node and every
diagnostic carries one, so any message can point at the text it is about.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source text.

    Attributes:
        line: 1-based line of the first character.
        column: 1-based column of the first character.
        end_line: 1-based line just after the last character.
        end_column: 1-based column just after the last character.
        start: 0-based character offset of the first character.
        end: 0-based character offset just after the last character.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    start: int = 0
    end: int = 0

    def cover(self, other: Span) -> Span:
        """The smallest span holding both this span and `other`."""
        first = self if self.start <= other.start else other
        last = self if self.end >= other.end else other
        return Span(first.line, first.column, last.end_line, last.end_column, first.start, last.end)


def point_at_end(text: str) -> Span:
    """A zero-width span just after the last character of `text`."""
    line = text.count("\n") + 1
    column = len(text) - (text.rfind("\n") + 1) + 1
    return Span(line, column, line, column, len(text), len(text))


def span_of_offsets(text: str, start: int, end: int) -> Span:
    """The span of `text[start:end]`, with lines and columns counted."""
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    end_line = line + text.count("\n", start, end)
    end_column = end - (text.rfind("\n", 0, end) + 1) + 1
    return Span(line, column, end_line, end_column, start, end)
