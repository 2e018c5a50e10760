"""Case files: reading and validating `NAME.cases.yaml`, a clinician's worked examples.

Stage: input, before a case runs (`cases.py` runs them). A case file names
a ruleset and lists cases: a patient, the options of the evaluation, and the
part of the decision JSON the case expects.

Design decision: a case file is validated as a whole before any case runs,
and every problem names the file, the line, the case and the field. A typo in
a test (`expected:`, an unknown decision key, a verdict that does not exist)
must never pass silently as a test that checks nothing. A case file reads
only files inside its own directory tree (as an include does), reads each
one bounded (`base/files.py`), and its YAML is bounded before a value is
built: every alias counts as the copy it stands for, so a billion laughs or
an alias inside itself is refused before it costs anything.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from clinrules.authoring.yamlbound import BoundedLoader, TooManyNodes, graph_problem
from clinrules.base.errors import ClinrulesError
from clinrules.base.files import FileTooLargeError, NotRegularFileError, OutsideTreeError, read_bounded
from clinrules.base.limits import MAX_CASE_FILE_BYTES, MAX_CASE_FILE_NODES
from clinrules.base.shown import short_json, short_repr
from clinrules.decision.result import (
    Care,
    Decision,
    ExerciseDecision,
    RedFlagState,
    Triage,
    Verdict,
    format_time,
)
from clinrules.engine.wording import time_problem

MAX_BYTES = MAX_CASE_FILE_BYTES
"""The largest case file or patient file read (4 MiB)."""

SHOW_LIMIT = 2000
"""The most characters of one value a message shows (a value from a case file or a decision)."""

_TOP_KEYS = ("ruleset", "model", "cases")
_CASE_KEYS = ("name", "patient", "patient_file", "exercises", "parameters", "as_of", "expect")
_DECISION_KEYS = tuple(k for k in Decision.model_fields if k != "trace")
_EXERCISE_KEYS = tuple(ExerciseDecision.model_fields)
_ENUMS: dict[str, tuple[str, ...]] = {
    "triage": tuple(t.value for t in Triage),
    "care": tuple(c.value for c in Care),
    "verdict": tuple(v.value for v in Verdict),
}


class CaseFileError(ClinrulesError):
    """A case file cannot be run: each problem names the file, line, case and field."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Case:
    """One worked example: a patient, the options of the evaluation, and what to expect."""

    index: int
    name: str
    line: int
    patient: object
    exercises: tuple[str, ...] | None
    parameters: dict[str, object] | None
    as_of: dt.datetime | None
    expect: dict[str, Any]

    @property
    def label(self) -> str:
        """`case 3 ('pain at the ceiling')`: how messages name the case."""
        return f"case {self.index} ('{_cut(self.name)}')"


@dataclass(frozen=True)
class CaseFile:
    """A validated case file: where it is, the ruleset it names, and its cases.

    Attributes:
        root: the directory tree the case file may read from (its own
            directory, symbolic links resolved); `ruleset` lies inside it.
        model: the model the cases are written for, as the file names it
            (`NAME` or `module:Class`, docs/models.md), or None for the
            ruleset header's.
    """

    shown: str
    ruleset: Path
    ruleset_shown: str
    cases: tuple[Case, ...]
    root: Path | None = None
    model: str | None = None


# ---------------------------------------------------------------- reading


