"""`clinrules.base.records.record`: a frozen dataclass to every reader, made with one compiled method."""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import field

import pytest

from clinrules.base.records import record


@record
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)
    note: str = field(default="", compare=False, repr=False)


@record(eq=False)
class Node:
    name: str


@record
class Checked:
    low: int
    high: int
    width: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "width", self.high - self.low)


def test_a_record_is_a_dataclass_with_its_fields_and_defaults() -> None:
    assert dataclasses.is_dataclass(Point)
    assert [f.name for f in dataclasses.fields(Point)] == ["x", "y", "tags", "note"]
    assert Point(1) == Point(1, 0, ())
    assert Point(1).tags == ()
    assert Point.__match_args__ == ("x", "y", "tags", "note")


def test_a_record_is_frozen() -> None:
    point = Point(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.y  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        object.__getattribute__(point, "__setattr__")("other", 1)
    assert point == Point(1, 2)


def test_a_record_compares_and_hashes_as_a_frozen_dataclass() -> None:
    assert Point(1, 2, note="a") == Point(1, 2, note="b")
    assert hash(Point(1, 2, ("t",))) == hash(Point(1, 2, ("t",)))
    assert Point(1, 2) != Point(2, 1)
    assert Point(1) != (1, 0, (), "")
    assert len({Point(1), Point(1), Point(2)}) == 2


def test_a_record_without_eq_compares_by_identity() -> None:
    one, other = Node("a"), Node("a")
    assert one == one
    assert one != other
    assert len({one, other}) == 2


def test_repr_replace_and_post_init() -> None:
    assert repr(Point(1, 2, note="hidden")) == "Point(x=1, y=2, tags=())"
    assert dataclasses.replace(Point(1, 2), y=5) == Point(1, 5)
    assert Checked(2, 7).width == 5
    assert dataclasses.replace(Checked(2, 7), high=9).width == 7


def test_positional_patterns_match_records() -> None:
    match Point(1, 2):
        case Point(1, y):
            assert y == 2
        case _:
            pytest.fail("no match")


def test_the_syntax_tree_and_ir_classes_stay_frozen() -> None:
    for name in ("syntax.ast", "syntax.ast_clauses", "ir.nodes", "ir.program"):
        module = importlib.import_module(f"clinrules.{name}")
        classes = [c for c in vars(module).values() if isinstance(c, type) and dataclasses.is_dataclass(c)]
        assert classes, module.__name__
        assert all(c.__setattr__ is not object.__setattr__ for c in classes)
