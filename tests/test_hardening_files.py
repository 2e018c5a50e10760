"""Issue 12, flaws 3 and 4: every input path is bounded and contained, and no command writes
through a link, a FIFO or a device.

Each test reproduces one attack of the audit. An attack that, before the fix,
hung or read until memory ran out runs in a subprocess with a time-out and a
cap on its address space, so that the attack fails the test instead of the
test run.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import clinrules
from clinrules.authoring import casefile
from clinrules.authoring.cases import CaseFileError, Mismatch, read_case_file
from clinrules.base.errors import RulesetError
from clinrules.check import loader
from clinrules.cli import main
from tests.conftest import ROOT

LANGUAGE = ROOT / "examples" / "language"
PATIENTS = ROOT / "examples" / "patients"
RULESET = str(LANGUAGE / "glute_bridge.rules")

SMALL = """\
ruleset small
  version 1.0.0
  status draft
  model sciatica
exercise walking "Walking"
rule answered for walking:
  check if age is unknown
otherwise allow
"""

SECRET = "TOPSECRET"  # what a refused file holds; it must never be printed


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, io.StringIO(stdin))
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return code, out.getvalue(), err.getvalue()


def _cap_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def cli(
    *argv: str, stdin: object = subprocess.DEVNULL, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`clinrules ARGV` in a child with a time-out and at most 2 GiB of address space."""
    return subprocess.run(
        [sys.executable, "-c", "import sys; from clinrules.cli import main; sys.exit(main())", *argv],
        stdin=stdin,  # type: ignore[arg-type]
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        preexec_fn=_cap_memory,
        check=False,
    )


def codes(error: RulesetError) -> list[str]:
    return [d.code for d in error.diagnostics]


def small_project(tmp_path: Path) -> Path:
    (tmp_path / "small.rules").write_text(SMALL, encoding="utf-8")
    return tmp_path


# ---------------------------------------------------------------- flaw 3: YAML


def _laughs(levels: int) -> str:
    """A patient mapping of anchors, each a list of ten uses of the one before."""
    lines = ["      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"      l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines)


def test_flaw3_yaml_billion_laughs_is_refused(tmp_path: Path) -> None:
    """Ten million strings from a 1 KiB file; each case file is refused before any of it is built."""
    small_project(tmp_path)
    bomb = _laughs(7)
    texts = {
        "expect": f"ruleset: small.rules\ncases:\n  - name: bomb\n    patient:\n{bomb}\n"
        "    expect: {missing: *l6}\n",
        "patient": f"ruleset: small.rules\ncases:\n  - name: bomb\n    patient:\n{bomb}\n"
        "    expect: {triage: clear}\n",
    }
    for where, text in texts.items():
        path = tmp_path / f"{where}.cases.yaml"
        path.write_text(text, encoding="utf-8")
        assert path.stat().st_size < 2048
        with pytest.raises(CaseFileError):
            read_case_file(path)
        code, out, _ = run("test", str(path))
        assert code == 1
        assert "0 passed" in out.splitlines()[-1]


@pytest.mark.parametrize(
    "fragment",
    [
        "    patient: {age: 30}\n    expect: &e {missing: [*e]}\n",
        "    patient: &p {age: 30, me: *p}\n    expect: {triage: clear}\n",
        "    patient: &p {age: 30, <<: *p}\n    expect: {triage: clear}\n",
        "    patient: {age: 30, sessions: &s [*s]}\n    expect: {triage: clear}\n",
    ],
    ids=["list-in-expect", "mapping-in-patient", "self-merge", "list-in-patient"],
)
def test_flaw3_recursive_yaml_alias_is_refused(tmp_path: Path, fragment: str) -> None:
    small_project(tmp_path)
    path = tmp_path / "loop.cases.yaml"
    path.write_text(f"ruleset: small.rules\ncases:\n  - name: loop\n{fragment}", encoding="utf-8")
    with pytest.raises(CaseFileError):
        read_case_file(path)
    assert run("test", str(path))[0] == 1


def test_merge_keys_still_work_as_the_shipped_case_files_use_them(tmp_path: Path) -> None:
    small_project(tmp_path)
    path = tmp_path / "merge.cases.yaml"
    path.write_text(
        "ruleset: small.rules\ncases:\n"
        "  - {name: a, patient: &base {age: 30}, expect: {triage: clear}}\n"
        "  - {name: b, patient: {<<: *base, age: null}, expect: {exercises: {walking: {verdict: check}}}}\n",
        encoding="utf-8",
    )
    assert [c.patient for c in read_case_file(path).cases] == [{"age": 30}, {"age": None}]
    assert run("test", str(path))[0] == 0


