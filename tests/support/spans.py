"""Assertions about spans shared by unit and property tests."""

from __future__ import annotations

from clinrules.base.diagnostics import Diagnostic


def position_inside(text: str, line: int, column: int) -> bool:
    """True when (line, column) is a position of `text`, its end included."""
    lines = text.split("\n")
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1


def assert_inside(text: str, diagnostic: Diagnostic) -> None:
    d = diagnostic
    assert position_inside(text, d.line, d.column), d
    assert position_inside(text, d.end_line, d.end_column), d
    assert (d.end_line, d.end_column) >= (d.line, d.column), d
