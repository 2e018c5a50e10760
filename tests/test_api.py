"""The public API of the check stage: load, compile, check_file, RuleSet."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import clinrules
from clinrules.ruleset import sha256_of
from tests.conftest import ROOT
from tests.support.models import Athlete

EXAMPLE = ROOT / "examples" / "language" / "glute_bridge.rules"
SMALL = "ruleset small version 1.0.0 status {status} model sciatica\n{extra}otherwise allow\n"
ATHLETE = 'ruleset a version 1.0.0 status draft\nexercise run "Run"\nrule r for run: avoid if injured\notherwise allow\n'


def codes(error: pytest.ExceptionInfo[clinrules.RulesetError]) -> list[str]:
    return [d.code for d in error.value.diagnostics]


def test_load_the_example() -> None:
    rs = clinrules.load(EXAMPLE, allow_draft=True)
    assert rs.id == "glute_bridge_sciatica"
    assert rs.version == "1.0.0"
    assert rs.status == "draft"
    assert rs.exercises[:2] == ("glute_squeeze", "bridge_partial")
    assert rs.diagnostics == ()
    assert {r.id for r in rs.program.red_flags} == {"cauda_equina"}


def test_a_draft_loads_only_with_allow_draft() -> None:
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.load(EXAMPLE)
    assert codes(raised) == ["CR420"]
    assert "allow_draft=True" in (raised.value.diagnostics[0].hint or "")


def test_an_approved_ruleset_loads_without_allow_draft() -> None:
    text = SMALL.format(status="approved", extra='  reviewed 2026-01-16 by "A clinician"\n')
    assert clinrules.compile(text).status == "approved"


@pytest.mark.parametrize("allow_draft", [False, True])
def test_a_retired_ruleset_never_loads(allow_draft: bool) -> None:
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.compile(SMALL.format(status="retired", extra=""), allow_draft=allow_draft)
    assert codes(raised) == ["CR420"]


def test_a_library_does_not_load_on_its_own() -> None:
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.load(ROOT / "examples" / "language" / "red_flags.rules", allow_draft=True)
    assert codes(raised) == ["CR420"]


def test_model_override_by_class_lets_the_header_leave_it_out() -> None:
    rs = clinrules.compile(ATHLETE, model=Athlete, allow_draft=True)
    assert rs.program.model == "Athlete"
    assert rs.program.schema.model is Athlete


def test_model_override_by_name() -> None:
    rs = clinrules.compile(
        SMALL.format(status="draft", extra="").replace(" model sciatica", ""),
        model="sciatica",
        allow_draft=True,
    )
    assert rs.program.schema.name == "sciatica"


def test_an_unknown_model_name_or_a_wrong_type_is_a_clinrules_error() -> None:
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.compile(ATHLETE, model="athlete", allow_draft=True)
    assert codes(raised) == ["CR205"]
    with pytest.raises(clinrules.ClinrulesError):
        clinrules.compile(ATHLETE, model=42, allow_draft=True)  # type: ignore[arg-type]


def test_warnings_are_kept_on_the_ruleset() -> None:
    rs = clinrules.compile(
        SMALL.format(status="draft", extra="").replace("otherwise allow\n", ""), allow_draft=True
    )
    assert [d.code for d in rs.diagnostics] == ["CR502"]


def test_errors_and_warnings_come_together_sorted() -> None:
    text = (
        'ruleset r version 1.0.0 status draft model sciatica\nexercise e "E"\nrule a for e: avoid if fevr\n'
    )
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.compile(text, source_name="inline.rules", allow_draft=True)
    assert [(d.code, d.line) for d in raised.value.diagnostics] == [("CR502", 1), ("CR201", 3)]
    assert raised.value.diagnostics[1].file == "inline.rules"
    assert str(raised.value).startswith("inline.rules:3:24: CR201")


def test_compiled_text_cannot_include_files() -> None:
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.compile(SMALL.format(status="draft", extra='include "x.rules"\n'), allow_draft=True)
    assert codes(raised) == ["CR419"]


def test_a_missing_file_is_a_ruleset_error(tmp_path: Path) -> None:
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.load(tmp_path / "none.rules")
    assert codes(raised) == ["CR215"]


def test_sha256_covers_the_file_and_its_includes(tmp_path: Path) -> None:
    (tmp_path / "lib.rules").write_text("library l version 1.0.0 status draft model sciatica\n")
    main = tmp_path / "main.rules"
    main.write_text(SMALL.format(status="draft", extra='include "lib.rules"\n'))
    first = clinrules.load(main, allow_draft=True).sha256
    assert first == sha256_of([("main", main.read_text()), ("lib", (tmp_path / "lib.rules").read_text())])
    (tmp_path / "lib.rules").write_text("library l version 1.0.1 status draft model sciatica\n")
    assert clinrules.load(main, allow_draft=True).sha256 != first
    assert len(first) == len(hashlib.sha256().hexdigest())


def test_a_ruleset_is_immutable() -> None:
    rs = clinrules.load(EXAMPLE, allow_draft=True)
    with pytest.raises(AttributeError):
        rs.id = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del rs.status
    assert "glute_bridge_sciatica" in repr(rs)


def test_includes_are_read_once_in_a_diamond(tmp_path: Path) -> None:
    (tmp_path / "base.rules").write_text(
        "library base version 1.0.0 status draft model sciatica\ndefine hot: fever\n"
    )
    for name in ("a", "b"):
        (tmp_path / f"{name}.rules").write_text(
            f'library {name} version 1.0.0 status draft model sciatica\ninclude "base.rules"\n'
        )
    main = tmp_path / "main.rules"
    main.write_text(
        'ruleset r version 1.0.0 status draft model sciatica\ninclude "a.rules"\ninclude "b.rules"\n'
        'exercise e "E"\nrule x for e: avoid if hot\notherwise allow\n'
    )
    rs = clinrules.load(main, allow_draft=True)
    assert [name for name, _ in rs.program.sources_text] == [
        str(main),
        *(str(tmp_path / n) for n in ("a.rules", "base.rules", "b.rules")),
    ]


def test_an_include_through_a_symlink_out_of_the_tree_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "lib.rules").write_text("library l version 1.0.0 status draft model sciatica\n")
    inside = tmp_path / "rules"
    inside.mkdir()
    (inside / "lib.rules").symlink_to(outside / "lib.rules")
    (inside / "main.rules").write_text(SMALL.format(status="draft", extra='include "lib.rules"\n'))
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.load(inside / "main.rules", allow_draft=True)
    assert codes(raised) == ["CR419"]


def test_syntax_errors_of_included_files_are_reported_with_their_file(tmp_path: Path) -> None:
    (tmp_path / "lib.rules").write_text("library l version 1.0.0 status draft\nred flag f: stp if x\n")
    main = tmp_path / "main.rules"
    main.write_text(SMALL.format(status="draft", extra='include "lib.rules"\n'))
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.load(main, allow_draft=True)
    (diagnostic,) = raised.value.diagnostics
    assert (diagnostic.code, Path(diagnostic.file).name, diagnostic.line) == ("CR101", "lib.rules", 2)


def test_the_specifications_example_checks_clean_verbatim(tmp_path: Path) -> None:
    import yaml

    cases = yaml.safe_load((ROOT / "tests" / "golden" / "parse" / "spec_example.yaml").read_text())["cases"]
    (tmp_path / "glute_bridge.rules").write_text(cases[0]["source"])
    (tmp_path / "red_flags.rules").write_text(cases[1]["source"])
    # Written for language 1, it checks without errors; its only warnings are language 2's: six
    # rules that never say what an unknown does (CR507), a modify dose that adds `range` (CR508).
    warnings = clinrules.check_file(tmp_path / "glute_bridge.rules")
    assert sorted({d.code for d in warnings}) == ["CR507", "CR508"]
    assert all(d.severity.value == "warning" for d in warnings)
    assert clinrules.check_file(tmp_path / "red_flags.rules") == []
    rs = clinrules.load(tmp_path / "glute_bridge.rules")  # approved, with a reviewed line
    assert rs.status == "approved"
    assert [r.id for r in rs.program.rules] == [
        "stale_screen",
        "provoked",
        "weakness",
        "start_low",
        "local_pain",
        "delayed_flare",
        "ready",
        "no_nerve_stretch_in_flare",
    ]


def test_the_public_names_are_all_importable_and_listed() -> None:
    for name in clinrules.__all__:
        assert getattr(clinrules, name) is not None
    assert set(clinrules.__all__) == set(clinrules._WHERE)
    with pytest.raises(AttributeError):
        clinrules.nothing_here  # noqa: B018
