"""Own models, first class: `--model` on every command that loads rules, a case file's
`model`, the Ottawa ankle rules example, and docs/models.md (issue 16, point 1)."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import sys
import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import clinrules
from clinrules.cli import main
from clinrules.models import ENTRY_POINT_GROUP, UnknownModelError, find_model, model_names
from clinrules.schema.reader import schema_of
from clinrules.schema.types import EnumType
from tests.conftest import ROOT

OTTAWA = ROOT / "examples" / "ottawa"
DOCS = ROOT / "docs" / "models.md"

RULES = """ruleset knee_plan
  version 1.0.0
  status draft
  model knee

exercise squat "Squat"

rule sore for squat:
  avoid if knee_pain > 5

otherwise allow
"""

MODEL = """from pydantic import BaseModel, ConfigDict, Field


class Patient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    knee_pain: int | None = Field(default=None, ge=0, le=10)
"""

CASES = """ruleset: knee.rules
{model}cases:
  - name: a sore knee holds the squat back
    patient: {{knee_pain: 7}}
    expect:
      exercises:
        squat: {{verdict: avoid}}
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """A directory with a rule file whose model is not registered, and the module of that model.

    The module's name is unique to the test, as `import` caches a module by name for the process.
    """
    name = "own_" + re.sub(r"\W", "_", request.node.name)
    (tmp_path / "knee.rules").write_text(RULES, encoding="utf-8")
    (tmp_path / f"{name}.py").write_text(MODEL, encoding="utf-8")
    (tmp_path / "patient.json").write_text('{"knee_pain": 7}', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return name


# ---------------------------------------------------------------- --model module:Class


def test_check_takes_a_model_as_module_and_class(project: str) -> None:
    assert run("check", "knee.rules")[0] == 1  # the header's model 'knee' is not registered
    assert run("check", "--model", f"{project}:Patient", "knee.rules")[0] == 0


def test_check_without_a_model_it_can_find_says_to_pass_one(project: str) -> None:
    code, _, err = run("check", "knee.rules")
    assert code == 1
    assert "CR205" in err
    assert "--model" in err


def test_eval_takes_a_model_as_module_and_class(project: str) -> None:
    code, out, _ = run(
        "eval",
        "--model",
        f"{project}:Patient",
        "--allow-draft",
        "--format",
        "json",
        "knee.rules",
        "patient.json",
    )
    assert code == 0
    assert json.loads(out)["exercises"]["squat"]["verdict"] == "avoid"


def test_doc_takes_a_model_as_module_and_class(project: str) -> None:
    assert run("doc", "knee.rules")[0] == 1
    code, out, _ = run("doc", "--model", f"{project}:Patient", "knee.rules")
    assert code == 0
    assert f"{project}:Patient" in out.replace("\\_", "_")  # the page names the model it was checked against


def test_test_takes_a_model_as_module_and_class(project: str) -> None:
    Path("knee.cases.yaml").write_text(CASES.format(model=""), encoding="utf-8")
    assert run("test", "knee.cases.yaml")[0] == 1
    code, out, _ = run("test", "--model", f"{project}:Patient", "knee.cases.yaml")
    assert code == 0, out
    assert "1 passed, 0 failed" in out


def test_model_takes_a_registered_name_too(project: str) -> None:
    assert run("check", "--model", "sciatica", str(ROOT / "examples" / "ladder_flare.rules"))[0] == 0
    assert run("check", "--model", "sciatica", "knee.rules")[0] == 1  # no field knee_pain: CR201


@pytest.mark.parametrize("command", ["check", "test", "doc", "eval"])
@pytest.mark.parametrize(
    "spec",
    [
        "no_such_module_anywhere:Patient",
        "{project}:NoSuchClass",
        "{project}:ConfigDict",  # not a pydantic model class
        "json:loads",
        "not a spec:",
        "unregistered_name",
    ],
    ids=["bad module", "bad class", "not a model", "not a class", "malformed", "unknown name"],
)
def test_a_model_that_cannot_be_found_is_a_usage_error(project: str, command: str, spec: str) -> None:
    argv = {
        "check": ["knee.rules"],
        "test": ["."],
        "doc": ["knee.rules"],
        "eval": ["knee.rules", "patient.json"],
    }
    code, out, err = run(command, "--model", spec.format(project=project), *argv[command])
    assert code == 2
    assert err.startswith("clinrules: error: --model")
    assert "Traceback" not in err + out


@pytest.mark.parametrize(
    "body",
    [
        "raise ZeroDivisionError('boom')",
        "import sys\nsys.exit(3)",
        "import no_such_dependency_here",
        "this is not python",
    ],
    ids=["raises", "exits", "missing dependency", "syntax error"],
)
def test_a_module_that_raises_on_import_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, request: pytest.FixtureRequest
) -> None:
    name = "broken_" + re.sub(r"\W", "_", request.node.name)
    (tmp_path / f"{name}.py").write_text(body + "\n", encoding="utf-8")
    (tmp_path / "knee.rules").write_text(RULES, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run("check", "--model", f"{name}:Patient", "knee.rules")
    assert code == 2
    assert "could not import" in err
    assert "Traceback" not in err + out


def test_the_current_directory_is_on_sys_path_only_for_the_import(project: str) -> None:
    before = list(sys.path)
    assert run("check", "--model", f"{project}:Patient", "knee.rules")[0] == 0
    assert sys.path == before


# ---------------------------------------------------------------- a case file's model


def test_a_case_file_may_name_its_model(project: str, tmp_path: Path) -> None:
    (tmp_path / "knee.cases.yaml").write_text(
        CASES.format(model=f"model: {project}:Patient\n"), encoding="utf-8"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, out, _ = run("test", str(tmp_path / "knee.cases.yaml"))
    assert code == 0, out
    # The module is found beside the case file, not in the current directory.
    import os

    os.chdir(elsewhere)
    assert run("test", str(tmp_path / "knee.cases.yaml"))[0] == 0


def test_a_case_file_imports_only_a_module_beside_it(project: str, tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "knee.rules").write_text(RULES, encoding="utf-8")
    # The module is one directory up, and an installed module is not beside it either.
    for spec in (f"{project}:Patient", "json:JSONDecoder"):
        (sub / "knee.cases.yaml").write_text(CASES.format(model=f"model: {spec}\n"), encoding="utf-8")
        code, _, err = run("test", str(sub / "knee.cases.yaml"))
        assert code == 1
        assert "'model'" in err


@pytest.mark.parametrize(
    "model", ["model: 42\n", "model: ''\n", "model: [a]\n"], ids=["number", "empty", "list"]
)
def test_a_case_file_model_that_is_not_a_name_is_refused(project: str, model: str) -> None:
    Path("knee.cases.yaml").write_text(CASES.format(model=model), encoding="utf-8")
    code, _, err = run("test", "knee.cases.yaml")
    assert code == 1
    assert "'model' must name" in err


def test_a_case_file_model_that_raises_on_import_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "knee.rules").write_text(RULES, encoding="utf-8")
    (tmp_path / "raising_case_model.py").write_text("raise RuntimeError('no')\n", encoding="utf-8")
    (tmp_path / "knee.cases.yaml").write_text(
        CASES.format(model="model: raising_case_model:Patient\n"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = run("test", "knee.cases.yaml")
    assert code == 1
    assert "could not import" in err
    assert "Traceback" not in err + out


def test_model_on_the_command_line_and_in_the_case_file_must_agree(project: str, tmp_path: Path) -> None:
    (tmp_path / "other_knee_model.py").write_text(MODEL, encoding="utf-8")
    Path("knee.cases.yaml").write_text(CASES.format(model=f"model: {project}:Patient\n"), encoding="utf-8")
    assert run("test", "--model", f"{project}:Patient", "knee.cases.yaml")[0] == 0
    # The same fields in another class still conflict: the cases were written for their own model.
    code, out, err = run("test", "--model", "other_knee_model:Patient", "knee.cases.yaml")
    assert code == 1
    assert "--model" in err
    assert "0 passed, 0 failed" in out


def test_two_modules_of_one_name_are_not_mixed_up(tmp_path: Path) -> None:
    for side in ("a", "b"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "twin_model_name.py").write_text(MODEL, encoding="utf-8")
    assert find_model("twin_model_name:Patient", tmp_path / "a").__name__ == "Patient"
    with pytest.raises(UnknownModelError, match="already loaded"):
        find_model("twin_model_name:Patient", tmp_path / "b")


# ---------------------------------------------------------------- the registry


def test_listing_models_includes_the_built_ins_beside_a_users_own(monkeypatch: pytest.MonkeyPatch) -> None:
    own = EntryPoint("ankle", "tests.support.models:Athlete", ENTRY_POINT_GROUP)
    monkeypatch.setattr(
        "clinrules.models.entry_points", lambda group: [own] if group == ENTRY_POINT_GROUP else []
    )
    assert {"sciatica", "ankle"} <= set(model_names())
    code, _, err = run("schema", "patient", "--model", "nope")
    assert code == 2
    assert {"ankle", "sciatica"} <= set(err.split("the models are: ", 1)[1].strip().split(", "))


# ---------------------------------------------------------------- the Ottawa ankle rules


def test_the_ottawa_case_file_passes_with_the_model_it_names() -> None:
    code, out, err = run("test", "--min-coverage", "100", str(OTTAWA / "ottawa.cases.yaml"))
    assert code == 0, out + err
    assert "13 passed, 0 failed" in out


def test_the_ottawa_rules_check_with_their_model(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("check", str(OTTAWA / "ottawa.rules"))[0] == 1  # CR205: 'ottawa' is not registered
    monkeypatch.chdir(OTTAWA)
    code, out, err = run("check", "--model", "ottawa_model:Patient", "ottawa.rules")
    assert code == 0, err
    assert "0 errors" in out


def test_the_ottawa_rules_hold_the_ankle_back_for_each_criterion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(OTTAWA)
    clear = {
        "age": 30,
        "pain": {"malleolar_zone": True, "midfoot_zone": True},
        "weight_bearing": {"immediately": True, "in_department": True},
        "bone_tenderness": dict.fromkeys(
            ("lateral_malleolus", "medial_malleolus", "fifth_metatarsal", "navicular"), False
        ),
    }
    source = OTTAWA / "ottawa_model.py"
    spec = importlib.util.spec_from_file_location("ottawa_model_for_test", source)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # pydantic resolves annotations in it
    spec.loader.exec_module(module)
    ruleset = clinrules.load(OTTAWA / "ottawa.rules", model=module.Patient, allow_draft=True)

    def xrays(patient: dict[str, object]) -> tuple[str | None, str | None, str]:
        decision = ruleset.evaluate(patient)
        assessed = decision.assessments
        return (
            assessed["ankle_xray"].value,
            assessed["foot_xray"].value,
            decision.exercises["ankle_rom"].verdict,
        )

    assert xrays(clear) == ("not_indicated", "not_indicated", "allow")
    series = {"lateral_malleolus": 0, "medial_malleolus": 0, "fifth_metatarsal": 1, "navicular": 1}
    for finding, which in series.items():
        patient = {**clear, "bone_tenderness": {**clear["bone_tenderness"], finding: True}}
        ankle, foot, verdict = xrays(patient)
        assert ((ankle, foot)[which], (ankle, foot)[1 - which], verdict) == (
            "indicated",
            "not_indicated",
            "avoid",
        )
    unable = {**clear, "weight_bearing": {"immediately": False, "in_department": False}}
    assert xrays(unable) == ("indicated", "indicated", "avoid")
    assert xrays({**clear, "age": 17}) == ("not_applicable", "not_applicable", "avoid")
    assert xrays({**clear, "age": None}) == (None, None, "check")  # an unknown age is never an adult's


# ---------------------------------------------------------------- docs/models.md


def _titled(kind: str, title: str) -> str:
    match = re.search(
        rf'```{kind} title="{re.escape(title)}"\n(.*?)```', DOCS.read_text(encoding="utf-8"), re.DOTALL
    )
    assert match is not None, title
    return match.group(1)


@pytest.mark.parametrize(
    ("kind", "name"),
    [("python", "ottawa_model.py"), ("clinrules", "ottawa.rules"), ("yaml", "ottawa.cases.yaml")],
)
def test_the_files_shown_in_models_md_are_the_example_files(kind: str, name: str) -> None:
    assert _titled(kind, f"examples/ottawa/{name}") == (OTTAWA / name).read_text(encoding="utf-8")


def test_the_session_log_model_of_models_md_is_one_rules_can_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "session_log_doc.py").write_text(
        _titled("python", "a model with a session log"), encoding="utf-8"
    )
    spec = importlib.util.spec_from_file_location("session_log_doc", tmp_path / "session_log_doc.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # pydantic resolves annotations in it
    spec.loader.exec_module(module)
    schema = schema_of(module.Patient)
    assert schema.has_sessions
    assert schema.session_fields["effort"].type == EnumType(
        "Effort", ("easy", "moderate", "hard", "maximal"), True
    )


def test_the_pyproject_of_models_md_registers_the_model() -> None:
    block = re.search(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert block is not None
    project = tomllib.loads(block.group(1))["project"]
    assert project["entry-points"][ENTRY_POINT_GROUP] == {"ottawa": "ottawa_rules.model:Patient"}
    assert "clinrules" in project["dependencies"]
