"""Issue 12, flaws 8 and 9: every exception a ClinrulesError, every exit code
documented, and nothing printed that can act on a terminal or hide text."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

import clinrules
from clinrules.base.diagnostics import render
from clinrules.base.terminal import printable
from clinrules.cli import main
from tests.conftest import ROOT

SHIPPED = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
PATIENT = ROOT / "rulesets" / "sciatica" / "patients" / "02_saddle_numbness.json"
AS_OF = "2026-11-21T08:00:00Z"
GOOD = (
    "ruleset r version 1.0.0 status draft model sciatica\n"
    'exercise walking "Walking"\n'
    "rule a for walking: stop if acute_flare\n"
    '  say "Stop for today."\n'
    "otherwise allow\n"
)
# What a terminal would act on, or a reader not see: C0 but tab and line feed, DEL, C1, and the rest.
RAW_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
RULESET = clinrules.load(SHIPPED, allow_draft=True)


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def codes(raised: pytest.ExceptionInfo[clinrules.RulesetError]) -> list[str]:
    return [d.code for d in raised.value.diagnostics]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


# ---------------------------------------------------------------- flaw 8: the API


@pytest.mark.parametrize("entry", [clinrules.load, clinrules.check_file])
@pytest.mark.parametrize("path", [123, None, b"glute_bridge.rules", 1.5, ["a.rules"]])
def test_flaw8_load_of_a_number_raises_clinrules_error(entry: object, path: object) -> None:
    with pytest.raises(clinrules.ArgumentError) as raised:
        entry(path)  # type: ignore[operator]
    assert isinstance(raised.value, clinrules.ClinrulesError)
    assert isinstance(raised.value, TypeError)  # what Python raises for such a call


@pytest.mark.parametrize("entry", [clinrules.load, clinrules.check_file])
def test_flaw8_nul_byte_path(entry: object, tmp_path: Path) -> None:
    for path in ("a\0b.rules", tmp_path / "x\0.rules", str(SHIPPED) + "\0"):
        with pytest.raises(clinrules.RulesetError) as raised:
            entry(path)  # type: ignore[operator]
        assert codes(raised) == ["CR215"]


@pytest.mark.parametrize("entry", [clinrules.load, clinrules.check_file])
def test_flaw8_missing_file_check_file(entry: object, tmp_path: Path) -> None:
    for path in (tmp_path / "missing.rules", tmp_path, "a" * 5000, tmp_path / ("b" * 300 + ".rules")):
        with pytest.raises(clinrules.RulesetError) as raised:
            entry(path)  # type: ignore[operator]
        assert codes(raised) == ["CR215"]


def test_flaw8_wrong_type_parameters_and_exercises() -> None:
    wrong: list[dict[str, object]] = [
        {"exercises": 5},
        {"exercises": [1]},
        {"exercises": ["walking", 2]},  # unsortable: was a TypeError from sorted()
        {"exercises": [["walking"]]},  # unhashable
        {"parameters": [1]},
        {"parameters": 5},
        {"parameters": "pain_ceiling=3"},
        {"explain": "no"},
    ]
    for arguments in wrong:
        with pytest.raises(clinrules.ArgumentError):
            RULESET.evaluate({}, as_of=AS_OF, **arguments)  # type: ignore[arg-type]
        with pytest.raises(clinrules.ArgumentError):
            list(RULESET.evaluate_many([{}], as_of=AS_OF, **arguments))  # type: ignore[arg-type]
    for arguments in ({"parameters": [1]}, {"parameters": 5}):
        with pytest.raises(clinrules.ArgumentError):
            RULESET.outcomes({}, as_of=AS_OF, **arguments)  # type: ignore[arg-type]
    with pytest.raises(clinrules.ArgumentError):
        list(RULESET.evaluate_many(5))  # type: ignore[arg-type]
    # The right types still work, and the values are still judged by their own errors.
    assert list(RULESET.evaluate({}, exercises="walking", as_of=AS_OF).exercises) == ["walking"]
    assert list(RULESET.evaluate({}, exercises=("walking",), as_of=AS_OF).exercises) == ["walking"]
    with pytest.raises(clinrules.ParameterError):
        RULESET.evaluate({}, parameters={1: 2}, as_of=AS_OF)  # type: ignore[dict-item]
    with pytest.raises(clinrules.ExerciseError):
        RULESET.evaluate({}, exercises=["no_such_exercise"], as_of=AS_OF)


def test_flaw8_wrong_types_for_load_and_compile() -> None:
    with pytest.raises(clinrules.ArgumentError):
        clinrules.compile(GOOD, model=42, allow_draft=True)  # type: ignore[arg-type]
    with pytest.raises(clinrules.ArgumentError):
        clinrules.compile(GOOD, model=int, allow_draft=True)  # type: ignore[arg-type]
    with pytest.raises(clinrules.ArgumentError):
        clinrules.compile(GOOD, source_name=5, allow_draft=True)  # type: ignore[arg-type]
    with pytest.raises(clinrules.ArgumentError):  # "no" is truthy: it allowed a draft
        clinrules.compile(GOOD, allow_draft="no")  # type: ignore[arg-type]
    with pytest.raises(clinrules.ArgumentError):
        clinrules.load(SHIPPED, allow_draft="no")  # type: ignore[arg-type]
    with pytest.raises(clinrules.ArgumentError):
        clinrules.parse(GOOD, 5)  # type: ignore[arg-type]
    for text in (5, None, b"ruleset r"):
        with pytest.raises(clinrules.RulesetError) as raised:
            clinrules.parse(text)  # type: ignore[arg-type]
        assert codes(raised) == ["CR002"]


class _RaisingZone(dt.tzinfo):
    def utcoffset(self, _when: dt.datetime | None) -> dt.timedelta:
        raise RuntimeError("no offset today")

    def dst(self, _when: dt.datetime | None) -> dt.timedelta:
        raise RuntimeError("no offset today")


class _WrongZone(dt.tzinfo):
    def utcoffset(self, _when: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(hours=30)  # Python refuses an offset of a day or more

    def dst(self, _when: dt.datetime | None) -> None:
        return None


class _ZoneOnce(dt.tzinfo):
    """Gives an offset once, then fails: read once, at the boundary, it cannot fail later."""

    def __init__(self) -> None:
        self.calls = 0

    def utcoffset(self, _when: dt.datetime | None) -> dt.timedelta:
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("changed its mind")
        return dt.timedelta(hours=1)

    def dst(self, _when: dt.datetime | None) -> None:
        return None


def test_flaw8_raising_tzinfo() -> None:
    for zone in (_RaisingZone(), _WrongZone()):
        as_of = dt.datetime(2026, 11, 21, 8, tzinfo=zone)
        with pytest.raises(clinrules.PatientDataError) as raised:
            RULESET.evaluate({}, as_of=as_of)
        assert [path for path, _ in raised.value.problems] == ["as_of"]
        with pytest.raises(clinrules.PatientDataError):
            RULESET.outcomes({}, as_of=as_of)
        with pytest.raises(clinrules.PatientDataError):
            list(RULESET.evaluate_many([{}], as_of=as_of))
    once = RULESET.evaluate({}, as_of=dt.datetime(2026, 11, 21, 9, tzinfo=_ZoneOnce()))
    assert once.as_of == dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)


def test_flaw8_lone_surrogate_in_compile() -> None:
    for text in ("\ud800", GOOD.replace("Stop for today.", "Stop \udc80 now"), "# \udfff\n" + GOOD):
        with pytest.raises(clinrules.RulesetError) as raised:
            clinrules.compile(text, allow_draft=True)
        assert codes(raised) == ["CR002"]
        # The diagnostic renders without failing, the surrogate shown as an escape.
        shown = render(raised.value.diagnostics[0], text)
        shown.encode("utf-8")


# ---------------------------------------------------------------- flaw 8: the command line


def _python(code: str, **streams: object) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    given = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **streams}
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-c", code], timeout=120, env=env, cwd=ROOT, **given
    )


# Ctrl-C is a KeyboardInterrupt raised wherever Python happens to be; importing
# a module raises it here, at the same points, every time.
_INTERRUPT_AT_IMPORT = """
import importlib.abc, sys
class Interrupt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == {module!r}:
            raise KeyboardInterrupt
        return None