def read_case_file(path: Path, shown: str | None = None) -> CaseFile:
    """Read and validate a case file; patient files are read too.

    Args:
        path: the case file.
        shown: the name messages use for it (default: the path).

    Raises:
        CaseFileError: every problem of the file.
    """
    shown = shown if shown is not None else str(path)
    text = _read_text(path, shown)
    _refuse_rule_file(path, text, shown)
    data, lines, duplicates = _parse_yaml(text, shown)
    root = path.resolve().parent
    if not isinstance(data, dict):
        raise CaseFileError(
            [f"{shown}: a case file is a mapping with 'ruleset' and 'cases', got {_kind(data)}"]
        )
    problems = [*duplicates, *(f"{shown}: {p}" for p in _unknown_keys(data, _TOP_KEYS, "key"))]
    ruleset = data.get("ruleset")
    real: Path | None = None
    if not isinstance(ruleset, str) or not ruleset.strip():
        problems.append(f"{shown}: 'ruleset' must name the rule file, relative to the case file")
        ruleset = ""
    else:
        real, problem = _confined(ruleset, root)
        if problem:
            problems.append(f"{shown}: 'ruleset' {problem}")
    model = data.get("model")
    if "model" in data and (not isinstance(model, str) or not model.strip() or len(model) > 200):
        problems.append(
            f"{shown}: 'model' must name the patient model: a registered name, or module:Class for "
            "a module beside the case file (such as ottawa_model:Patient)"
        )
    raw_cases = data.get("cases")
    if not isinstance(raw_cases, list) or not raw_cases:
        problems.append(
            f"{shown}: 'cases' must be a list of cases (each with 'name', 'patient' and 'expect')"
        )
        raw_cases = []
    cases: list[Case] = []
    names: dict[str, int] = {}
    for index, raw in enumerate(raw_cases, start=1):
        line = lines[index - 1] if index <= len(lines) else 0
        case, case_problems = _case(raw, index, line, root, shown)
        problems.extend(case_problems)
        if case is not None:
            if case.name in names:
                problems.append(
                    f"{shown}:{line}: {case.label}: the name is used by case {names[case.name]} too"
                )
            names.setdefault(case.name, index)
            cases.append(case)
    if problems:
        raise CaseFileError(problems)
    ruleset_shown = os.path.normpath(os.path.join(os.path.dirname(shown), ruleset))
    model_named = model.strip() if isinstance(model, str) else None
    return CaseFile(shown, real or root / ruleset, ruleset_shown, tuple(cases), root, model_named)


