"""Issue 12: the CLI and the API under the hostile inputs of flaws 3, 5, 8 and 9.

Odd paths (NUL bytes, very long names, directories, missing files, a FIFO,
/dev/zero), control characters, bidi controls and lone surrogates in rule
text, patient keys and file names, huge numbers in rule text and patient
JSON, times at the years 1 and 9999, and arguments of the wrong type. The
API raises only `ClinrulesError`s; the CLI exits only with a documented code
(0, 1, 2, 3, 130), never prints a traceback, and prints no character that
could act on a terminal or hide text (tab and line feed aside).
Patient states are also given as Python objects (a failing `tzinfo`, a
huge int). `CLINRULES_FUZZ=N` runs N examples of each instead of the profile's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import clinrules
from clinrules.base.terminal import printable
from clinrules.cli import main
from tests.conftest import ROOT

FUZZ = int(os.environ.get("CLINRULES_FUZZ", "0"))
fuzz = settings(max_examples=FUZZ, suppress_health_check=list(HealthCheck)) if FUZZ else settings()

SHIPPED = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
PATIENT_TEXT = (ROOT / "rulesets" / "sciatica" / "patients" / "16_one_delayed_flare.json").read_text()
RULESET = clinrules.load(SHIPPED, allow_draft=True)
BASE = (
    "ruleset r version 1.0.0 status draft model sciatica\n"
    'exercise walking "Walking"\n'
    "# a comment\n"
    "rule a for walking: stop if age > 2\n"
    '  say "Stop for today."\n'
    "rule b for walking: check if any session within 3 days had pain_during > 5\n"
    "otherwise allow\n"
)

# Characters of flaw 9: C0, DEL, C1, separators, bidi and other format characters, surrogates.
HOSTILE_CHARS = st.one_of(
    st.sampled_from(
        [
            "\x00",
            "\x07",
            "\x08",
            "\x0b",
            "\x0c",
            "\r",
            "\x1b",
            "\x1b]0;title\x07",
            "\x1b[8m",
            "\x7f",
            "\x85",
            "\x9b",
            "\u2028",
            "\u2029",
            "\u200b",
            "\u200e",
            "\u202e",
            "\u2066",
            "\u2069",
            "\ufeff",
            "\U000e0041",
            "\ud800",
            "\udfff",
            "é",
            "停",
            "\u200d",
        ]
    ),
    st.characters(blacklist_categories=("Lu", "Ll", "Nd")),
)
# Numbers of flaw 5, as text: huge, tiny, long fractions, exponents.
HUGE_NUMBERS = st.sampled_from(
    [
        "9" * 5000,
        "9" * 4400,
        "1" + "0" * 400,
        "0." + "0" * 400 + "1",
        "1e400",
        "1e-400",
        "99999999999999999999",
    ]
)
TIMES = st.sampled_from(
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-14:00",
        "2026-11-21T08:00:00Z",
        "2026-11-21T08:00:00",
        "yesterday",
        "\x1b[2J",
        "\ud800",
    ]
)


@st.composite
def rule_texts(draw: st.DrawFn) -> str:
    """The base file with hostile characters and huge numbers put in here and there."""
    text = BASE
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["char", "number", "window", "say"]))
        if kind == "char":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(HOSTILE_CHARS) + text[at:]
        elif kind == "number":
            text = text.replace("age > 2", f"age > {draw(HUGE_NUMBERS)}", 1)
        elif kind == "window":
            amount = draw(st.sampled_from(["9" * 30, "3000000", "99999999", "9" * 5000]))
            unit = draw(st.sampled_from(["days", "weeks", "hours"]))
            text = text.replace("within 3 days", f"within {amount} {unit}", 1)
        else:
            text = text.replace("Stop for today.", draw(st.lists(HOSTILE_CHARS, max_size=6).map("".join)), 1)
    return text


@st.composite
def patient_texts(draw: st.DrawFn) -> str:
    """A patient document as JSON text, with hostile keys, huge numbers and edge times."""
    kind = draw(st.sampled_from(["keys", "number", "time", "text", "shipped"]))
    if kind == "keys":
        key = draw(st.lists(HOSTILE_CHARS, min_size=1, max_size=6).map("".join))
        return json.dumps({key: 1, "symptoms": {key: True}})
    if kind == "number":
        field = draw(st.sampled_from(["age", "pain_during", "x"]))
        number = draw(HUGE_NUMBERS)
        if field == "pain_during":
            return (
                '{"sessions": [{"exercise": "walking", "at": "2026-11-20T08:00:00Z", "pain_during": '
                + number
                + "}]}"
            )
        return '{"' + field + '": ' + number + "}"
    if kind == "time":
        at = draw(TIMES)
        return json.dumps({"as_of": at, "sessions": [{"exercise": "walking", "at": at}]})
    if kind == "text":
        return draw(st.lists(HOSTILE_CHARS, max_size=10).map("".join))
    return PATIENT_TEXT


@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a FIFO, a file with an escape in its name, and a subdirectory."""
    tree = tmp_path_factory.mktemp("hostile")
    (tree / "dir").mkdir()
    (tree / "named\x1b[2J.rules").write_text(BASE, encoding="utf-8")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tree / "fifo")
    return tree


