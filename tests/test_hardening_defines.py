"""Issue 12, flaw 2: defined phrases cost linear work and bounded depth at every stage.

A defined phrase's condition is shared by every use, so a walk that visits it
again at each use is exponential in nested defines, and a walk that recurses
through a chain of defines has a depth the rule file chooses. Work is counted
here (Python calls), never timed.
"""

from __future__ import annotations

import functools
import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import clinrules
from clinrules import ir
from clinrules.authoring import docgen
from clinrules.authoring.cases import can_be_unknown
from clinrules.authoring.fmt import format_text
from clinrules.base.limits import MAX_EXPANDED_NESTING
from clinrules.cli import main
from clinrules.engine import interpret
from clinrules.engine.inputs import parameter_values, patient_of, sessions_of
from tests.support.patients import AS_OF as SHARED_AS_OF
from tests.support.patients import patients

AS_OF = "2026-11-21T08:00:00Z"
HEAD = 'ruleset t version 1.0.0 status draft model sciatica\nexercise walking "Walking"\n'
FEVER = {"red_flags": {"fever": True}}
CLEAR = {"red_flags": {"fever": False}}


def _repeated(levels: int) -> str:
    """`dN: dN+1 and dN+1 or not dN+1`: each phrase used three times by the one above."""
    lines = [f"define d{i}: d{i + 1} and d{i + 1} or not d{i + 1}" for i in range(1, levels)]
    return "\n".join([*lines, f"define d{levels}: fever"])


def _diamond(levels: int) -> str:
    """Two phrases per level, each using both of the level below: one call per use is not enough."""
    lines = []
    for i in range(1, levels):
        lines.append(f"define a{i}: a{i + 1} or b{i + 1}")
        lines.append(f"define b{i}: a{i + 1} and not b{i + 1}")
    lines.append(f"define a{levels}: fever")
    lines.append(f"define b{levels}: not fever")
    return "\n".join(lines)


def _chain(length: int) -> str:
    lines = [f"define d{i}: d{i + 1}" for i in range(1, length)]
    return "\n".join([*lines, f"define d{length}: fever"])


def _ruleset(defines: str, top: str) -> str:
    return (
        f"{HEAD}{defines}\n"
        f"red flag f: urgent if {top}\n"
        f"rule r for walking: avoid if {top} or acute_flare\n"
        "otherwise allow\n"
    )


class _Budget(Exception):
    pass


@contextmanager
def _counted_calls(budget: int) -> Iterator[list[int]]:
    """Count Python function calls; stop with `_Budget` once they pass the budget.

    Stopping early makes an exponential walk fail at once instead of hanging.
    """
    count = [0]

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            count[0] += 1
            if count[0] > budget:
                raise _Budget(f"more than {budget} calls")

    sys.setprofile(profile)
    try:
        yield count
    finally:
        sys.setprofile(None)