_RULE_FILE_START = re.compile(r"\A(?:[ \t\r\n]|#[^\n]*\n)*(?:ruleset|library)[ \t]+[A-Za-z_]")
_RULESET_LINE = re.compile(r"^ruleset:[ \t]*[\"']?([^\"'\n#]+?)[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)


def _refuse_rule_file(path: Path, text: str, shown: str) -> None:
    """A rule file given where a case file belongs is named so, with the (up to 20) case files beside it."""
    if path.suffix != ".rules" and not _RULE_FILE_START.match(text):  # whole comment lines only
        return
    found = []
    try:
        root = path.resolve().parent
        beside = sorted(root.glob("*.cases.yaml"))[:20]
    except (OSError, ValueError, RuntimeError):
        root, beside = path.parent, []
    for candidate in beside:
        try:
            named = _RULESET_LINE.search(
                read_bounded(candidate, MAX_BYTES, beneath=root).decode(errors="replace")
            )
        except (OSError, ValueError):
            continue  # an unreadable neighbour is only not named
        if named is not None and os.path.normpath(named.group(1)) == path.name:
            found.append(os.path.join(os.path.dirname(shown), candidate.name))
    stem = path.name.removesuffix(".rules") if path.suffix == ".rules" else path.stem
    where = f"such as {os.path.join(os.path.dirname(shown), stem + '.cases.yaml')} (there is none yet)"
    if found:
        where = f"its case file{'s are' if len(found) > 1 else ' is'} {', '.join(found)}"
    raise CaseFileError(
        [f"{shown}: this is a rule file; clinrules test takes case files (*.cases.yaml): {where}"]
    )


def _confined(raw: str, root: Path) -> tuple[Path | None, str]:
    """`raw` (relative to `root`) resolved, or why it may not be read: never what the file holds."""
    named = _path_shown(raw)
    try:
        real = (root / raw).resolve()
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a name too long, a loop of links
        return None, f"'{named}' is not a usable path"
    if not real.is_relative_to(root):
        return None, (
            f"'{named}' lies outside the case file's directory; a case file reads only files "
            "in its own directory or below it (move the file there, or the case file up)"
        )
    return real, ""


def _path_shown(raw: str) -> str:
    return _cut(raw, 200)


def _cut(text: str, limit: int = 80) -> str:
    """A name or a path from the case file, cut for a message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _read_text(path: Path, shown: str) -> str:
    try:
        data = read_bounded(path, MAX_BYTES)
    except FileTooLargeError:
        raise CaseFileError(
            [f"{shown}: the file is larger than 4 MiB; split it into several case files"]
        ) from None
    except NotRegularFileError as error:
        raise CaseFileError([f"{shown}: cannot read the file: it is {error.kind}, not a file"]) from None
    except OSError as error:
        raise CaseFileError([f"{shown}: cannot read the file: {error.strerror or error}"]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CaseFileError([f"{shown}: not UTF-8 text (a bad byte at offset {error.start})"]) from None


def _parse_yaml(text: str, shown: str) -> tuple[object, list[int], list[str]]:
    """The YAML's data, the line of each case, and a problem for each key given twice."""
    loader: BoundedLoader | None = None
    too_many = (
        f"{shown}: the YAML holds more than {MAX_CASE_FILE_NODES:,} values, counting each use of an "
        "alias (*name) as a copy of what it names; split it into several case files"
    )
    try:
        loader = BoundedLoader(text)  # reading starts here: a NUL character is refused at once
        node = loader.get_single_node()
        if node is None:
            raise CaseFileError([f"{shown}: the file is empty; give 'ruleset' and 'cases'"])
        problem = graph_problem(node)
        if problem == "cycle":
            raise CaseFileError(
                [
                    f"{shown}: an alias (*name) is used inside the value it names, which never ends; copy the value instead"
                ]
            )
        if problem == "size":
            raise CaseFileError([too_many])
        duplicates = _duplicate_keys(node, shown)
        data = loader.construct_document(node)
    except TooManyNodes:
        raise CaseFileError([too_many]) from None
    except (ValueError, OverflowError) as error:  # a date YAML reads but Python cannot hold
        raise CaseFileError([f"{shown}: a value YAML cannot read: {_cut(str(error), 300)}"]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark else shown
        what = error.problem or error.context or "not valid YAML"
        raise CaseFileError([f"{where}: not valid YAML: {_cut(str(what), 300)}"]) from None
    except yaml.YAMLError as error:
        raise CaseFileError([f"{shown}: not valid YAML: {_cut(str(error), 300)}"]) from None
    except RecursionError:
        raise CaseFileError([f"{shown}: the YAML is nested too deeply to read"]) from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: list[int] = []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "cases" and isinstance(value, yaml.SequenceNode):
                lines = [item.start_mark.line + 1 for item in value.value]
    return data, lines, duplicates


def _duplicate_keys(root: yaml.Node, shown: str) -> list[str]:
    problems: list[tuple[int, str]] = []
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                line = key.start_mark.line + 1
                if isinstance(key, yaml.ScalarNode) and key.value in first:
                    problems.append(
                        (
                            line,
                            f"{shown}:{line}: {short_repr(key.value, 80)} is given twice (first on line {first[key.value]}); keep one",
                        )
                    )
                elif isinstance(key, yaml.ScalarNode):
                    first[key.value] = line
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return [message for _line, message in sorted(problems)]


def _case(raw: object, index: int, line: int, root: Path, shown: str) -> tuple[Case | None, list[str]]:
    """Validate one case; the problems come back prefixed with its place."""
    name = raw.get("name") if isinstance(raw, dict) else None
    label = f"case {index}" + (f" ('{_cut(name)}')" if isinstance(name, str) and name.strip() else "")
    where = f"{shown}:{line}: {label}" if line else f"{shown}: {label}"
    if not isinstance(raw, dict):
        return None, [
            f"{where}: a case must be a mapping with 'name', 'patient' and 'expect', got {_kind(raw)}"
        ]
    problems = _unknown_keys(raw, _CASE_KEYS, "key of a case")
    if not isinstance(name, str) or not name.strip():
        problems.append("'name' must be a short text that says what the case shows")
    patient: object = None
    if ("patient" in raw) == ("patient_file" in raw):
        problems.append("give the patient inline as 'patient' or as 'patient_file', exactly one of the two")
    elif "patient" in raw:
        patient = raw["patient"]
        if not isinstance(patient, dict):
            problems.append(f"'patient' must be a mapping of the patient's fields, got {_kind(patient)}")
    else:
        patient = _patient_file(raw["patient_file"], root, shown, problems)
    exercises = _exercises(raw.get("exercises"), problems) if "exercises" in raw else None
    parameters = _parameters(raw.get("parameters"), problems) if "parameters" in raw else None
    as_of = _as_of(raw.get("as_of"), problems) if "as_of" in raw else None
    expect = raw.get("expect")
    if "expect" not in raw:
        problems.append("'expect' is missing: give the part of the decision the case expects")
    elif not isinstance(expect, dict):
        problems.append(f"'expect' must be a mapping (such as 'triage: clear'), got {_kind(expect)}")
    elif not expect:
        problems.append("'expect' is empty, so the case would check nothing: give at least one key")
    else:
        problems.extend(_expect_problems(expect))
    if problems or not isinstance(name, str) or not isinstance(expect, dict):
        return None, [f"{where}: {p}" for p in problems]
    return Case(index, name, line, patient, exercises, parameters, as_of, _normal(expect)), []


def _patient_file(raw: object, root: Path, shown: str, problems: list[str]) -> object:
    if not isinstance(raw, str) or not raw.strip():
        problems.append("'patient_file' must be the path of a JSON file, relative to the case file")
        return None
    path, problem = _confined(raw, root)
    if path is None:
        problems.append(f"'patient_file' {problem}")
        return None
    named = os.path.normpath(os.path.join(os.path.dirname(shown), _path_shown(raw)))
    try:
        # Opened below the case file's directory, so a link swapped in since the check cannot lead out.
        patient = json.loads(read_bounded(path, MAX_BYTES, beneath=root).decode("utf-8-sig"))
    except FileTooLargeError:
        problems.append(f"'patient_file' {named} is larger than 4 MiB")
        return None
    except NotRegularFileError as error:
        problems.append(f"'patient_file': cannot read {named}: it is {error.kind}, not a file")
        return None
    except OutsideTreeError:
        problems.append(
            f"'patient_file' {named} lies outside the case file's directory (through a symbolic link)"
        )
        return None
    except OSError as error:
        problems.append(f"'patient_file': cannot read {named}: {error.strerror or error}")
        return None
    except UnicodeDecodeError:
        problems.append(f"'patient_file' {named} is not UTF-8 text")
        return None
    except json.JSONDecodeError as error:
        problems.append(f"'patient_file' {named} is not JSON: {error.msg} at line {error.lineno}")
        return None
    except RecursionError:
        problems.append(f"'patient_file' {named} is nested too deeply to read")
        return None
    except ValueError:  # a whole number of more than 4,300 digits, which Python will not read
        problems.append(f"'patient_file' {named} holds a number too long to read")
        return None
    if not isinstance(patient, dict):
        problems.append(f"'patient_file' {named} must hold a JSON object, got {_kind(patient)}")
    return patient


def _exercises(raw: object, problems: list[str]) -> tuple[str, ...] | None:
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) and x for x in raw):
        problems.append("'exercises' must be a list of exercise ids; leave it out to report every exercise")
        return None
    return tuple(raw)


