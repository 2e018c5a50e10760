"""The docs agree with the code: one anchor per diagnostic code, every keyword
listed, and every `clinrules` code block in the docs parses."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

import clinrules
from clinrules.base.diagnostics import CODES
from clinrules.cli import main
from clinrules.syntax.grammar import parser
from tests.conftest import ROOT

DOCS = ROOT / "docs"


def _blocks() -> list[object]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for index, match in enumerate(re.finditer(r"```clinrules\n(.*?)```", text, re.DOTALL)):
            line = text.count("\n", 0, match.start()) + 1
            found.append(pytest.param(match.group(1), id=f"{page.name}:{line}:{index}"))
    return found


def test_every_diagnostic_code_has_one_anchor() -> None:
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (CR\d{3})\b", text, re.MULTILINE)
    assert sorted(headings) == sorted(CODES)


def test_every_keyword_is_listed_in_the_language_reference() -> None:
    text = (DOCS / "language.md").read_text(encoding="utf-8")
    keywords = {
        str(t.pattern.value)
        for t in parser().terminals
        if t.pattern.type == "str" and str(t.pattern.value).isalpha()
    }
    missing = sorted(k for k in keywords if f"`{k}`" not in text)
    assert not missing


def test_the_docs_have_rule_examples() -> None:
    assert len(_blocks()) >= 5


@pytest.mark.parametrize("block", _blocks())
def test_clinrules_blocks_in_the_docs_check_clean(block: str, tmp_path: Path) -> None:
    if re.search(r"^include ", block, re.MULTILINE):  # needs a library beside it: syntax only
        clinrules.parse(block, "docs-example.rules")
        return
    path = tmp_path / "docs-example.rules"
    path.write_text(block, encoding="utf-8")
    clinrules.check_file(path)  # raises RulesetError on any error; warnings are fine


def _example_outputs() -> list[object]:
    """Each ```text example directly followed by the ```console output it gets."""
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    block = r"((?:(?!```).)*)```"
    pairs = re.finditer(r"```text\n" + block + r"\s*```console\n" + block, text, re.DOTALL)
    found = []
    for match in pairs:
        source, output = match.group(1), match.group(2)
        if re.search(r"CR00[2-5]", output):  # made from bytes or huge inputs, described in words
            continue
        line = text.count("\n", 0, match.start()) + 1
        found.append(pytest.param(source, output, id=f"errors.md:{line}"))
    return found


@pytest.mark.parametrize(("source", "output"), _example_outputs())
def test_diagnostics_shown_in_the_docs_are_what_check_prints(
    source: str, output: str, tmp_path: Path
) -> None:
    (tmp_path / "example.rules").write_text(source, encoding="utf-8")
    err = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        main(["check", "example.rules"], io.StringIO(), err)
    finally:
        os.chdir(cwd)
    assert err.getvalue().strip() == output.strip()


def _anchor(heading: str) -> str:
    """The anchor mkdocs (Python-Markdown's toc) gives a heading."""
    slug = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"[\s]+", "-", slug)


def test_links_between_pages_resolve() -> None:
    anchors = {
        page.name: {
            _anchor(h) for h in re.findall(r"^#+ (.*)$", page.read_text(encoding="utf-8"), re.MULTILINE)
        }
        for page in DOCS.glob("*.md")
    }
    checked = 0
    for page in DOCS.glob("*.md"):
        for target, anchor in re.findall(r"\]\(([\w.-]*\.md)?#([\w-]+)\)", page.read_text(encoding="utf-8")):
            assert anchor in anchors[target or page.name], f"{page.name}: {target}#{anchor}"
            checked += 1
    assert checked > 20


def _fixes() -> list[object]:
    """Each whole rule file shown as the fix of a diagnostic in errors.md."""
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"\*\*Fix\.\*\*(.*?)(?=^## |\*\*Example|\Z)", text, re.DOTALL | re.MULTILINE):
        for block in re.finditer(r"```text\n(.*?)```", match.group(1), re.DOTALL):
            source = block.group(1)
            if re.search(r"^(ruleset|library) ", source, re.MULTILINE) and not re.search(
                r"^include ", source, re.M
            ):
                line = text.count("\n", 0, match.start() + block.start()) + 1
                found.append(pytest.param(source, id=f"errors.md:{line}"))
    return found


def test_the_docs_show_fixes() -> None:
    assert len(_fixes()) >= 40


@pytest.mark.parametrize("source", _fixes())
def test_every_fix_in_the_docs_checks_clean(source: str, tmp_path: Path) -> None:
    path = tmp_path / "example.rules"
    path.write_text(source, encoding="utf-8")
    clinrules.check_file(path)  # raises RulesetError on any error


def test_the_decision_shown_in_semantics_is_what_eval_prints() -> None:
    text = (DOCS / "semantics.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- decision: (\w+) ([\w ]+) -->\n```json\n(.*?)```", text, re.DOTALL)
    assert match is not None
    name, exercises, shown = match.group(1), match.group(2).split(), match.group(3)
    argv = [
        "eval",
        str(ROOT / "examples" / "language" / "glute_bridge.rules"),
        str(ROOT / "examples" / "patients" / f"{name}.json"),
        "--allow-draft",
        "--format",
        "json",
    ]
    for exercise in exercises:
        argv += ["--exercise", exercise]
    out = io.StringIO()
    assert main(argv, out, io.StringIO()) == 0
    assert out.getvalue() == shown


