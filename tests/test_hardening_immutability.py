"""Flaw 10 of issue 12: a loaded ruleset is immutable all the way down.

`rs.program.parameters` was a plain dict: replacing a parameter in it moved
the parameter past its declared bound for every later evaluation. Every
mapping and collection reachable from a `RuleSet` (its program, the schema,
the evaluator's prepared tables) is now a read-only view or a tuple, and a
decision's dose is the caller's own copy.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import pytest

import clinrules
from clinrules import ir
from tests.conftest import ROOT

RULESET = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
PATIENTS = ROOT / "rulesets" / "sciatica" / "patients"
_ATOMS = (str, int, float, bool, bytes, type(None), enum.Enum)
_MUTABLE = (dict, list, set, bytearray)


def _reachable(root: object) -> Iterator[object]:
    """Every object reachable from `root` through dataclass fields, attributes and collections, once each."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen or isinstance(node, (*_ATOMS, type)) or callable(node):
            continue
        seen.add(id(node))
        yield node
        if dataclasses.is_dataclass(node):
            stack.extend(getattr(node, f.name) for f in dataclasses.fields(node))
        elif isinstance(node, Mapping):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, tuple | list | set | frozenset):
            stack.extend(node)
        elif hasattr(node, "__dict__"):
            stack.extend(vars(node).values())


def _loaded() -> clinrules.RuleSet:
    return clinrules.load(RULESET, allow_draft=True)


def _patient() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (PATIENTS / "01_first_session_all_exercises.json").read_text(encoding="utf-8")
    )
    return loaded


def test_flaw10_a_parameter_cannot_be_moved_past_its_bound_by_mutating_the_program() -> None:
    rs = _loaded()
    declared = rs.program.parameters["pain_ceiling"]
    assert (declared.low, declared.high) == (2, 5)
    beyond = dataclasses.replace(declared, default=50, high=50)
    with pytest.raises(TypeError):
        rs.program.parameters["pain_ceiling"] = beyond  # type: ignore[index]
    with pytest.raises(TypeError):
        del rs.program.parameters["pain_ceiling"]  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        rs.program.parameters.update({"pain_ceiling": beyond})  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        rs.program.parameters = {"pain_ceiling": beyond}  # type: ignore[misc]
    with pytest.raises(TypeError):
        rs._evaluator.defaults[0] = 50  # type: ignore[index]
    assert rs.program.parameters["pain_ceiling"] is declared
    with pytest.raises(clinrules.ParameterError):
        rs.evaluate(_patient(), parameters={"pain_ceiling": 50})
    # The evaluation still reads the declared default, as a fresh load does.
    fresh = _loaded().evaluate(_patient())
    assert rs.evaluate(_patient()) == fresh


def test_no_mutable_collection_is_reachable_from_a_ruleset() -> None:
    rs = _loaded()
    found = [
        node
        for root in (rs.program, rs._evaluator, rs.exercises, rs.diagnostics)
        for node in _reachable(root)
    ]
    mutable = sorted({type(node).__name__ for node in found if isinstance(node, _MUTABLE)})
    assert mutable == []
    assert any(isinstance(node, MappingProxyType) for node in found)


def test_every_reachable_mapping_tuple_and_node_refuses_a_change() -> None:
    rs = _loaded()
    for node in _reachable(rs.program):
        if isinstance(node, Mapping):
            with pytest.raises(TypeError):
                node["x"] = 1  # type: ignore[index]
            with pytest.raises(AttributeError):
                node.clear()  # type: ignore[attr-defined]
        elif isinstance(node, tuple | frozenset):
            with pytest.raises(AttributeError):
                node.append(1)  # type: ignore[union-attr]
            with pytest.raises(AttributeError):
                node.add(1)  # type: ignore[union-attr]
        elif dataclasses.is_dataclass(node):
            for f in dataclasses.fields(node):
                with pytest.raises(AttributeError):
                    setattr(node, f.name, None)


def test_the_programs_views_are_copies_the_checker_no_longer_holds() -> None:
    loaded = _loaded().program
    given = {"a": 1}
    program = ir.Program(
        id="p",
        kind="ruleset",
        title=None,
        version="1.0.0",
        status="draft",
        model="sciatica",
        reviews=(),
        unknown_default=None,
        schema=loaded.schema,
        sources={},
        parameters=given,  # type: ignore[arg-type]
        exercises={},
        ladders={},
        red_flags=(),
        rules=(),
        otherwise="allow",
        sources_text=(),
        where=loaded.where,
    )
    given["b"] = 2
    assert dict(program.parameters) == {"a": 1}


def test_a_decisions_dose_is_the_callers_own_copy() -> None:
    rs = _loaded()
    first = rs.evaluate(_patient())
    changed = 0
    for decision in first.exercises.values():
        for key, value in (decision.dose or {}).items():
            if isinstance(value, list):
                value[0] = 999
                changed += 1
            else:
                decision.dose[key] = 999  # type: ignore[index]
                changed += 1
    assert changed
    assert rs.evaluate(_patient()) == _loaded().evaluate(_patient())
