"""The command line, through `main(argv, out, err)`: exit codes, output, no tracebacks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from clinrules.base.limits import MAX_FILE_BYTES
from clinrules.cli import main
from tests.conftest import ROOT

GOOD = (
    "ruleset r version 1.0.0 status draft model sciatica\n"
    'exercise walking "Walking"\n'
    "rule a for walking: stop if acute_flare\n"
    "  when unknown check\n"
    "otherwise allow\n"
)
BAD = "ruleset r version 1.0.0 status draft\nrule a for b:\n  stp if x\n"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_check_clean_file(tmp_path: Path) -> None:
    code, out, err = run("check", str(write(tmp_path, "good.rules", GOOD)))
    assert code == 0
    assert "checked 1 file: 0 errors, 0 warnings" in out
    assert err == ""


def test_check_renders_diagnostics_on_stderr(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.rules", BAD)
    code, out, err = run("check", str(path))
    assert code == 1
    lines = err.splitlines()
    assert lines[0].startswith(f"{path}:3:3: CR101 ")
    assert lines[1] == "    3 |   stp if x"
    assert lines[2] == "      |   ^^^"
    assert lines[3] == "   hint: did you mean 'stop'?"
    assert "1 error" in out


def test_check_a_directory_means_every_rules_file_below_it(tmp_path: Path) -> None:
    write(tmp_path, "a/one.rules", GOOD)
    write(tmp_path, "a/b/two.rules", BAD)
    write(tmp_path, "a/notes.txt", "not a rule file")
    code, out, err = run("check", str(tmp_path / "a"))
    assert code == 1
    assert "checked 2 files: 1 error" in out
    assert "two.rules:3:3: CR101" in err


def test_check_reports_checker_errors_and_warnings(tmp_path: Path) -> None:
    text = GOOD.replace("acute_flare", "acute_flair").replace("otherwise allow\n", "")
    code, out, err = run("check", str(write(tmp_path, "x.rules", text)))
    assert code == 1
    assert " CR201 unknown field 'acute_flair'" in err
    assert "hint: did you mean 'acute_flare'?" in err
    assert " CR502 warning: " in err
    assert "1 error, 1 warning" in out


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    code, out, err = run("check", str(write(tmp_path, "x.rules", GOOD.replace("otherwise allow\n", ""))))
    assert code == 0
    assert " CR502 warning: " in err
    assert "0 errors, 1 warning" in out


def test_check_shows_lines_of_included_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        "lib.rules",
        "library l version 1.0.0 status draft model sciatica\nred flag f: urgent if fevr\n",
    )
    root = write(tmp_path, "main.rules", GOOD.replace("sciatica\n", 'sciatica\ninclude "lib.rules"\n', 1))
    code, _, err = run("check", str(root))
    assert code == 1
    assert "lib.rules:2:23: CR201 unknown field 'fevr'" in err
    assert "    2 | red flag f: urgent if fevr" in err


def test_check_the_shipped_examples() -> None:
    # These need their own models (--model): tests/test_own_models.py and tests/test_published_tools.py.
    own = [ROOT / "examples" / name for name in ("ottawa", "startback", "parq")]
    code, out, _ = run(
        "check",
        *(str(p) for p in (ROOT / "examples").rglob("*.rules") if not any(o in p.parents for o in own)),
    )
    assert code == 0
    assert "0 errors" in out


@pytest.mark.parametrize(
    ("content", "code_expected"),
    [
        ("", "CR001"),
        ("# only a comment\n", "CR001"),
        (b"ruleset r version 1.0.0 status draft\n# caf\xe9\n", "CR002"),
        (b"\x00\x01\x02\xff\xfe", "CR002"),
    ],
    ids=["empty", "comments only", "latin-1", "binary"],
)
def test_check_refuses_empty_and_non_utf8_files(
    tmp_path: Path, content: str | bytes, code_expected: str
) -> None:
    code, _, err = run("check", str(write(tmp_path, "x.rules", content)))
    assert code == 1
    assert f" {code_expected} " in err


def test_non_utf8_points_at_the_bad_byte(tmp_path: Path) -> None:
    path = write(tmp_path, "x.rules", b"ruleset r version 1.0.0 status draft\n# caf\xe9\n")
    _, _, err = run("check", str(path))
    assert err.startswith(f"{path}:2:6: CR002")


def test_check_refuses_a_file_over_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "big.rules", "#" * (MAX_FILE_BYTES + 1))
    code, _, err = run("check", str(path))
    assert code == 1
    assert " CR003 " in err


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    code, _, _ = run("check", str(write(tmp_path, "bom.rules", "\ufeff" + GOOD)))
    assert code == 0


@pytest.mark.parametrize(
    "argv",
    [[], ["check"], ["frobnicate"], ["check", "--bogus", "x"]],
    ids=["nothing", "no path", "unknown command", "unknown option"],
)
def test_usage_errors_exit_2(argv: list[str]) -> None:
    code, _, err = run(*argv)
    assert code == 2
    assert err.startswith("clinrules: error: ")


def test_missing_path_exits_2(tmp_path: Path) -> None:
    code, _, err = run("check", str(tmp_path / "nope.rules"))
    assert code == 2
    assert "no such file or directory" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "{d}", "{d}"],
        ["doc", "{d}"],
        ["prove", "{d}"],
        ["serve", "{d}"],
        ["batch", "rulesets/sciatica/glute_bridge.rules", "{d}", "{d}/out.jsonl"],
    ],
    ids=["eval", "doc", "prove", "serve", "batch input"],
)
def test_a_directory_where_one_file_is_read_says_so(argv: list[str], tmp_path: Path) -> None:
    code, _, err = run(*(a.format(d=tmp_path) for a in argv))
    assert code == 2
    assert f"'{tmp_path}' is a directory; give one " in err


def test_directory_without_rule_files_exits_2(tmp_path: Path) -> None:
    code, _, err = run("check", str(tmp_path))
    assert code == 2
    assert "no *.rules files" in err


def test_a_directory_named_like_a_rule_file_is_not_read_as_one(tmp_path: Path) -> None:
    (tmp_path / "odd.rules").mkdir()
    write(tmp_path, "odd.rules/inner.rules", GOOD)
    code, out, _ = run("check", str(tmp_path))
    assert code == 0
    assert "checked 1 file" in out


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--help")[0] == 0
    assert "check" in capsys.readouterr().out
    assert run("--version")[0] == 0
    assert "clinrules" in capsys.readouterr().out


def test_an_internal_error_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def explode(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("clinrules.cli.check.check_file", explode)
    code, _, err = run("check", str(write(tmp_path, "good.rules", GOOD)))
    assert code == 70
    assert "internal error" in err
    assert "boom" in err


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def interrupt(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("clinrules.cli.check.check_file", interrupt)
    code, _, _ = run("check", str(write(tmp_path, "good.rules", GOOD)))
    assert code == 130
