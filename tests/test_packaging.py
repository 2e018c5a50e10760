"""Packaging works both ways: from a built wheel outside the checkout, and editable.

The wheel test builds the wheel without network access (hatchling is a dev
dependency), installs it into a fresh virtual environment in a temporary
directory, and runs `clinrules check` there on a copied rule file. The fresh
environment borrows only the third-party dependencies (lark, pydantic, PyYAML)
from the development environment through a .pth file: never clinrules itself.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import clinrules
from clinrules.syntax.grammar import grammar_path
from tests.conftest import ROOT


def test_editable_install_reads_the_checkouts_grammar() -> None:
    assert Path(clinrules.__file__).resolve().is_relative_to(ROOT / "src")
    assert grammar_path() == ROOT / "grammar" / "clinrules.lark"


@pytest.mark.slow
def test_wheel_installed_outside_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("clinrules-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "clinrules/py.typed" in names
    assert "clinrules/_grammar/clinrules.lark" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(ROOT / "examples" / "language" / "glute_bridge.rules", work / "copied.rules")
    shutil.copy(ROOT / "examples" / "language" / "red_flags.rules", work / "red_flags.rules")
    (work / "broken.rules").write_text("ruleset r version 1.0.0 status draft\nrule a for b:\n  stp if x\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    where = subprocess.run(
        [
            str(python),
            "-c",
            "import clinrules, clinrules.syntax.grammar as g; print(clinrules.__file__); print(g.grammar_path())",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
    ).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where
    assert Path(where[1]).name == "clinrules.lark"

    def check(name: str) -> subprocess.CompletedProcess[str]:
        command = [str(venv / "bin" / "clinrules"), "check", name]
        return subprocess.run(command, capture_output=True, text=True, cwd=work, env=env)

    clean = check("copied.rules")
    assert clean.returncode == 0, clean.stderr
    assert "0 errors" in clean.stdout

    broken = check("broken.rules")
    assert broken.returncode == 1
    assert "broken.rules:3:3: CR101" in broken.stderr