def test_a_case_file_with_too_many_yaml_nodes_is_refused(tmp_path: Path) -> None:
    small_project(tmp_path)
    path = tmp_path / "wide.cases.yaml"
    many = ", ".join(["0"] * 250_000)
    path.write_text(
        f"ruleset: small.rules\ncases:\n  - {{name: a, patient: {{age: 30}}, expect: {{missing: [{many}]}}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(CaseFileError):
        read_case_file(path)


HUGE = "x" * 3_000_000


@pytest.mark.parametrize(
    "case",
    [
        f"  - {{name: a, patient: {{age: 30}}, expect: {{triage: {HUGE}}}}}\n",
        f"  - {{name: a, patient: {{age: 30}}, expect: {{exercises: {{walking: {{verdict: {HUGE}}}}}}}}}\n",
        f"  - {HUGE}\n",
        f"  - {{name: a, patient: {{age: 30}}, expect: {{triage: [{', '.join([HUGE[:1000]] * 3000)}]}}}}\n",
    ],
    ids=["triage", "verdict", "case", "list"],
)
def test_flaw3_huge_value_is_not_repr_d_whole(tmp_path: Path, case: str) -> None:
    small_project(tmp_path)
    path = tmp_path / "huge.cases.yaml"
    path.write_text(f"ruleset: small.rules\ncases:\n{case}", encoding="utf-8")
    with pytest.raises(CaseFileError) as raised:
        read_case_file(path)
    assert raised.value.problems
    assert all(len(problem) < 1000 for problem in raised.value.problems)


def test_flaw3_a_mismatch_shows_a_huge_value_cut(tmp_path: Path) -> None:
    nested: list[object] = [HUGE]
    for _ in range(100):
        nested = [nested, HUGE, {"k": HUGE}]
    shown = str(Mismatch("missing", nested, [HUGE] * 1000))
    assert len(shown) < 2 * casefile.SHOW_LIMIT + 200
    assert len(casefile.show(10**5000)) < 100  # more digits than str() may write


# ---------------------------------------------------------------- flaw 3: special files


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def test_flaw3_a_fifo_as_rule_file_does_not_hang(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path / "pipe.rules")
    done = cli("check", str(fifo))
    assert done.returncode in (1, 2), done.stderr
    assert "CR007" in done.stderr
    assert "Traceback" not in done.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


@pytest.mark.parametrize("command", ["fmt", "doc", "eval-ruleset", "eval-patient", "test", "patient-file"])
def test_flaw3_a_fifo_anywhere_a_file_is_read_does_not_hang(tmp_path: Path, command: str) -> None:
    small_project(tmp_path)
    fifo = _fifo(tmp_path / "pipe")
    argv = {
        "fmt": ["fmt", str(fifo)],
        "doc": ["doc", str(fifo)],
        "eval-ruleset": ["eval", str(fifo), str(PATIENTS / "clear.json")],
        "eval-patient": ["eval", str(tmp_path / "small.rules"), str(fifo), "--allow-draft"],
        "test": ["test", str(fifo)],
        "patient-file": ["test", str(tmp_path / "p.cases.yaml")],
    }[command]
    (tmp_path / "p.cases.yaml").write_text(
        "ruleset: small.rules\ncases:\n  - {name: a, patient_file: pipe, expect: {triage: clear}}\n",
        encoding="utf-8",
    )
    done = cli(*argv)
    assert done.returncode in (1, 2), done.stderr
    assert "Traceback" not in done.stderr


def test_a_fifo_as_an_include_is_refused(tmp_path: Path) -> None:
    _fifo(tmp_path / "lib.rules")
    top = tmp_path / "top.rules"
    top.write_text(
        SMALL.replace("exercise walking", 'include "lib.rules"\nexercise walking'), encoding="utf-8"
    )
    done = cli("check", str(top))
    assert done.returncode == 1, done.stderr
    assert "CR007" in done.stderr or "CR215" in done.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_flaw3_dev_zero_as_rule_file_is_refused(tmp_path: Path) -> None:
    done = cli("check", "/dev/zero")
    assert done.returncode == 1, done.stderr
    assert "CR007" in done.stderr
    script = (
        "import clinrules\n"
        "for call in (clinrules.check_file, clinrules.load):\n"
        "    try:\n"
        "        call('/dev/zero')\n"
        "    except clinrules.RulesetError as error:\n"
        "        print(*[d.code for d in error.diagnostics])\n"
    )
    api = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, preexec_fn=_cap_memory
    )
    assert api.stdout.split() == ["CR007", "CR007"], api.stderr
    link = tmp_path / "zero.rules"
    link.symlink_to("/dev/zero")
    done = cli("check", str(tmp_path))  # found by a directory walk: not a rule file, so not checked
    assert done.returncode in (1, 2), done.stderr
    done = cli("check", str(link))
    assert done.returncode == 1, done.stderr
    assert "CR007" in done.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_flaw3_dev_zero_as_patient_file_is_refused(tmp_path: Path) -> None:
    done = cli("eval", RULESET, "/dev/zero", "--allow-draft")
    assert done.returncode == 2, done.stderr
    small_project(tmp_path)
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    for target in ("/dev/zero", "zero.json"):
        (tmp_path / "z.cases.yaml").write_text(
            f"ruleset: small.rules\ncases:\n  - {{name: a, patient_file: {target}, expect: {{triage: clear}}}}\n",
            encoding="utf-8",
        )
        done = cli("test", str(tmp_path / "z.cases.yaml"))
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_flaw3_dev_zero_as_stdin_is_refused() -> None:
    with open("/dev/zero", "rb") as zero:
        done = cli("eval", RULESET, "-", "--allow-draft", stdin=zero)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_as_a_case_file_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.cases.yaml"
    link.symlink_to("/dev/zero")
    done = cli("test", str(link))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_a_patient_larger_than_the_limit_on_stdin_exits_3() -> None:
    from clinrules.base.limits import MAX_PATIENT_BYTES

    code, _, err = run("eval", RULESET, "-", "--allow-draft", stdin=" " * (MAX_PATIENT_BYTES + 1))
    assert code == 3, err