sys.meta_path.insert(0, Interrupt())
from clinrules.cli import main  # as the console script does
sys.exit(main(["check", {path!r}]))
"""


@pytest.mark.parametrize(
    "module",
    [
        "clinrules.cli.args",
        "clinrules.cli.common",
        "clinrules.base.diagnostics",
        "clinrules.cli.check",
        "lark",
    ],
)
def test_flaw8_sigint_during_startup_exits_130_without_traceback(module: str) -> None:
    done = _python(_INTERRUPT_AT_IMPORT.format(module=module, path=str(SHIPPED)))
    assert done.returncode == 130, done.stderr
    assert b"Traceback" not in done.stdout + done.stderr


def test_flaw8_the_cli_package_imports_only_the_standard_library_before_main_runs() -> None:
    done = _python(
        "import sys; import clinrules.cli; "
        "print(sorted(m for m in sys.modules if m.startswith(('clinrules', 'lark', 'pydantic'))))"
    )
    loaded = done.stdout.decode().strip()
    assert loaded == str(
        ["clinrules", "clinrules.base", "clinrules.base.version", "clinrules.cli", "clinrules.cli.main"]
    ), loaded


def test_check_of_a_good_ruleset_imports_no_later_stage_and_no_suggestions() -> None:
    # Start-up (issue 20): the engine, the decision and difflib (did-you-mean hints, needed
    # only for a mistake) are left unimported by a check that finds none.
    done = _python(
        "import sys; from clinrules.cli import main; code = main(['check', " + repr(str(SHIPPED)) + "]); "
        "print(code, sorted(m for m in sys.modules if m == 'difflib' "
        "or m.startswith(('clinrules.engine', 'clinrules.decision', 'clinrules.authoring'))))"
    )
    assert done.stdout.decode().strip().splitlines()[-1] == "0 []", done.stdout + done.stderr


def test_flaw8_a_keyboard_interrupt_while_a_command_module_is_imported_exits_130(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import builtins

    real_import = builtins.__import__

    def interrupted(name: str, *args: object, **kwargs: object) -> object:
        if name == "clinrules.cli" and args and args[2] == ("check",):
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", interrupted)
    assert run("check", str(SHIPPED))[0] == 130


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "argv",
    [
        ["eval", str(SHIPPED), str(PATIENT), "--allow-draft", "--as-of", AS_OF],
        ["eval", str(SHIPPED), str(PATIENT), "--allow-draft", "--as-of", AS_OF, "--format", "json"],
        ["doc", str(SHIPPED)],
        ["--help"],
        ["--version"],
        ["schema", "decision"],
    ],
)
def test_flaw8_dev_full_stdout(argv: list[str]) -> None:
    code = f"import sys; from clinrules.cli import main; sys.exit(main({argv!r}))"
    with open("/dev/full", "w") as full:
        done = _python(code, stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 2, done.stderr
    assert b"Traceback" not in done.stderr
    assert b"Exception ignored" not in done.stderr
    assert done.stderr.decode().count("\n") == 1  # one line, and the process ends quietly


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_flaw8_dev_full_for_both_streams_still_exits_2() -> None:
    code = f"import sys; from clinrules.cli import main; sys.exit(main(['doc', {str(SHIPPED)!r}]))"
    with open("/dev/full", "w") as full:
        done = _python(code, stdout=full, stderr=full)
    assert done.returncode == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "{long}"],
        ["fmt", "--check", "{long}"],
        ["test", "{long}"],
        ["doc", "{long}"],
        ["eval", "{long}", str(PATIENT)],
        ["eval", str(SHIPPED), "{long}", "--allow-draft"],
        ["check", "{long}/x.rules"],
        ["check", "a\0b.rules"],
        ["eval", str(SHIPPED), "p\0.json", "--allow-draft"],
    ],
)
def test_flaw8_file_name_too_long_exits_2(argv: list[str]) -> None:
    code, out, err = run(*(a.replace("{long}", "a" * 5000) for a in argv))
    assert code == 2, err
    assert "internal error" not in err
    assert "Traceback" not in out + err
    assert err.startswith("clinrules: error: cannot read")


def test_flaw8_ascii_only_stdout(tmp_path: Path) -> None:
    rules = write(
        tmp_path,
        "r.rules",
        GOOD.replace("Stop for today.", "Arrêtez pour aujourd\u2019hui: 停止") + "# café\n",
    )
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps({"symptoms": {"acute_flare": True}, "clé": 1}), encoding="utf-8")
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps({"symptoms": {"acute_flare": True}}), encoding="utf-8")
    for env in (
        {"PYTHONIOENCODING": "ascii"},
        {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
    ):
        for argv in (
            ["eval", str(rules), str(clean), "--allow-draft", "--as-of", AS_OF],
            ["eval", str(rules), str(clean), "--allow-draft", "--as-of", AS_OF, "--format", "json"],
            ["eval", str(rules), str(patient), "--allow-draft", "--as-of", AS_OF],
            ["doc", str(rules)],
            ["check", str(rules)],
        ):
            code = f"import sys; from clinrules.cli import main; sys.exit(main({argv!r}))"
            done = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                timeout=120,
                env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env},
                cwd=ROOT,
            )
            assert done.returncode in (0, 3), (argv, env, done.stderr)
            assert b"Traceback" not in done.stdout + done.stderr
            if argv[-1] == "json":
                decision = json.loads(done.stdout.decode("ascii"))  # still JSON, and the same text
                assert decision["exercises"]["walking"]["say"] == ["Arrêtez pour aujourd\u2019hui: 停止"]


# ---------------------------------------------------------------- flaw 9: source text


@pytest.mark.parametrize(
    ("hidden", "where"),
    [
        ("\x1b]0;pwned\x07", "say"),
        ("\x1b[8m", "say"),  # hidden text from here on
        ("\x9b2J", "say"),  # C1 CSI: clear the screen
        ("\x7f", "comment"),
        ("\x00", "comment"),
        ("\x0c", "comment"),
        ("\u2028", "comment"),
        ("\u200b", "title"),
        ("\U000e0041", "say"),  # a tag character: text an eye cannot see
    ],
)
def test_flaw9_escape_sequence_in_rule_text_is_cr008(hidden: str, where: str, tmp_path: Path) -> None:
    if where == "say":
        text = GOOD.replace("Stop for today.", f"Stop{hidden} for today.")
    elif where == "title":
        text = GOOD.replace('"Walking"', f'"Walk{hidden}ing"')
    else:
        text = GOOD.replace("otherwise allow", f"# note{hidden}\notherwise allow")
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.compile(text, allow_draft=True)
    assert set(codes(raised)) == {"CR008"}
    first = raised.value.diagnostics[0]
    offset = text.index(hidden[0])
    line = text.count("\n", 0, offset) + 1
    assert (first.line, first.column) == (line, offset - text.rfind("\n", 0, offset))
    code, out, err = run("check", str(write(tmp_path, "r.rules", text)))
    assert code == 1
    assert "CR008" in err
    assert not RAW_CONTROL.search(out + err)


@pytest.mark.parametrize(
    "bidi", ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\u061c"]
)
def test_flaw9_bidi_control_in_a_comment_is_cr008(bidi: str) -> None:
    # "Trojan source": the comment seems to end, and a reviewer reads the red flag as off.
    text = GOOD.replace("rule a for walking:", f"# disabled{bidi} until review\nrule a for walking:")
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.compile(text, allow_draft=True)
    assert codes(raised) == ["CR008"]
    assert (raised.value.diagnostics[0].line, raised.value.diagnostics[0].column) == (3, 11)


def test_flaw9_bare_cr_is_cr008() -> None:
    text = GOOD.replace("otherwise allow", "# fine\rrule b for walking: allow if x\notherwise allow")
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.compile(text, allow_draft=True)
    assert codes(raised) == ["CR008"]
    assert (raised.value.diagnostics[0].line, raised.value.diagnostics[0].column) == (5, 7)
    # CRLF line ends stay fine, and so do tabs and the joiners some scripts need.
    fine = GOOD.replace("\n", "\r\n").replace(
        "Stop for today.", "Stop\tnow \u0645\u06cc\u200c\u0634\u0648\u062f \U0001f468\u200d\u2695"
    )
    assert clinrules.compile(fine, allow_draft=True).id == "r"


def test_flaw9_every_hidden_character_is_reported_up_to_the_limit() -> None:
    text = GOOD + "".join(f"# {i}\x1b\n" for i in range(150))
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.compile(text, allow_draft=True)
    found = codes(raised)
    assert found.count("CR008") == 100
    assert found[-1] == "CR005"


def test_flaw9_the_cr008_example_of_errors_md_is_what_check_prints(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    section = text.split("## CR008", 1)[1].split("\n## ", 1)[0]
    shown = re.search(r"```console\n(.*?)```", section, re.DOTALL)
    fix = re.search(r"\*\*Fix\.\*\*.*?```text\n(.*?)```", section, re.DOTALL)
    assert shown is not None
    assert fix is not None
    # The example is the fix with the override the page describes in words.
    source = fix.group(1).replace("# nothing below is in use\n", "# nothing below is in use\u202e\n")
    (tmp_path / "example.rules").write_text(source, encoding="utf-8")
    err = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["check", "example.rules"], io.StringIO(), err) == 1
    finally:
        os.chdir(cwd)
    assert err.getvalue().strip() == shown.group(1).strip()


# ---------------------------------------------------------------- flaw 9: what is printed


def test_flaw9_patient_key_with_escape_is_printed_escaped(tmp_path: Path) -> None:
    key = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[8mhidden\u202e\x9b"
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps({key: 1, "symptoms": {key: True}}), encoding="utf-8")
    for argv in (
        ["eval", str(SHIPPED), str(patient), "--allow-draft", "--as-of", AS_OF],
        ["eval", str(SHIPPED), "-", "--allow-draft", "--as-of", AS_OF],
    ):
        code, out, err = run(*argv, stdin=patient.read_text(encoding="utf-8"))
        assert code == 3
        assert not RAW_CONTROL.search(out + err)
        assert "\\u001b]52;c;cm0gLXJmIH4=\\u0007" in err  # shown, not dropped
    # A file name with an escape in it, in a usage error and in a diagnostic.
    named = write(
        tmp_path, "bad\x1b[2Jname.rules", "ruleset r version 1.0.0 status draft\nrule a for b:\n  stp if x\n"
    )
    for argv in (["check", str(named)], ["check", str(tmp_path / "gone\x1b[2J.rules")]):
        code, out, err = run(*argv)
        assert code in (1, 2)
        assert not RAW_CONTROL.search(out + err)
        assert "\\u001b[2J" in err


def test_flaw9_c1_control_in_say_text_cannot_be_written_and_is_escaped_if_it_comes_from_elsewhere() -> None:
    # Rule text cannot hold it at all ...
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.compile(GOOD.replace("Stop for today.", "Stop\x9b2J"), allow_draft=True)
    assert codes(raised) == ["CR008"]
    # ... and what the library renders is escaped all the same, whatever reaches it.
    decision = clinrules.compile(GOOD, allow_draft=True).evaluate(
        {"symptoms": {"acute_flare": True}}, as_of=AS_OF
    )
    exercise = decision.exercises["walking"].model_copy(update={"say": ["Stop\x9b2J \x1b]0;x\x07\u202e"]})
    doctored = decision.model_copy(update={"exercises": {"walking": exercise}})
    text = doctored.explain()
    assert not RAW_CONTROL.search(text)
    assert "Stop\\u009b2J \\u001b]0;x\\u0007\\u202e" in text


def test_flaw9_printable_keeps_ordinary_text_and_escapes_the_rest() -> None:
    ordinary = "Dr. Müller: café, 停止, مثال, emoji \U0001f468\u200d\u2695, tab\tand\nline"
    assert printable(ordinary) == ordinary
    every_hidden = "".join(
        chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in ("Cc", "Cf", "Cs", "Zl", "Zp")
    )
    shown = printable(every_hidden)
    assert all(c in ("\t", "\n", "\u200c", "\u200d") or 0x20 <= ord(c) < 0x7F for c in shown)
    assert printable(shown) == shown
    hidden = "a\x1b\u202e\U000e0041b"
    assert json.loads('"' + printable(hidden) + '"') == hidden  # the escapes are JSON's


def test_flaw9_json_output_is_escaped_and_means_the_same(tmp_path: Path) -> None:
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps({"symptoms": {"acute_flare": True}}), encoding="utf-8")
    rules = write(tmp_path, "r.rules", GOOD.replace("Stop for today.", "Stop: 停止 é"))
    code, out, err = run(
        "eval", str(rules), str(patient), "--allow-draft", "--as-of", AS_OF, "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out)["exercises"]["walking"]["say"] == ["Stop: 停止 é"]
    assert not RAW_CONTROL.search(out)


def test_flaw9_the_review_page_escapes_what_it_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    from clinrules.authoring import docgen

    rs = clinrules.compile(GOOD, allow_draft=True)
    assert not RAW_CONTROL.search(docgen.page(rs.program))
    # Rule text cannot hold a control character; were one to reach the page
    # (a model's texts, a later construct), it is escaped there too.
    monkeypatch.setattr(docgen._Page, "render", lambda _self: "# r\x1b]0;x\x07\n")
    assert docgen.page(rs.program) == "# r\\u001b]0;x\\u0007\n"