PATH_KINDS = st.sampled_from(
    ["rules", "nul", "long", "long_part", "missing", "dir", "fifo", "zero", "escape_name", "hostile_text"]
)


def _path(kind: str, tree: Path, rules: Path) -> str:
    return {
        "rules": str(rules),
        "nul": str(rules) + "\0",
        "long": "a" * 5000,
        "long_part": str(tree / ("b" * 300)),
        "missing": str(tree / "missing.rules"),
        "dir": str(tree / "dir"),
        "fifo": str(tree / "fifo") if (tree / "fifo").exists() else str(tree / "missing"),
        "zero": "/dev/zero",
        "escape_name": str(tree / "named\x1b[2J.rules"),
        "hostile_text": str(tree / "missing\u202e\x9b.rules"),
    }[kind]


def _assert_safe_output(code: int, out: str, err: str, argv: list[str]) -> None:
    assert code in (0, 1, 2, 3, 130), (argv, code, err)
    assert "Traceback" not in out + err
    assert "internal error" not in err, err
    assert printable(out) == out, (argv, out)
    assert printable(err) == err, (argv, err)


@fuzz
@given(
    command=st.sampled_from(["check", "eval", "eval-json", "doc", "fmt-check", "test"]),
    text=rule_texts(),
    patient=patient_texts(),
    ruleset_path=st.one_of(st.just("rules"), PATH_KINDS),
    patient_path=st.one_of(
        st.sampled_from(["file", "stdin"]), st.sampled_from(["nul", "long", "dir", "fifo", "zero"])
    ),
    as_of=st.one_of(st.none(), TIMES),
    setting=st.one_of(st.none(), HUGE_NUMBERS.map(lambda n: f"pain_ceiling={n}")),
)
def test_the_cli_under_hostile_input_exits_with_a_documented_code_and_prints_nothing_raw(
    hostile_tree: Path,
    tmp_path_factory: pytest.TempPathFactory,
    command: str,
    text: str,
    patient: str,
    ruleset_path: str,
    patient_path: str,
    as_of: str | None,
    setting: str | None,
) -> None:
    work = tmp_path_factory.mktemp("run")
    rules = work / "r.rules"
    rules.write_bytes(text.encode("utf-8", "surrogatepass"))  # a lone surrogate is bytes no UTF-8 has
    patient_file = work / "p.json"
    patient_file.write_bytes(patient.encode("utf-8", "surrogatepass"))
    ruleset_arg = _path(ruleset_path, hostile_tree, rules)
    patient_arg = {"file": str(patient_file), "stdin": "-"}.get(patient_path) or _path(
        {"dir": "dir", "fifo": "fifo", "zero": "zero", "nul": "nul", "long": "long"}[patient_path],
        hostile_tree,
        patient_file,
    )
    if command == "check":
        argv = ["check", ruleset_arg]
    elif command == "doc":
        argv = ["doc", ruleset_arg]
    elif command == "fmt-check":
        argv = ["fmt", "--check", ruleset_arg]
    elif command == "test":
        cases = work / "r.cases.yaml"
        cases.write_bytes(
            (
                f"ruleset: r.rules\ncases:\n  - name: one\n    as_of: {json.dumps(as_of or '2026-11-21T08:00:00Z')}\n"
                f"    patient: {patient}\n    expect: {{triage: clear}}\n"
            ).encode("utf-8", "surrogatepass")
        )
        argv = ["test", str(cases)]
    else:
        argv = ["eval", ruleset_arg, patient_arg, "--allow-draft"]
        if as_of is not None:
            argv += ["--as-of", as_of]
        if setting is not None:
            argv += ["--set", setting]
        if command == "eval-json":
            argv += ["--format", "json"]
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err, io.StringIO(patient))
    event(f"{command}: exit {code}")
    _assert_safe_output(code, out.getvalue(), err.getvalue(), argv)