def test_a_directory_where_a_file_is_expected_still_exits_2(tmp_path: Path) -> None:
    assert run("eval", RULESET, str(tmp_path), "--allow-draft")[0] == 2
    assert run("eval", str(tmp_path), str(PATIENTS / "clear.json"))[0] == 2
    assert run("doc", str(tmp_path))[0] == 2


# ---------------------------------------------------------------- flaw 4: case files


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the case file's tree, holding a ruleset and a patient it must not read."""
    there = tmp_path / "outside"
    there.mkdir()
    (there / "secret.rules").write_text(f"ruleset {SECRET} version 1.0.0 status draft\n{SECRET} here\n")
    (there / "secret.json").write_text(f'{{"age": "{SECRET}"}}\n')
    shutil.copy(LANGUAGE / "glute_bridge.rules", there / "glute_bridge.rules")
    shutil.copy(LANGUAGE / "red_flags.rules", there / "red_flags.rules")
    (tmp_path / "tree").mkdir()
    small_project(tmp_path / "tree")
    return there


def _ways_out(tree: Path, target: Path) -> dict[str, str]:
    (tree / "link").symlink_to(target)
    (tree / "dir").symlink_to(target.parent, target_is_directory=True)
    return {
        "absolute": str(target),
        "dotdot": f"../{target.parent.name}/{target.name}",
        "symlink": "link",
        "symlinked-directory": f"dir/{target.name}",
    }


def test_flaw4_case_file_ruleset_outside_its_tree_is_refused(tmp_path: Path, outside: Path) -> None:
    tree = tmp_path / "tree"
    for way, ruleset in _ways_out(tree, outside / "secret.rules").items():
        path = tree / f"{way}.cases.yaml"
        path.write_text(
            f"ruleset: {ruleset}\ncases:\n  - {{name: a, patient: {{}}, expect: {{triage: clear}}}}\n"
        )
        with pytest.raises(CaseFileError) as raised:
            read_case_file(path)
        assert any("'ruleset'" in p for p in raised.value.problems), way
        code, out, err = run("test", str(path))
        assert code == 1, way
        assert SECRET not in out + err, way


