"""`clinrules fmt` and the formatter: the canonical layout of every construct, comments, the command."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import clinrules
from clinrules.authoring import fmt as fmt_module
from clinrules.authoring.fmt import WIDTH, format_text, shape
from clinrules.base.errors import FormatError
from clinrules.cli import main
from clinrules.syntax import ast
from tests.conftest import ROOT

HEAD = "library t\n  version 1.0.0\n  status draft\n"
FORMATTED_HEAD = HEAD + "\n"


def fmt(text: str) -> str:
    """Format `text`, checking on the way that formatting again changes nothing."""
    formatted = format_text(text, "test.rules")
    assert format_text(formatted, "test.rules") == formatted
    return formatted


def body(declarations: str) -> str:
    """The formatted declarations of a library with the header `HEAD`."""
    formatted = fmt(HEAD + declarations)
    assert formatted.startswith(FORMATTED_HEAD)
    return formatted.removeprefix(FORMATTED_HEAD)


def cond(condition: str) -> str:
    """A condition as the formatter prints it (in a define, on one line)."""
    lines = body(f"define d: {condition}").splitlines()
    assert lines[0] == "define d:"
    assert len(lines) == 2, lines
    return lines[1].removeprefix("  ")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- the header


def test_the_header_is_one_line_then_its_lines_indented_in_the_order_written() -> None:
    text = 'ruleset   demo status draft version 1.0.0 title "A \\"quoted\\" title" model sciatica\n'
    text += 'reviewed 2026-01-16 by "Lead \\\\ physio" unknown check\notherwise allow'
    assert fmt(text) == (
        "ruleset demo\n"
        "  status draft\n"
        "  version 1.0.0\n"
        '  title "A \\"quoted\\" title"\n'
        "  model sciatica\n"
        '  reviewed 2026-01-16 by "Lead \\\\ physio"\n'
        "  unknown check\n"
        "\n"
        "otherwise allow\n"
    )


def test_a_header_alone() -> None:
    assert fmt("library lib version 1.0.0") == "library lib\n  version 1.0.0\n"


# ---------------------------------------------------------------- declarations


def test_one_blank_line_between_declarations() -> None:
    text = 'include "a.rules"\n\n\n\nparameter p = 2 between 1 and 5\nladder l: a,b ,c\notherwise avoid'
    assert body(text) == (
        'include "a.rules"\n\nparameter p = 2 between 1 and 5\n\nladder l: a, b, c\n\notherwise avoid\n'
    )


def test_source_attributes_go_on_their_own_lines() -> None:
    text = 'source s "Title" publisher "P" year 2020 url "https://x.org/a#b"\nsource t "T"'
    assert body(text) == (
        'source s "Title"\n  publisher "P"\n  year 2020\n  url "https://x.org/a#b"\n\nsource t "T"\n'
    )


def test_parameters_keep_numbers_as_written_with_their_units() -> None:
    assert body("parameter d = 7days between 1.50 days and 28 days") == (
        "parameter d = 7 days between 1.50 days and 28 days\n"
    )


def test_an_exercise_has_its_dose_on_the_next_line() -> None:
    text = 'exercise e "E" tagged a,b dose reps 5 to 7, sets 2, hold 6 to 7s, rest 1 min, daily 3 times, '
    text += "range partial, range 2 to 3 inches, load 30% bodyweight\n"
    text += 'exercise f "F"\nexercise g "G" tagged x'
    assert body(text) == (
        'exercise e "E" tagged a, b\n'
        "  dose reps 5 to 7, sets 2, hold 6 to 7 s, rest 1 min, daily 3 times, range partial, "
        "range 2 to 3 inches, load 30 % bodyweight\n"
        "\n"
        'exercise f "F"\n'
        "\n"
        'exercise g "G" tagged x\n'
    )


def test_a_define_has_its_condition_on_the_next_line() -> None:
    text = 'define pain at rest: x > 2\ndefine "pain in \\"buttock\\"": radiating_pain = buttock'
    assert body(text) == (
        'define pain at rest:\n  x > 2\n\ndefine "pain in \\"buttock\\"":\n  radiating_pain = buttock\n'
    )


def test_a_red_flag_with_and_without_a_title() -> None:
    text = 'red flag rf "Title": urgent if a care same_day say "S" note "N" cite s1, s2\n'
    text += "red flag bare: urgent if b"
    assert body(text) == (
        'red flag rf "Title":\n  urgent if a\n  care same_day\n  say "S"\n  note "N"\n  cite s1, s2\n'
        "\nred flag bare:\n  urgent if b\n"
    )


@pytest.mark.parametrize(
    ("head", "formatted"),
    [
        ("rule r for a,b:", "rule r for a, b:"),
        ('rule r "T" for tagged x ,y:', 'rule r "T" for tagged x, y:'),
        ("rule r\n  for every   exercise :", "rule r for every exercise:"),
    ],
)
def test_rule_heads_are_one_line(head: str, formatted: str) -> None:
    assert body(f"{head} stop if a") == f"{formatted}\n  stop if a\n"


def test_a_rule_has_its_verdict_line_and_each_clause_on_its_own_line_in_the_order_written() -> None:
    text = 'rule r for a: regress to e1 if x instead e2,e3 dose reps 5 say "S" note "N" cite s '
    text += "when unknown regress to e0 care emergency"
    assert body(text) == (
        "rule r for a:\n"
        "  regress to e1 if x\n"
        "  instead e2, e3\n"
        "  dose reps 5\n"
        '  say "S"\n'
        '  note "N"\n'
        "  cite s\n"
        "  when unknown regress to e0\n"
        "  care emergency\n"
    )


@pytest.mark.parametrize("verdict", ["stop", "avoid", "check", "modify", "allow", "progress", "regress"])
def test_every_verdict(verdict: str) -> None:
    assert body(f"rule r for a: {verdict} if x\notherwise {verdict}") == (
        f"rule r for a:\n  {verdict} if x\n\notherwise {verdict}\n"
    )


def test_texts_are_escaped_again() -> None:
    text = 'rule r for a: stop if x say "a \\"b\\" c:\\\\d # not a comment"'
    assert body(text) == 'rule r for a:\n  stop if x\n  say "a \\"b\\" c:\\\\d # not a comment"\n'


# ---------------------------------------------------------------- conditions


@pytest.mark.parametrize(
    ("written", "formatted"),
    [
        ("(a and b) or c", "(a and b) or c"),
        ("a or (b and c)", "a or (b and c)"),
        ("a and (b or c)", "a and (b or c)"),
        ("(a or b) and c", "(a or b) and c"),
        ("(a or b) or c", "(a or b) or c"),
        ("a and (b and c)", "a and (b and c)"),
        ("not (a or b)", "not (a or b)"),
        ("not (a and b)", "not (a and b)"),
        ("not (x > 2)", "not (x > 2)"),
        ("(not a) and b", "not a and b"),
        ("a or b and c", "a or (b and c)"),
        ("not not a", "not (not a)"),
        ("((a))", "a"),
        ("x between 1 and 2 and y", "x between 1 and 2 and y"),
        ("(x between 1 and 2) or y", "x between 1 and 2 or y"),
        ("the last session had (a and b)", "the last session had (a and b)"),
        ("the last session had (a or b)", "the last session had (a or b)"),
        ("the last session had (not a)", "the last session had not a"),
        ("the last session had (x > 1) and y", "the last session had x > 1 and y"),
        ("(the last session had a) or b", "the last session had a or b"),
        ("not (the last session had a)", "not (the last session had a)"),
        ("the last session had (the last session had a)", "the last session had the last session had a"),
    ],
)
def test_parentheses_where_needed_and_not_where_not(written: str, formatted: str) -> None:
    assert cond(written) == formatted


@pytest.mark.parametrize(
    ("written", "formatted"),
    [
        ("x>=y+2-z", "x >= y + 2 - z"),
        ("x != -2", "x != -2"),
        ("x - -2.50 < 1", "x - -2.50 < 1"),
        ("now-t>1day", "now - t > 1 day"),
        ("age >= 50years", "age >= 50 years"),
        ("share < 30%", "share < 30 %"),
        ("radiating pain  below knee", "radiating pain below knee"),
        ("exam.straight_leg_raise is positive", "exam.straight_leg_raise is positive"),
        ('"pain in \\"buttock\\"" or "c:\\\\x"', '"pain in \\"buttock\\"" or "c:\\\\x"'),
        ('s is "unknown"', 's is "unknown"'),
        ("s is not positive", "s is not positive"),
        ("s is not unknown", "s is known"),
        ("s is not known", "s is unknown"),
        ("w is empty or w is not empty", "w is empty or w is not empty"),
        ("s in {left,both}", "s in {left, both}"),
        ('s in {"not", both}', 's in {"not", both}'),
        ('w includes "any"', 'w includes "any"'),
        ("w includes any of {a,b}", "w includes any of {a, b}"),
        ("x between -1 and y + 1", "x between -1 and y + 1"),
        ('"now" is known', '"now" is known'),
    ],
)
def test_names_numbers_values_and_operators_as_written(written: str, formatted: str) -> None:
    assert cond(written) == formatted


@pytest.mark.parametrize(
    ("written", "formatted"),
    [
        ("the last sessions had a", "the last session had a"),
        ("the last e1 session had a", "the last e1 session had a"),
        ("any of the last 1 sessions had a", "any of the last 1 session had a"),
        ("any of the last 3 session had a", "any of the last 3 sessions had a"),
        ("2 of the last 3 e1 sessions had a", "2 of the last 3 e1 sessions had a"),
        ("every one of the last 3 sessions had a", "every one of the last 3 sessions had a"),
        ("any session within 24hours had a", "any session within 24 hours had a"),
        ("any e1 sessions within 2 days had a", "any e1 session within 2 days had a"),
        ("no sessions within p_days had a", "no session within p_days had a"),
    ],
)
def test_session_forms(written: str, formatted: str) -> None:
    assert cond(written) == formatted


def test_a_long_condition_is_wrapped_at_its_top_level_operator() -> None:
    names = [f"answer_number_{i:02d}" for i in range(12)]
    text = f'rule r for a: stop if {" or ".join(names)} say "S"'
    lines = body(text).splitlines()
    assert lines[1].startswith("  stop if answer_number_00 or ")
    assert all(line.startswith("    or ") for line in lines[2:-1])
    assert lines[-1] == '  say "S"'
    assert all(len(line) <= WIDTH for line in lines)
    assert " ".join(line.strip() for line in lines[1:-1]) == "stop if " + " or ".join(names)


def test_a_long_ladder_is_wrapped_after_its_commas() -> None:
    names = [f"exercise_number_{i:02d}" for i in range(9)]
    lines = body(f"ladder l: {', '.join(names)}").splitlines()
    assert lines[0].startswith("ladder l: exercise_number_00, ")
    assert lines[0].endswith(",")
    assert all(line.startswith("  exercise_") for line in lines[1:])
    assert all(len(line) <= WIDTH for line in lines)
    assert " ".join(line.strip() for line in lines) == f"ladder l: {', '.join(names)}"
    assert fmt(HEAD + "\n".join(lines)) == FORMATTED_HEAD + "\n".join(lines) + "\n"


def test_a_long_rule_head_puts_its_targets_on_the_next_line() -> None:
    targets = ", ".join(f"exercise_number_{i:02d}" for i in range(4))
    lines = body(f'rule r "A title long enough to need a second line" for {targets}: stop if a').splitlines()
    assert lines[:3] == [
        'rule r "A title long enough to need a second line"',
        f"  for {targets}:",
        "  stop if a",
    ]
    assert body('rule r "Short" for every exercise: stop if a').splitlines()[0] == (
        'rule r "Short" for every exercise:'
    )


def test_a_long_define_is_wrapped_and_only_at_the_top_level() -> None:
    names = [f"answer_number_{i:02d}" for i in range(8)]
    inner = "(" + " or ".join(names[4:]) + ")"
    text = f"define d: {' and '.join(names[:4])} and {inner}"
    lines = body(text).splitlines()
    assert lines[0] == "define d:"
    assert lines[1].startswith("  answer_number_00 and ")
    assert lines[-1] == f"    and {inner}"
    assert len(lines) == 3


def test_a_condition_that_fits_is_never_wrapped() -> None:
    text = "define d: " + " and ".join("x" * 10 for _ in range(6))
    assert len(body(text).splitlines()) == 2


# ---------------------------------------------------------------- comments

COMMENTED = """\
# About the file.

