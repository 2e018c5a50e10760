"""`clinrules questionnaire`: FHIR R4 Questionnaires from a model's fields and their questions."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from clinrules.authoring import questionnaire as q
from clinrules.cli import main
from clinrules.cli.args import QUESTIONNAIRE_PARTS
from clinrules.models import sciatica, startback
from clinrules.schema.reader import schema_of

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "questionnaire"
DATE = "2026-03-01"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def made(part: str, model: str = "sciatica") -> dict[str, Any]:
    code, out, err = run("questionnaire", "--model", model, "--part", part, "--date", DATE)
    assert code == 0, err
    resource: dict[str, Any] = json.loads(out)
    return resource


def link_ids(resource: dict[str, Any]) -> list[str]:
    return [item["linkId"] for item in resource["item"]]


def _asked_by(model: type[Any], prefix: str, who: str) -> list[str]:
    """The fields of a pydantic model whose question `who` answers, as paths, in declaration order."""
    return [
        prefix + name
        for name, info in model.model_fields.items()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("answered_by") in who
    ]


PATIENT_OR_DEVICE = ("patient", "device")
EXPECTED = {
    "screen": _asked_by(sciatica.RedFlags, "red_flags.", PATIENT_OR_DEVICE),
    "startback": _asked_by(startback.StartBack, "startback.", PATIENT_OR_DEVICE),
    "session": _asked_by(sciatica.Session, "sessions.", PATIENT_OR_DEVICE),
    "checkin": _asked_by(sciatica.Patient, "", PATIENT_OR_DEVICE)
    + _asked_by(sciatica.Symptoms, "symptoms.", PATIENT_OR_DEVICE),
    "exam": _asked_by(sciatica.RedFlags, "red_flags.", ("clinician",))
    + _asked_by(sciatica.Exam, "exam.", ("clinician", "patient", "device")),
}


@pytest.mark.parametrize("part", sorted(EXPECTED))
def test_every_field_of_a_part_is_an_item_once_named_by_its_path(part: str) -> None:
    resource = made(part)
    assert link_ids(resource) == EXPECTED[part]
    assert len(set(link_ids(resource))) == len(resource["item"])
    schema = schema_of(sciatica.Patient)
    paths = set(schema.fields) | {info.path for info in schema.session_fields.values()}
    assert set(link_ids(resource)) <= paths


def test_the_clinicians_fields_are_in_no_patient_part() -> None:
    clinicians = set(EXPECTED["exam"])
    assert "red_flags.longstanding" in clinicians  # it lowers red flags: never asked of the patient
    for part in ("checkin", "screen", "session", "startback"):
        assert clinicians.isdisjoint(link_ids(made(part)))
    exam = made("exam")
    assert {
        e["valueCode"] for i in exam["item"] for e in i["extension"] if e["url"] == q.ANSWERED_BY_URL
    } == {"clinician"}


def test_no_text_holds_a_field_path_and_every_question_is_the_models() -> None:
    schema = schema_of(sciatica.Patient)
    every = {**schema.fields, **{info.path: info for info in schema.session_fields.values()}}
    leaves = {path.rsplit(".", 1)[-1] for path in every if "_" in path.rsplit(".", 1)[-1]}
    for part in EXPECTED:
        for item in made(part)["item"]:
            assert item["text"] == every[item["linkId"]].ask
            assert not any(path in item["text"] for path in every if "." in path)
            assert not any(leaf in item["text"] for leaf in leaves)


def test_types_follow_the_fields_and_nothing_is_required() -> None:
    items = {item["linkId"]: item for part in EXPECTED for item in made(part)["item"]}
    assert items["red_flags.saddle_anaesthesia"]["type"] == "boolean"
    assert items["symptoms.back_pain"]["type"] == "integer"
    assert items["body_mass"]["type"] == "decimal"
    assert items["red_flags.screened_at"]["type"] == "dateTime"
    assert items["sessions.exercise"]["type"] == "string"
    assert items["symptoms.radiating_pain"]["type"] == "choice"
    assert "repeats" not in items["symptoms.radiating_pain"]
    assert items["exam.weakness"]["type"] == "choice"
    assert items["exam.weakness"]["repeats"] is True
    assert all(item["required"] is False for item in items.values())
    assert not any(item["type"] == "open-choice" for item in items.values())
    device = {path for path, item in items.items() if item.get("readOnly")}
    assert device == {
        "as_of",
        "symptoms.reported_at",
        "red_flags.screened_at",
        "sessions.exercise",
        "sessions.at",
    }


def test_enums_are_answer_options_in_member_order_in_a_code_system_of_their_own() -> None:
    items = {item["linkId"]: item for item in made("checkin")["item"]}
    codings = [option["valueCoding"] for option in items["symptoms.radiating_pain"]["answerOption"]]
    assert [c["code"] for c in codings] == [member.value for member in sciatica.Extent]
    assert codings[3]["display"] == "below knee"
    assert {c["system"] for c in codings} == {"https://clinrules.org/fhir/CodeSystem/sciatica/Extent"}
    sides = items["symptoms.side"]["answerOption"]
    assert {o["valueCoding"]["system"] for o in sides} == {
        "https://clinrules.org/fhir/CodeSystem/sciatica/Side"
    }


def test_bounds_and_units_are_the_standard_extensions() -> None:
    items = {item["linkId"]: item for part in EXPECTED for item in made(part)["item"]}

    def extension(link_id: str, url: str) -> dict[str, Any]:
        (found,) = [e for e in items[link_id]["extension"] if e["url"] == url]
        return found

    assert extension("symptoms.back_pain", q.MIN_VALUE_URL) == {"url": q.MIN_VALUE_URL, "valueInteger": 0}
    assert extension("symptoms.back_pain", q.MAX_VALUE_URL) == {"url": q.MAX_VALUE_URL, "valueInteger": 10}
    assert extension("body_mass", q.UNIT_URL)["valueCoding"] == {
        "system": q.UCUM,
        "code": "kg",
        "display": "kg",
    }
    assert extension("age", q.UNIT_URL)["valueCoding"]["code"] == "a"
    assert extension("sessions.hold_seconds", q.UNIT_URL)["valueCoding"]["code"] == "s"
    assert extension("sessions.load", q.MIN_VALUE_URL) == {"url": q.MIN_VALUE_URL, "valueDecimal": 0}
    assert q.unit_coding("mmHg") == {"display": "mmHg"}  # a model's own unit: its word, no code


def test_the_resource_names_the_model_part_and_version() -> None:
    resource = made("screen")
    assert resource["url"] == "https://clinrules.org/fhir/Questionnaire/sciatica/2/screen"
    assert resource["version"] == str(sciatica.MODEL_VERSION)
    assert resource["status"] == "draft"
    assert resource["subjectType"] == ["Patient"]
    assert resource["date"] == DATE


def test_the_screen_is_the_golden_file_byte_for_byte() -> None:
    # After a deliberate change: write this output to tests/golden/questionnaire/sciatica-screen.json, read the diff.
    code, out, _ = run("questionnaire", "--model", "sciatica", "--part", "screen", "--date", DATE)
    assert code == 0
    assert out == (GOLDEN / "sciatica-screen.json").read_text(encoding="utf-8")
    assert run("questionnaire", "--part", "screen", "--date", DATE, "--model", "sciatica")[1] == out


def test_all_is_a_bundle_of_every_part_in_order() -> None:
    bundle = made("all")
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    resources = [entry["resource"] for entry in bundle["entry"]]
    assert [r["url"].rsplit("/", 1)[-1] for r in resources] == list(q.PARTS)
    assert resources[1] == made("screen")
    assert len({entry["fullUrl"] for entry in bundle["entry"]}) == len(q.PARTS)
    assert (*q.PARTS, q.ALL) == QUESTIONNAIRE_PARTS
    assert (
        run("questionnaire", "--model", "sciatica", "--date", DATE)[1]
        == json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    )


@pytest.mark.parametrize("part", [*q.PARTS, q.ALL])
def test_the_output_is_valid_fhir_r4b(part: str) -> None:
    pytest.importorskip("fhir.resources")
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.questionnaire import Questionnaire

    resource = made(part)
    parsed = (Bundle if part == q.ALL else Questionnaire).model_validate(resource)
    assert parsed.model_dump(mode="json", exclude_none=True)["resourceType"] == resource["resourceType"]


def test_an_own_model_from_the_current_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "examples" / "ottawa")
    checkin = made("checkin", "ottawa_model:Patient")
    assert link_ids(checkin) == [
        "age",
        "pain.malleolar_zone",
        "pain.midfoot_zone",
        "weight_bearing.immediately",
    ]
    assert "version" not in checkin  # the model gives none
    assert checkin["url"] == "https://clinrules.org/fhir/Questionnaire/ottawa_model-Patient/checkin"
    exam = made("exam", "ottawa_model:Patient")
    assert link_ids(exam) == [
        "weight_bearing.in_department",
        "bone_tenderness.lateral_malleolus",
        "bone_tenderness.medial_malleolus",
        "bone_tenderness.fifth_metatarsal",
        "bone_tenderness.navicular",
    ]
    bundle = made("all", "ottawa_model:Patient")
    assert [e["resource"]["id"] for e in bundle["entry"]] == [
        "ottawa-model-Patient-checkin",
        "ottawa-model-Patient-exam",
    ]
    code, out, err = run("questionnaire", "--model", "ottawa_model:Patient", "--part", "screen")
    assert (code, out) == (1, "")
    assert "the part 'screen' has no fields" in err


def test_output_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "screen.json"
    code, out, _ = run(
        "questionnaire", "--model", "sciatica", "--part", "screen", "--date", DATE, "-o", str(target)
    )
    assert (code, out) == (0, "")
    assert target.read_text(encoding="utf-8") == (GOLDEN / "sciatica-screen.json").read_text(encoding="utf-8")
    code, _, err = run("questionnaire", "--model", "sciatica", "-o", str(tmp_path))
    assert code == 2
    assert "is a directory" in err


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["--part", "redflags"], "give one of checkin, screen, session, startback, exam, or all"),
        (["--date", "yesterday"], "not a date"),
        (["--model", "nope"], "the registered models are"),
        ([], "--model"),
    ],
)
def test_bad_arguments_are_usage_errors_with_a_hint(argv: list[str], hint: str) -> None:
    model = [] if "--model" in argv or not argv else ["--model", "sciatica"]
    code, out, err = run("questionnaire", *model, *argv)
    assert (code, out) == (2, "")
    assert hint in err
    assert "Traceback" not in err


MODELS = {
    "enum_with_spaces": """
        from enum import StrEnum
        from pydantic import BaseModel, Field

        class Side(StrEnum):
            LEFT = "left side "
            RIGHT = "right"

        class Patient(BaseModel):
            side: Side | None = Field(default=None, json_schema_extra={"ask": "Which side?"})
    """,
    "huge_bound": """
        from pydantic import BaseModel, Field

        class Patient(BaseModel):
            steps: int | None = Field(default=None, ge=0, le=10**12, json_schema_extra={"ask": "How many steps?"})
    """,
    "no_question": """
        from pydantic import BaseModel

        class Patient(BaseModel):
            pregnant: bool | None = None
    """,
}


@pytest.mark.parametrize(
    ("module", "path", "what"),
    [
        ("enum_with_spaces", "side", "cannot be FHIR codes ('left side ')"),
        ("huge_bound", "steps", "beyond what a FHIR integer holds"),
        ("no_question", "pregnant", "it has no question"),
    ],
)
def test_a_field_the_questionnaire_cannot_express_is_refused_with_its_path(
    module: str, path: str, what: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"quest_{module}_{tmp_path.name.replace('-', '_')}"  # a fresh module: imports are cached
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(MODELS[module]), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run("questionnaire", "--model", f"{name}:Patient", "--part", "checkin")
    assert (code, out) == (1, "")
    assert f"{path}: " in err
    assert what in err
    with pytest.raises(q.QuestionnaireError) as raised:
        q.build(__import__(name).Patient, "checkin", name, q.dt.date(2026, 3, 1))
    assert raised.value.problems[0].startswith(f"{path}: ")


def test_an_int_enum_a_literal_a_date_and_an_own_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"quest_kinds_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent("""
            import datetime as dt
            from enum import IntEnum
            from typing import Literal
            from pydantic import BaseModel, Field

            class Grade(IntEnum):
                LOW = 0
                HIGH = 2
                MIDDLE = 1

            class Patient(BaseModel):
                grade: Grade | None = Field(default=None, json_schema_extra={"ask": "Which grade?"})
                mood: Literal["good", "bad"] | None = Field(default=None, description="how the patient feels")
                born: dt.date | None = Field(default=None, json_schema_extra={"ask": "When were you born?"})
                pressure: float | None = Field(default=None, json_schema_extra={"ask": "Pressure?", "unit": "mmHg"})
        """),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    items = {item["linkId"]: item for item in made("checkin", f"{name}:Patient")["item"]}
    grades = [option["valueCoding"] for option in items["grade"]["answerOption"]]
    assert [(c["code"], c["display"]) for c in grades] == [
        ("LOW", "low"),
        ("MIDDLE", "middle"),
        ("HIGH", "high"),
    ]
    assert items["mood"]["text"] == "how the patient feels"
    assert [o["valueCoding"]["code"] for o in items["mood"]["answerOption"]] == ["good", "bad"]
    assert items["born"]["type"] == "date"
    assert items["pressure"]["extension"] == [{"url": q.UNIT_URL, "valueCoding": {"display": "mmHg"}}]
    assert not any("extension" in items[path] for path in ("grade", "mood", "born"))  # no answered_by given