def test_flaw4_patient_file_outside_its_tree_is_refused(tmp_path: Path, outside: Path) -> None:
    tree = tmp_path / "tree"
    for way, patient in _ways_out(tree, outside / "secret.json").items():
        path = tree / f"{way}.cases.yaml"
        path.write_text(
            f"ruleset: small.rules\ncases:\n  - {{name: a, patient_file: {patient}, expect: {{triage: clear}}}}\n"
        )
        with pytest.raises(CaseFileError) as raised:
            read_case_file(path)
        assert any("'patient_file'" in p for p in raised.value.problems), way
        code, out, err = run("test", str(path))
        assert code == 1, way
        assert SECRET not in out + err, way


def test_paths_inside_the_tree_through_a_symlink_are_still_read(tmp_path: Path) -> None:
    small_project(tmp_path)
    (tmp_path / "patients").mkdir()
    (tmp_path / "patients" / "p.json").write_text('{"age": 30}')
    (tmp_path / "alias.json").symlink_to(tmp_path / "patients" / "p.json")
    (tmp_path / "alias.rules").symlink_to(tmp_path / "small.rules")
    path = tmp_path / "in.cases.yaml"
    path.write_text(
        "ruleset: alias.rules\ncases:\n"
        "  - {name: a, patient_file: alias.json, expect: {triage: clear}}\n"
        "  - {name: b, patient_file: patients/../patients/p.json, expect: {triage: clear}}\n"
    )
    assert run("test", str(path))[0] == 0


def test_a_ruleset_swapped_for_a_symlink_after_the_case_file_was_read_is_refused(
    tmp_path: Path, outside: Path
) -> None:
    from clinrules.authoring import cases

    tree = tmp_path / "tree"
    path = tree / "s.cases.yaml"
    path.write_text(
        "ruleset: small.rules\ncases:\n  - {name: a, patient: {age: 30}, expect: {triage: clear}}\n"
    )
    case_file = read_case_file(path)
    (tree / "small.rules").unlink()
    (tree / "small.rules").symlink_to(outside / "secret.rules")
    with pytest.raises(RulesetError) as raised:
        cases.load_ruleset(case_file.ruleset, case_file.ruleset_shown, beneath=case_file.root)
    assert codes(raised.value) == ["CR419"]
    assert SECRET not in str(raised.value)


# ---------------------------------------------------------------- flaw 4: includes


@pytest.mark.parametrize("swap", ["file", "directory"])
def test_flaw4_include_swapped_for_a_symlink_after_resolve_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swap: str
) -> None:
    there = tmp_path / "outside"
    there.mkdir()
    (there / "lib.rules").write_text(
        f'library lib version 1.0.0 status draft model sciatica\nexercise {SECRET} "x"\n'
    )
    tree = tmp_path / "tree"
    (tree / "libs").mkdir(parents=True)
    (tree / "libs" / "lib.rules").write_text(
        'library lib version 1.0.0 status draft model sciatica\nexercise inner "x"\n'
    )
    top = tree / "top.rules"
    top.write_text(SMALL.replace("exercise walking", 'include "libs/lib.rules"\nexercise walking'))
    assert "inner" in clinrules.load(top, allow_draft=True).exercises
    read = loader.read_source

    def racing(path: Path, *args: object, **kwargs: object) -> object:
        # Between the confinement check and the open, an attacker swaps in a symbolic link.
        if path.name == "lib.rules":
            if swap == "file":
                (tree / "libs" / "lib.rules").unlink()
                (tree / "libs" / "lib.rules").symlink_to(there / "lib.rules")
            else:
                (tree / "libs").rename(tree / "moved")
                (tree / "libs").symlink_to(there, target_is_directory=True)
        return read(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "read_source", racing)
    with pytest.raises(RulesetError) as raised:
        clinrules.load(top, allow_draft=True)
    assert codes(raised.value) == ["CR419"]
    assert SECRET not in str(raised.value)


# ---------------------------------------------------------------- flaw 4: doc -o