def test_the_python_examples_of_getting_started_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(blocks) >= 5
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "getting-started.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "glute_bridge_sciatica 2.0.0 review" in printed
    assert "avoid ['harder_after_adverse', 'single_adverse_step_down']" in printed
    assert "(('age', 'must be less than or equal to 120, got 300'),)" in printed
    assert "parameter 'pain_ceiling' must be between 2 and 5, got 9" in printed


# errors.md's Python blocks need the rule file beside them: see test_the_python_of_errors_md_runs_and_gives_the_output_shown.
@pytest.mark.parametrize(
    "page",
    sorted(p.name for p in DOCS.glob("*.md") if "```python" in p.read_text() and p.name != "errors.md"),
)
def test_every_python_example_in_the_docs_runs(
    page: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each page's Python blocks run in order, with `patient` set to a scenario patient."""
    import json

    monkeypatch.chdir(ROOT)
    patient = json.loads(
        (ROOT / "rulesets" / "sciatica" / "patients" / "16_one_delayed_flare.json").read_text()
    )
    namespace: dict[str, object] = {"patient": patient}
    for block in re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), re.DOTALL):
        exec(compile(block, page, "exec"), namespace)
    capsys.readouterr()


def _sections_with_python() -> list[object]:
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    sections = re.split(r"^(?=## CR\d{3})", text, flags=re.MULTILINE)
    return [
        pytest.param(section, id=section[3:8])
        for section in sections
        if section.startswith("## CR") and "```python" in section
    ]


def test_errors_md_has_python_examples() -> None:
    assert len(_sections_with_python()) >= 3


@pytest.mark.parametrize("section", _sections_with_python())
def test_the_python_of_errors_md_runs_and_gives_the_output_shown(
    section: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The section's first rule file is saved as example.rules; its Python blocks run in order.

    A block may raise RulesetError only with the section's own code. The
    console block after the example shows the diagnostic of the section's
    code as checking with the model the section names (`model=NAME`), or
    without one `load`, reports it.
    """
    from pydantic import BaseModel

    code = section[3:8]
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.DOTALL)
    rules = next(body for kind, body in blocks if kind == "text" and re.match(r"(ruleset|library) ", body))
    (tmp_path / "example.rules").write_text(rules, encoding="utf-8")
    namespace: dict[str, object] = {"BaseModel": BaseModel}
    exec("from pydantic import BaseModel, Field", namespace)
    shown: list[str] = []
    for kind, body in blocks:
        if kind == "console" and not shown:  # the example's output, checked before any fix runs
            shown.append(body.rstrip("\n"))
            assert _diagnostics_of(code, section, rules, namespace) == shown
        if kind != "python":
            continue
        try:
            exec(compile(body, f"errors.md {code}", "exec", dont_inherit=True), namespace)
        except clinrules.RulesetError as error:
            raised = {d.code for d in error.diagnostics}
        else:
            raised = {code}
        assert code in raised
    capsys.readouterr()
    assert shown


def _diagnostics_of(code: str, section: str, rules: str, namespace: dict[str, object]) -> list[str]:
    """example.rules's diagnostics of `code`, rendered, checked with the model the section names."""
    from clinrules.base.diagnostics import render

    named = re.search(r"model=(\w+)", section)
    try:
        if named:
            # A warning (CR5xx) is returned, not raised.
            found = clinrules.check_file("example.rules", model=namespace[named.group(1)])  # type: ignore[arg-type]
            return [render(d, rules) for d in found if d.code == code]
        else:
            clinrules.load("example.rules")
    except clinrules.RulesetError as error:
        return [render(d, rules) for d in error.diagnostics if d.code == code]
    return []


def test_the_decision_on_the_home_page_is_what_the_demo_prints() -> None:
    shown = re.search(
        r"## A decision on screen.*?```text\n(.*?)```", (DOCS / "index.md").read_text(), re.DOTALL
    )
    assert shown is not None
    out, err = io.StringIO(), io.StringIO()
    patient = ROOT / "rulesets" / "sciatica" / "patients" / "16_one_delayed_flare.json"
    ruleset = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
    assert main(["eval", str(ruleset), str(patient), "--allow-draft"], out=out, err=err) == 0
    assert shown.group(1) in out.getvalue()


def test_the_case_of_the_clinicians_guide_passes_against_its_rules(tmp_path: Path) -> None:
    text = (DOCS / "clinicians.md").read_text(encoding="utf-8")
    rules = re.search(r"```clinrules\n(ruleset my_bridge_rules\n.*?)```", text, re.DOTALL)
    cases = re.search(r"```yaml\n(ruleset: my_bridge_rules.rules\n.*?)```", text, re.DOTALL)
    assert rules is not None
    assert cases is not None
    (tmp_path / "my_bridge_rules.rules").write_text(rules.group(1), encoding="utf-8")
    (tmp_path / "my_bridge_rules.cases.yaml").write_text(cases.group(1), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["test", str(tmp_path)], out=out, err=err) == 0, out.getvalue() + err.getvalue()
    assert "1 passed, 0 failed" in out.getvalue()


def test_every_test_reliability_md_names_exists() -> None:
    """docs/reliability.md backs each guarantee and limit with a test: each must be real."""
    text = (DOCS / "reliability.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(?:[\w/.]+::)?(test_\w+)`", text))
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS.parent / "tests").rglob("*.py"))
    assert len(named) > 100
    assert sorted(n for n in named if not re.search(rf"def {n}\b", sources)) == []