def _work(text: str, budget: int) -> int:
    """Python calls to check, compile, evaluate, explain and document a ruleset."""
    with _counted_calls(budget) as count:
        rs = clinrules.compile(text, allow_draft=True)
        for patient in (FEVER, CLEAR):
            rs.evaluate(patient, as_of=AS_OF)
            rs.evaluate(patient, as_of=AS_OF, explain=True)
            rs.outcomes(patient, as_of=AS_OF)
        docgen.page(rs.program)
        for flag in rs.program.red_flags:
            can_be_unknown(flag.condition)
    return count[0]


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Build the parser once, so that the counts below are the work of each ruleset only."""
    clinrules.compile(_ruleset(_chain(2), "d1"), allow_draft=True)


@pytest.mark.parametrize(("shape", "top"), [(_repeated, "d1"), (_diamond, "a1")], ids=["repeated", "diamond"])
def test_flaw2_nested_defines_check_and_evaluate_in_linear_time(
    shape: Callable[[int], str], top: str
) -> None:
    small = _work(_ruleset(shape(20), top), budget=2_000_000)
    large = _work(_ruleset(shape(40), top), budget=4 * small)
    assert large < 3 * small  # twice the levels, about twice the work (not 2**20 times)
    levels = 25
    rs = clinrules.compile(_ruleset(shape(levels), top), allow_draft=True)
    flag = rs.program.red_flags[0].condition
    assert sum(1 for _ in ir.nodes(flag)) < 100 * levels
    assert len(rs._evaluator.compiled.source) < 2_000 * levels
    for patient in (FEVER, CLEAR, {}):  # the explanation agrees with the decision
        decided = rs.evaluate(patient, as_of=AS_OF)
        explained = rs.evaluate(patient, as_of=AS_OF, explain=True)
        assert explained.triage is decided.triage
        assert explained.red_flags == decided.red_flags
    assert rs.evaluate({}, as_of=AS_OF).triage is clinrules.Triage.CHECK


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return code, out.getvalue(), err.getvalue()


def test_flaw2_a_chain_of_200_defines_checks_evaluates_explains_formats_and_documents(tmp_path: Path) -> None:
    text = _ruleset(_chain(100), "d1")  # the chain below the red flag is within the limit ...
    assert MAX_EXPANDED_NESTING > 100
    rs = clinrules.compile(text, allow_draft=True)
    assert rs.evaluate(FEVER, as_of=AS_OF, explain=True).triage is clinrules.Triage.URGENT
    assert rs.evaluate(CLEAR, as_of=AS_OF, explain=True).triage is clinrules.Triage.CLEAR
    # ... and 200 defines that are each short, however many, are fine too
    many = "\n".join(f"define e{i}: d{100 - i % 100} and not acute_flare" for i in range(200))
    rs = clinrules.compile(_ruleset(_chain(100) + "\n" + many, "d1 or e199"), allow_draft=True)
    assert rs.evaluate(FEVER, as_of=AS_OF, explain=True).triage is clinrules.Triage.URGENT
    assert "d100" in docgen.page(rs.program)
    deep = format_text(_ruleset(_chain(200), "d1"))  # 200 deep: refused, not a RecursionError
    assert format_text(deep) == deep
    path = tmp_path / "chain.rules"
    path.write_text(deep, encoding="utf-8")
    patient = tmp_path / "p.json"
    patient.write_text('{"red_flags": {"fever": true}}', encoding="utf-8")
    assert _run("fmt", "--check", str(path))[0] == 0
    for argv in (
        ("check", str(path)),
        ("eval", "--allow-draft", "--explain", "--as-of", AS_OF, str(path), str(patient)),
        ("doc", str(path)),
    ):
        code, _out, err = _run(*argv)
        assert code == 1, argv
        assert "CR006" in err, argv
    path.write_text(_ruleset(_chain(100), "d1"), encoding="utf-8")
    assert _run("check", str(path))[0] == 0
    code, out, _err = _run("eval", "--allow-draft", "--explain", "--as-of", AS_OF, str(path), str(patient))
    assert code == 0
    assert "URGENT" in out
    code, out, _err = _run("doc", str(path))
    assert code == 0
    assert "d100" in out


def _codes(text: str) -> list[str]:
    with pytest.raises(clinrules.RulesetError) as error:
        clinrules.compile(text, allow_draft=True)
    return [d.code for d in error.value.diagnostics]


def _flag(defines: str, top: str) -> str:
    return f"{HEAD}{defines}\nred flag f: urgent if {top}\notherwise allow\n"


def test_flaw2_a_chain_beyond_the_limit_is_refused_with_cr006_once() -> None:
    # 2,000 defines, far within the size limit of a rule file: one diagnostic, at the define too deep
    text = _ruleset(_chain(2_000), "d1")
    assert len(text.encode()) < 1_048_576
    with pytest.raises(clinrules.RulesetError) as error:
        clinrules.compile(text, allow_draft=True)
    (found,) = error.value.diagnostics
    assert found.code == "CR006"
    assert found.line == 2 + 2_000 - MAX_EXPANDED_NESTING  # d1 is 2,000 deep, d(2001 - MAX) is MAX deep


def test_flaw2_a_condition_too_deep_only_with_its_phrases_is_refused_where_it_is_used() -> None:
    # levels are counted as the checked condition nests: `fever` is 1, each use of a phrase adds 1
    chain = _chain(MAX_EXPANDED_NESTING - 1)  # d1 is MAX - 1 deep, its use MAX: allowed
    assert clinrules.compile(_flag(chain, "d1"), allow_draft=True).program.red_flags
    with pytest.raises(clinrules.RulesetError) as error:  # one level more, and only here
        clinrules.compile(_flag(chain, "not d1"), allow_draft=True)
    (found,) = error.value.diagnostics
    assert (found.code, found.line) == ("CR006", 2 + MAX_EXPANDED_NESTING)


def test_flaw2_a_cycle_of_2000_defines_is_cr417_not_a_recursion_error() -> None:
    lines = [f"define d{i}: d{i + 1}" for i in range(1, 2_000)]
    text = _ruleset("\n".join([*lines, "define d2000: d1"]), "d1")
    # the cycle, at d1; and d2 -> ... -> d2000 is a chain too deep on its own
    assert _codes(text) == ["CR417", "CR006"]
    assert _codes(_ruleset("define d1: d2\ndefine d2: d1", "d1")) == ["CR417"]


SHARED = """ruleset shared version 1.0.0 status draft model sciatica
exercise e1 "One"
exercise e2 "Two"
define hurt: pain_during > 3 and not shooting_pain
define hurt badly: hurt or extent_during > extent_before or (hurt and pain_during > 6)
define flaring: acute_flare or leg_pain > 5
define flaring twice: flaring and (flaring or back_pain > 2) and not (flaring and back_pain > 8)
define recent: the last session had (hurt badly or flaring)
define stale: any e2 session within 3 days had (hurt and flaring twice)
red flag rf: urgent if flaring twice and fever
red flag rs: urgent if any session within 2 days had (hurt badly and not hurt)
rule a for e1: stop if recent or flaring twice
rule b for e1, e2: avoid if 2 of the last 3 sessions had (hurt badly or flaring)
rule c for e2: check if (stale or recent) and not flaring
otherwise allow
"""


@functools.cache
def _shared() -> clinrules.RuleSet:
    return clinrules.compile(SHARED, allow_draft=True)


@given(data=st.data())
def test_flaw2_phrases_kept_once_per_evaluation_agree_with_the_interpreter(data: st.DataObject) -> None:
    """Phrases through phrases, session phrases, patient phrases inside `had`: both engines agree."""
    rs = _shared()
    program = rs.program
    state = data.draw(patients(program.schema, list(program.exercises)))
    patient = patient_of(program.schema, state)
    params = parameter_values(program.parameters, None)
    sessions, by_ex = sessions_of(patient, SHARED_AS_OF, program.schema.has_sessions)
    compiled = rs._evaluator.compiled
    env = interpret.Env(program.schema, patient, {}, SHARED_AS_OF, sessions, by_ex)
    flags = compiled.all_flags(patient, params, SHARED_AS_OF, sessions, by_ex)
    for flag, function, together in zip(program.red_flags, compiled.red_flags, flags, strict=True):
        expected = function(patient, params, SHARED_AS_OF, sessions, by_ex)
        assert together is expected
        assert interpret.condition(flag.condition, env)[0] is expected, flag.id
    every = compiled.all_rules(patient, params, SHARED_AS_OF, by_ex)
    for rule, function, together in zip(program.rules, compiled.rules, every, strict=True):
        for exercise in rule.targets.exercises:
            own = by_ex.get(exercise, ())
            expected = function(patient, params, SHARED_AS_OF, own, by_ex)
            assert (together[exercise] if isinstance(together, dict) else together) is expected
            local = interpret.Env(program.schema, patient, {}, SHARED_AS_OF, own, by_ex)
            assert interpret.condition(rule.condition, local)[0] is expected, (rule.id, exercise)
            event(f"rule {expected}")


def test_flaw2_each_trace_entry_lists_what_its_shared_phrases_read() -> None:
    """A phrase's result is kept per explanation entry, so each entry still shows the values it read."""
    rs = clinrules.compile(
        f"{HEAD}define cauda: saddle_anaesthesia or urinary_retention\n"
        "red flag one: urgent if cauda and fever\n"
        "red flag two: urgent if cauda or fever\n"
        "rule a for walking: avoid if cauda or acute_flare\n"
        "rule b for walking: check if cauda and acute_flare\n"
        "otherwise allow\n",
        allow_draft=True,
    )
    patient = {"red_flags": {"fever": True, "saddle_anaesthesia": False, "urinary_retention": False}}
    decision = rs.evaluate(patient, as_of=AS_OF, explain=True)
    assert decision.trace is not None
    read = {"red_flags.saddle_anaesthesia", "red_flags.urinary_retention"}
    assert {entry.id for entry in decision.trace} == {"one", "two", "a", "b"}
    for entry in decision.trace:
        assert read <= set(entry.values), entry.id