@pytest.mark.parametrize("kind", ["fifo", "symlink", "dangling-symlink", "symlinked-directory"])
def test_flaw4_doc_output_onto_a_fifo_or_symlink_is_refused(tmp_path: Path, kind: str) -> None:
    small_project(tmp_path)
    target = tmp_path / "page.md"
    victim = tmp_path / "victim.md"
    victim.write_text("keep me\n")
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        target.symlink_to(victim)
    elif kind == "dangling-symlink":
        target.symlink_to(tmp_path / "nowhere.md")
    else:
        (tmp_path / "dir").mkdir()
        target.symlink_to(tmp_path / "dir", target_is_directory=True)
    before = target.lstat()
    code, out, err = run("doc", str(tmp_path / "small.rules"), "-o", str(target))
    assert code == 2, err
    assert out == ""
    after = target.lstat()
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert victim.read_text() == "keep me\n"
    assert not (tmp_path / "nowhere.md").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_doc_output_onto_a_regular_file_or_a_new_name_is_written(tmp_path: Path) -> None:
    small_project(tmp_path)
    old = tmp_path / "old.md"
    old.write_text("old\n")
    for target in (old, tmp_path / "new.md"):
        assert run("doc", str(tmp_path / "small.rules"), "-o", str(target))[0] == 0
        assert target.read_text().startswith("#")
        assert stat.S_ISREG(target.lstat().st_mode)


# ---------------------------------------------------------------- flaw 4: fmt

MESSY = "library t\n  version 1.0.0\n  status draft\nladder  l : a,b\n"
TIDY = "library t\n  version 1.0.0\n  status draft\n\nladder l: a, b\n"


def test_flaw4_fmt_keeps_owner_mode_and_hard_links(tmp_path: Path) -> None:
    path = tmp_path / "messy.rules"
    path.write_text(MESSY)
    path.chmod(0o640)
    owner = (12345, 23456) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    if os.geteuid() == 0:
        os.chown(path, *owner)
    before = path.stat()
    assert run("fmt", str(path)) == (0, f"{path}\n", "")
    after = path.stat()
    assert path.read_text() == TIDY
    assert (after.st_uid, after.st_gid) == owner
    assert after.st_mode & 0o7777 == 0o640
    assert after.st_nlink == before.st_nlink == 1

    other = tmp_path / "other.rules"
    path.write_text(MESSY)
    os.link(path, other)
    code, _, err = run("fmt", str(tmp_path))
    assert code == 1
    assert err
    assert path.stat().st_nlink == 2
    assert path.stat().st_ino == other.stat().st_ino
    assert path.read_text() == other.read_text() == MESSY
    assert run("fmt", "--check", str(path))[0] == 1


def test_flaw4_fmt_does_not_rewrite_a_symlinks_target(tmp_path: Path) -> None:
    there = tmp_path / "outside"
    there.mkdir()
    (there / "messy.rules").write_text(MESSY)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.rules").symlink_to(there / "messy.rules")
    (tree / "tidy.rules").write_text(TIDY)
    (tree / "messy.rules").write_text(MESSY)
    for argv in (["fmt", str(tree)], ["fmt", str(tree / "link.rules")]):
        code, _, err = run(*argv)
        assert code == 1
        assert "link.rules" in err
        assert (there / "messy.rules").read_text() == MESSY
        assert (tree / "link.rules").is_symlink()
    assert (tree / "messy.rules").read_text() == TIDY  # the other files are still formatted
    (tree / "tidy_link.rules").symlink_to(tree / "tidy.rules")
    (tree / "link.rules").unlink()
    assert run("fmt", str(tree)) == (0, "", "")  # a link to a formatted file needs no write


def test_fmt_refuses_a_file_changed_while_it_was_formatted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinrules.cli import fmt as fmt_command

    path = tmp_path / "messy.rules"
    path.write_text(MESSY)
    real = fmt_command.format_text

    def edited_meanwhile(text: str, name: str) -> str:
        path.write_text(MESSY + "# a line a colleague just added\n")
        return real(text, name)

    monkeypatch.setattr(fmt_command, "format_text", edited_meanwhile)
    code, _, err = run("fmt", str(path))
    assert code == 1
    assert err
    assert path.read_text().endswith("just added\n")


def test_flaw8_an_include_through_a_loop_of_links_is_cr215_not_a_runtime_error(tmp_path: Path) -> None:
    (tmp_path / "a.rules").symlink_to(tmp_path / "b.rules")
    (tmp_path / "b.rules").symlink_to(tmp_path / "a.rules")
    top = tmp_path / "top.rules"
    top.write_text('ruleset top\ninclude "a.rules"\n', encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        clinrules.check_file(top)
    assert [d.code for d in caught.value.diagnostics] == ["CR215"]