# Second paragraph.
ruleset demo   # the id
  # The version comes next.
  version 1.0.0    # semantic
  status draft
# Exercises.


exercise e "E"  # an exercise
   dose reps 5   # its dose
rule r for e:   # the head
  # Why we stop.
  stop if a
     or b   # the condition
      # Before the words.
  say "S # not a comment"
# Before otherwise.
otherwise allow # the default
    # At the end.

# The very end.
"""


COMMENTED_FORMATTED = """\
# About the file.

# Second paragraph.
ruleset demo  # the id
  # The version comes next.
  version 1.0.0  # semantic
  status draft

# Exercises.

exercise e "E"  # an exercise
  dose reps 5  # its dose

rule r for e:  # the head
  # Why we stop.
  stop if a or b  # the condition
  # Before the words.
  say "S # not a comment"

# Before otherwise.
otherwise allow  # the default

# At the end.

# The very end.
"""


def test_comments_are_kept_in_their_places() -> None:
    assert fmt(COMMENTED) == COMMENTED_FORMATTED


def test_comments_inside_an_item_go_before_it_in_order() -> None:
    text = 'rule r for e:\n  stop if a  # one\n  # two\n    or b  # three\n  # four\n  say "S"\n'
    assert body(text) == ('rule r for e:\n  # one\n  # two\n  stop if a or b  # three\n  # four\n  say "S"\n')


def test_a_comment_inside_a_head_goes_before_the_declaration() -> None:
    text = 'rule r "T"  # one\n  # two\n  for e: stop if a'
    assert body(text) == '# one\n# two\nrule r "T" for e:\n  stop if a\n'


def test_a_one_line_rule_keeps_its_comment_on_its_last_line() -> None:
    assert body('rule r for e: stop if a say "S" # why') == ('rule r for e:\n  stop if a\n  say "S"  # why\n')


def test_comment_texts_are_kept_exactly() -> None:
    text = "#no space\n#   spaced   \nladder l: a  #\ttab  \n"
    assert body(text) == "#no space\n#   spaced   \nladder l: a  #\ttab  \n"


def test_windows_line_ends_become_newlines() -> None:
    text = "library t\r\n  version 1.0.0  # v\r\n  status draft\r\n"
    assert fmt(text) == "library t\n  version 1.0.0  # v\n  status draft\n"


def test_a_syntax_error_raises() -> None:
    with pytest.raises(clinrules.RulesetError):
        format_text(HEAD + "rule r for e: stp if a")


# ---------------------------------------------------------------- the command


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "messy.rules").write_text(HEAD + "ladder  l : a,b # rungs\n", encoding="utf-8")
    (tmp_path / "tidy.rules").write_text(FORMATTED_HEAD + "ladder l: a, b\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a rule file", encoding="utf-8")
    return tmp_path


def test_fmt_rewrites_the_files_that_change_and_lists_them(project: Path) -> None:
    code, out, err = run("fmt", str(project))
    assert (code, err) == (0, "")
    assert out == f"{project / 'sub' / 'messy.rules'}\n"
    assert (project / "sub" / "messy.rules").read_text(encoding="utf-8") == (
        FORMATTED_HEAD + "ladder l: a, b  # rungs\n"
    )
    assert sorted(p.name for p in project.rglob("*")) == ["messy.rules", "notes.txt", "sub", "tidy.rules"]
    assert run("fmt", "--check", str(project)) == (0, "", "")
    assert run("fmt", str(project / "tidy.rules"), "--check") == (0, "", "")


def test_fmt_check_changes_nothing_lists_the_files_and_exits_1(project: Path) -> None:
    messy = project / "sub" / "messy.rules"
    before = messy.read_bytes()
    code, out, err = run("fmt", "--check", str(project / "tidy.rules"), str(project))
    assert (code, out, err) == (1, f"{messy}\n", "")
    assert messy.read_bytes() == before


@pytest.mark.parametrize(
    ("wrong", "right"),
    [("or", "and"), ("# rungs", "")],
    ids=["meaning", "comment"],
)
def test_a_formatting_that_changes_the_file_is_refused_and_the_file_kept(
    project: Path, monkeypatch: pytest.MonkeyPatch, wrong: str, right: str
) -> None:
    """The guard in format_text: a formatter bug never reaches the file."""
    messy = project / "sub" / "messy.rules"
    messy.write_text(HEAD + "define d: a or b  # rungs\n", encoding="utf-8")
    before = messy.read_bytes()
    printed = fmt_module.format_rule_file

    def broken(rule_file: object, text: str) -> str:
        return printed(rule_file, text).replace(wrong, right)  # type: ignore[arg-type]

    monkeypatch.setattr(fmt_module, "format_rule_file", broken)
    with pytest.raises(FormatError):
        format_text(before.decode(), "messy.rules")
    code, out, err = run("fmt", str(messy))
    assert (code, out) == (1, "")
    assert err
    assert messy.read_bytes() == before


def test_a_file_with_a_syntax_error_is_left_untouched(project: Path) -> None:
    broken = project / "broken.rules"
    broken.write_text(HEAD + "rule r for e:\n  stp if a\n", encoding="utf-8")
    before = broken.read_bytes()
    for argv in (["fmt", str(project)], ["fmt", "--check", str(broken)]):
        code, _, err = run(*argv)
        assert code == 1
        assert f"{broken}:5:3: CR101" in err
        assert "    5 |   stp if a" in err
        assert broken.read_bytes() == before
    assert (project / "sub" / "messy.rules").read_text(encoding="utf-8").endswith("a, b  # rungs\n")


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin.rules"
    path.write_bytes(HEAD.encode() + b"# caf\xe9\n")
    code, _, err = run("fmt", str(path))
    assert code == 1
    assert "CR002" in err
    assert path.read_bytes() == HEAD.encode() + b"# caf\xe9\n"


def test_a_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.rules"
    path.write_bytes(b"\xef\xbb\xbf" + FORMATTED_HEAD.rstrip("\n").encode() + b"\n")
    assert run("fmt", "--check", str(path))[0] == 1
    assert run("fmt", str(path))[0] == 0
    assert path.read_bytes() == FORMATTED_HEAD.rstrip("\n").encode() + b"\n"


def test_the_file_mode_is_kept(project: Path) -> None:
    messy = project / "sub" / "messy.rules"
    messy.chmod(0o640)
    assert run("fmt", str(messy))[0] == 0
    assert messy.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fmt"], "the following arguments are required: PATH"),
        (["fmt", "no/such.rules"], "cannot read 'no/such.rules': no such file or directory"),
        (["fmt", "--check", "--bogus", "x"], "unrecognized arguments: --bogus"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str) -> None:
    code, out, err = run(*argv)
    assert (code, out) == (2, "")
    assert message in err
    assert "Traceback" not in err


def test_a_directory_without_rule_files_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("fmt", str(tmp_path))
    assert code == 2
    assert "no *.rules files under" in err


def test_the_shipped_rule_files_are_formatted() -> None:
    assert run("fmt", "--check", str(ROOT / "rulesets"), str(ROOT / "examples")) == (0, "", "")


def test_the_example_in_the_docs_is_what_fmt_makes() -> None:
    page = (ROOT / "docs" / "formatting.md").read_text(encoding="utf-8")
    before, after = page.split("## An example", 1)[1].split("```")[1::2][-2:]
    assert fmt(before.removeprefix("text\n")) == after.removeprefix("clinrules\n")


def test_a_require_that_fits_is_one_line_under_its_head() -> None:
    text = 'require a "T":   x implies every exercise except w  at least   stop\n'
    text += "require b: no tagged n,m allow when x and y"
    assert body(text) == (
        'require a "T":\n  x implies every exercise except w at least stop\n'
        "\nrequire b:\n  no tagged n, m allow when x and y\n"
    )


def test_a_long_require_puts_implies_under_its_condition() -> None:
    premise = "any session on a lower rung within 24 hours had leg symptoms provoked and a_much_longer_field_name_than_fits"
    formatted = body(f"require a: {premise} implies ladder bridge above glute_squeeze at most avoid")
    assert formatted == (
        "require a:\n"
        "  any session on a lower rung within 24 hours had leg symptoms provoked\n"
        "    and a_much_longer_field_name_than_fits\n"
        "    implies ladder bridge above glute_squeeze at most avoid\n"
    )


def test_a_require_premise_starting_with_no_stays_a_premise() -> None:
    text = "require a: no session within 2 days had completed implies w at least check"
    formatted = body(text)
    assert formatted == "require a:\n  no session within 2 days had completed implies w at least check\n"
    again = clinrules.parse(HEAD + formatted).declarations[0]
    assert shape(again) == shape(clinrules.parse(HEAD + text).declarations[0])
    assert isinstance(again, ast.Require)
    assert again.bound is not None
