"""Which path the generated code took for each outcome: two-valued or Kleene, read by a line tracer.

The compiler marks the statement of each path in the generated source (a
comment: `# two-valued`, `# Kleene`, and `# two-valued: o0 o3` on a chunk's
all-known return). This runs a call under `sys.settrace`, records the lines
of generated code it ran, and reads the marks of those lines: no timing, and
the code traced is the code a ruleset runs.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from clinrules import ir
from clinrules.engine.compile_known import plain, reads
from clinrules.schema.reader import Schema

TWO_VALUED, KLEENE = "two-valued", "Kleene"
_OUTCOME = re.compile(r"^\s*(?:if .*:\s*)?o(\d+) = .*# (two-valued|Kleene)$")
_ALL_KNOWN = re.compile(r"# two-valued: ((?:o\d+ ?)+)$")
_RETURN = re.compile(r"^\s*return .*# (two-valued|Kleene)$")
_FUNCTION = re.compile(r"^(rf|r)(\d+)$")


def paths_taken(
    source: str, call: Callable[[], Any], flags: int | None = None
) -> tuple[Any, dict[tuple[str, int], str]]:
    """`call()`'s result, and the path each outcome took: ("flag" | "rule", index) -> path.

    An outcome that only the Kleene body can give (a session form, a
    score) and that has no mark of its own (a call per target) is absent.
    `flags`: the program's number of red flags, needed when `call` runs
    `all_outcomes`, whose outcome `oN` is red flag N, or rule N - `flags`.
    """
    lines = source.splitlines()
    ran: list[tuple[str, int]] = []

    def local(frame: FrameType, event: str, arg: object) -> Any:
        if event == "line":
            ran.append((frame.f_code.co_name, frame.f_lineno))
        return local

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        return local if frame.f_code.co_filename.startswith("<clinrules") else None

    before = sys.gettrace()
    sys.settrace(tracer)
    try:
        result = call()
    finally:
        sys.settrace(before)
    taken: dict[tuple[str, int], str] = {}
    for name, number in ran:
        text = lines[number - 1]
        function = _FUNCTION.match(name)
        kind = "flag" if name.startswith(("rf", "flags", "all_flags")) else "rule"
        if (found := _ALL_KNOWN.search(text)) is not None:
            for each in found.group(1).split():
                taken[_outcome(name, kind, int(each[1:]), flags)] = TWO_VALUED
        elif (found := _OUTCOME.match(text)) is not None:
            taken[_outcome(name, kind, int(found.group(1)), flags)] = found.group(2)
        elif function is not None and (found := _RETURN.match(text)) is not None:
            taken[(kind, int(function.group(2)))] = found.group(1)
    return result, taken


def _outcome(function: str, kind: str, index: int, flags: int | None) -> tuple[str, int]:
    """Which outcome `oN` of the generated function is: in `all_outcomes`, the red flags come first."""
    if function != "all_outcomes":
        return kind, index
    assert flags is not None, "all_outcomes ran: give the number of red flags"
    return ("flag", index) if index < flags else ("rule", index - flags)


def known(schema: Schema, patient: Any, path: str) -> bool:
    """Whether a validated patient answers the field `path` (its groups too)."""
    value = patient
    for attr in schema.fields[path].attrs:
        value = getattr(value, attr)
        if value is None:
            return False
    return True


def expected_path(schema: Schema, patient: Any, condition: ir.Condition) -> str:
    """The path a condition must take: two-valued exactly when it is plain and every field it reads is known."""
    if plain(condition) and all(known(schema, patient, path) for path in reads(condition)):
        return TWO_VALUED
    return KLEENE


def every_read(program: ir.Program) -> set[str]:
    """Every patient field a red flag or rule reads, through phrases, session forms, scores and assessments."""
    conditions = [*(f.condition for f in program.red_flags), *(r.condition for r in program.rules)]
    return {path for condition in conditions for path in reads(condition)}