class _FailingZone(dt.tzinfo):
    """A caller's time zone whose every answer raises."""

    def utcoffset(self, _when: dt.datetime | None) -> dt.timedelta:
        raise RuntimeError("no offset")

    def dst(self, _when: dt.datetime | None) -> dt.timedelta:
        raise RuntimeError("no offset")

    def tzname(self, _when: dt.datetime | None) -> str:
        raise RuntimeError("no name")


FAILING_TIME = dt.datetime(2026, 11, 21, 8, tzinfo=_FailingZone())
# Patient states as Python objects, not JSON: a time whose tzinfo fails, in the
# patient's own `as_of` and in a session.
PYTHON_STATES = st.sampled_from(
    [
        {"as_of": FAILING_TIME},
        {"sessions": [{"exercise": "walking", "at": FAILING_TIME}]},
        {"age": 10**5000},
        {"age": float("nan")},
    ]
)
WRONG_TYPES = st.sampled_from([5, 1.5, None, b"bytes", ["a"], {"a": 1}, object(), True])


@fuzz
@given(
    entry=st.sampled_from(["load", "check_file", "compile", "evaluate", "evaluate_many", "outcomes"]),
    text=st.one_of(rule_texts(), WRONG_TYPES),
    path_kind=st.one_of(PATH_KINDS, WRONG_TYPES),
    patient=st.one_of(patient_texts(), PYTHON_STATES),
    exercises=st.one_of(
        st.none(), st.sampled_from(["walking", ("walking",), ["x", 1], [["a"]]]), WRONG_TYPES
    ),
    parameters=st.one_of(
        st.none(),
        st.none(),
        st.dictionaries(st.sampled_from(["pain_ceiling", "x", "\x1b"]), st.integers(-(10**40), 10**40)),
        st.sampled_from([{"pain_ceiling": 10**5000}, {"pain_ceiling": float("inf")}, {"pain_ceiling": "3"}]),
        WRONG_TYPES,
    ),
    as_of=st.one_of(
        st.none(),
        st.just("2026-11-21T08:00:00Z"),
        TIMES,
        st.sampled_from(
            [
                dt.datetime(1, 1, 1, tzinfo=dt.UTC),
                dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))),
                dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
                dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(-dt.timedelta(hours=14))),
                dt.datetime(2026, 11, 21, 8),
                dt.date(2026, 11, 21),
            ]
        ),
        WRONG_TYPES,
    ),
    model=st.one_of(st.none(), st.none(), st.sampled_from(["sciatica", "nope", "\x1b"]), WRONG_TYPES),
)
def test_the_api_under_hostile_input_raises_only_clinrules_errors(
    hostile_tree: Path,
    tmp_path_factory: pytest.TempPathFactory,
    entry: str,
    text: Any,
    path_kind: Any,
    patient: str | dict[str, Any],
    exercises: Any,
    parameters: Any,
    as_of: Any,
    model: Any,
) -> None:
    state: Any = patient
    if isinstance(patient, str):
        # Not JSON, or a number Python will not read: the text itself is the state.
        with contextlib.suppress(ValueError):
            state = json.loads(patient)
    try:
        if entry in ("load", "check_file"):
            if isinstance(path_kind, str):
                rules = tmp_path_factory.mktemp("api") / "r.rules"
                rules.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else b"")
                path: Any = _path(path_kind, hostile_tree, rules)
            else:
                path = path_kind
            if entry == "load":
                clinrules.load(path, model=model, allow_draft=True)
            else:
                clinrules.check_file(path, model=model)
        elif entry == "compile":
            clinrules.compile(text, model=model, allow_draft=True)
        elif entry == "evaluate":
            RULESET.evaluate(state, exercises, parameters, as_of)
        elif entry == "evaluate_many":
            list(RULESET.evaluate_many([state, state], exercises, parameters, as_of))
        else:
            RULESET.outcomes(state, parameters, as_of)
    except clinrules.ClinrulesError as error:
        event(f"{entry}: {type(error).__name__}")
        str(error)  # the message itself can be built
        return
    event(f"{entry}: ok")