def _parameters(raw: object, problems: list[str]) -> dict[str, object] | None:
    """Parameter ids to bare numbers or yes/no values (true/false); which one each takes, the ruleset checks."""
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, int | float) for k, v in raw.items()
    ):
        problems.append(
            "'parameters' must map parameter ids to bare numbers or yes/no values (true or false), "
            "such as {pain_ceiling: 3, beyond_bridge_approved: true}"
        )
        return None
    return dict(raw)


def _as_of(raw: object, problems: list[str]) -> dt.datetime | None:
    wrong = time_problem(raw)  # the wording of every bad time, as_of or field
    if wrong is not None:
        problems.append(f"'as_of' {wrong}")
        return None
    assert isinstance(raw, str | dt.datetime)
    return dt.datetime.fromisoformat(raw) if isinstance(raw, str) else raw


def _expect_problems(expect: dict[Any, Any]) -> list[str]:
    if "refused" in expect:  # the patient data must be refused, at these paths: nothing else to compare
        refused = expect["refused"]
        if (
            len(expect) > 1
            or not isinstance(refused, list)
            or not refused
            or not all(isinstance(p, str) for p in refused)
        ):
            return [
                "'expect.refused' stands alone and lists the paths the data is refused at, such as [sessions[0].exercise]"
            ]
        return []
    problems = [f"'expect': {p}" for p in _unknown_keys(expect, _DECISION_KEYS, "key of the decision")]
    if "trace" in expect:
        problems.append("'expect': the trace is not compared; expect 'because', 'red_flags' or 'missing'")
    for key in ("triage", "care"):
        if key in expect and expect[key] is not None and expect[key] not in _ENUMS[key]:
            problems.append(
                f"'expect.{key}' must be one of {', '.join(_ENUMS[key])}, got {show(expect[key], 200)}"
            )
    flags = expect.get("red_flags")
    states = tuple(s.value for s in RedFlagState)
    if flags is not None and (not isinstance(flags, dict) or any(v not in states for v in flags.values())):
        problems.append(f"'expect.red_flags' must map red flag ids to {', '.join(states)}")
    exercises = expect.get("exercises")
    if exercises is None:
        return problems
    if not isinstance(exercises, dict):
        return [*problems, "'expect.exercises' must map exercise ids to what each expects"]
    for ex, wanted in sorted(exercises.items(), key=lambda kv: str(kv[0])):
        here = f"'expect.exercises.{_cut(str(ex))}'"
        if not isinstance(wanted, dict):
            problems.append(f"{here} must be a mapping such as {{verdict: allow}}, got {_kind(wanted)}")
            continue
        problems.extend(f"{here}: {p}" for p in _unknown_keys(wanted, _EXERCISE_KEYS, "key of an exercise"))
        verdict = wanted.get("verdict")
        if "verdict" in wanted and verdict not in _ENUMS["verdict"]:
            problems.append(
                f"{here}: 'verdict' must be one of {', '.join(_ENUMS['verdict'])}, got {show(verdict, 200)}"
            )
    return problems


def _unknown_keys(data: Mapping[Any, Any], allowed: Sequence[str], what: str) -> list[str]:
    problems = []
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; the keys are: {', '.join(allowed)}"
            problems.append(
                f"{short_repr(key, 80) if isinstance(key, str) else show(key, 80)} is not a {what}{hint}"
            )
    return problems


def _normal(value: object) -> Any:
    """Expected values as the decision JSON writes them (YAML times become text)."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, dt.datetime) and value.utcoffset() is not None:
        return format_time(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def show(value: object, limit: int = SHOW_LIMIT) -> str:
    """A value as a case file would write it: text in quotes, null, true/false, JSON lists.

    At most `limit` characters, cut without building the whole text first.
    """
    if isinstance(value, str):
        return short_repr(value, limit)
    if isinstance(value, list | dict | bool | int) or value is None:
        return short_json(value, limit)
    return _cut(str(value), limit)  # a number or a time: short


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {short_repr(value, 80)}"
    return "nothing" if value is None else f"the value {show(value, 200)}"
