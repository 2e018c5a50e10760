"""A decision's exercises are records until read: every way of reading a decision sees what it saw when built eagerly.

`evaluate` keeps each exercise's result as a plain record and builds the
`ExerciseDecision` models on first read of `decision.exercises`, or before
any serialization, copy, comparison, repr or pickle (decision/pending.py).
Each test makes the same decision twice: one whose exercises were read at
once (as an eager build gives it) and one never read, still records, then
does the same thing to both. A difference would be a decision that says one
thing as JSON and another to the caller that reads it.
"""

from __future__ import annotations

import copy
import pickle
import threading
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from clinrules.api import load
from clinrules.decision.pending import PendingExercises
from clinrules.decision.result import Decision, ExerciseDecision
from clinrules.ruleset import RuleSet
from tests.support.shipped import RULESET, scenario_patient

# Clear with doses and recheck times, urgent (one record for all), check (held back by an unknown
# red flag), modify/stop/regress with merged doses and alternatives, and a progress.
CASES = (
    "01_first_session_all_exercises",
    "02_saddle_numbness",
    "08_skipped_saddle_question",
    "15_ache_three_and_seven",
    "20_progression_ladder",
)


class Envelope(BaseModel):
    """A caller's own model holding a decision: pydantic serializes it nested."""

    decision: Decision
    note: str = "x"


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load(RULESET, allow_draft=True)


_patient = scenario_patient


def _pending(decision: Decision) -> bool:
    return isinstance(decision.__dict__["exercises"], PendingExercises)


def _both(ruleset: RuleSet, name: str, explain: bool = False) -> tuple[Decision, Decision]:
    """The same decision twice: the first with its exercises built (read once), the second still records."""
    eager = ruleset.evaluate(_patient(name), explain=explain)
    lazy = ruleset.evaluate(_patient(name), explain=explain)
    assert _pending(eager)
    assert _pending(lazy)
    assert eager.exercises
    assert not _pending(eager)
    assert _pending(lazy)
    return eager, lazy


def _deprecated(call: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return call()


READS: dict[str, Callable[[Decision], Any]] = {
    "model_dump": lambda d: d.model_dump(),
    "model_dump json": lambda d: d.model_dump(mode="json"),
    "model_dump_json": lambda d: d.model_dump_json(),
    "model_dump include": lambda d: d.model_dump(include={"exercises": {"glute_bridge"}}),
    "model_dump exclude": lambda d: d.model_dump(mode="json", exclude={"questions", "scores"}),
    "explain": lambda d: d.explain(),
    "repr": repr,
    "str": str,
    "iter": lambda d: dict(d),
    "exercise because": lambda d: d.exercises["glute_bridge"].because,
    "nested in a model": lambda d: Envelope(decision=d).model_dump_json(),
    "nested in a model, python": lambda d: Envelope(decision=d).model_dump(),
    "TypeAdapter list": lambda d: TypeAdapter(list[Decision]).dump_json([d]),
    "TypeAdapter Any": lambda d: TypeAdapter(dict[str, Any]).dump_json({"d": d}),
    "copy": lambda d: copy.copy(d).model_dump_json(),
    "deepcopy": lambda d: copy.deepcopy(d).model_dump_json(),
    "pickle": lambda d: pickle.loads(pickle.dumps(d)).model_dump_json(),
    "model_copy": lambda d: d.model_copy().model_dump_json(),
    "model_copy deep": lambda d: d.model_copy(deep=True).model_dump_json(),
    "model_copy update": lambda d: d.model_copy(update={"say": ["changed"]}).model_dump_json(),
    "model_copy deep update": lambda d: d.model_copy(deep=True, update={"say": []}).model_dump_json(),
    "deprecated copy": lambda d: _deprecated(lambda: d.copy().model_dump_json()),
    "deprecated dict": lambda d: _deprecated(d.dict),
    "deprecated json": lambda d: _deprecated(d.json),
    "validated back": lambda d: Decision.model_validate_json(d.model_dump_json()),
    "validated instance": lambda d: TypeAdapter(Decision).validate_python(d).model_dump_json(),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("read", sorted(READS))
def test_every_reading_of_a_lazy_decision_gives_what_the_eager_one_gives(
    ruleset: RuleSet, name: str, read: str
) -> None:
    eager, lazy = _both(ruleset, name)
    assert READS[read](lazy) == READS[read](eager)


@pytest.mark.parametrize("read", ["model_dump_json", "explain", "repr", "pickle", "deepcopy"])
def test_a_lazy_decision_with_a_trace_reads_as_the_eager_one(ruleset: RuleSet, read: str) -> None:
    eager, lazy = _both(ruleset, "15_ache_three_and_seven", explain=True)
    assert lazy.trace is not None
    assert READS[read](lazy) == READS[read](eager)


@pytest.mark.parametrize("name", CASES)
def test_a_lazy_decision_equals_the_eager_one_either_way_round(ruleset: RuleSet, name: str) -> None:
    eager, lazy = _both(ruleset, name)
    assert lazy == eager
    eager, lazy = _both(ruleset, name)
    assert eager == lazy
    _, lazy = _both(ruleset, name)
    _, other = _both(ruleset, name)
    assert lazy == other  # neither read before


def test_a_copy_made_while_pending_has_exercises_of_its_own(ruleset: RuleSet) -> None:
    _, lazy = _both(ruleset, "01_first_session_all_exercises")
    copied = copy.copy(lazy)
    deep = copy.deepcopy(lazy)
    assert copied.exercises is lazy.exercises  # a shallow copy shares, as pydantic's does
    assert deep.exercises == lazy.exercises
    deep.exercises["glute_bridge"].because.append("changed")
    assert "changed" not in lazy.exercises["glute_bridge"].because


def test_the_exercises_are_models_with_lists_of_their_own(ruleset: RuleSet) -> None:
    _, urgent = _both(ruleset, "02_saddle_numbness")
    exercises = list(urgent.exercises.values())
    assert all(type(e) is ExerciseDecision for e in exercises)
    first, second = exercises[0], exercises[1]
    assert first.because == second.because
    assert first.because is not second.because
    assert first.say is not urgent.say  # the exercise's words are not the triage's own list
    urgent.say.append("changed")
    assert "changed" not in first.say


def test_a_frozen_decision_refuses_new_exercises_before_and_after_they_are_built(ruleset: RuleSet) -> None:
    eager, lazy = _both(ruleset, "01_first_session_all_exercises")
    for decision in (lazy, eager):
        with pytest.raises(ValueError, match="frozen"):
            decision.exercises = {}
    assert eager.exercises == lazy.exercises


def test_the_schema_still_names_the_exercises_field() -> None:
    schema = Decision.model_json_schema()
    assert schema["properties"]["exercises"]["additionalProperties"] == {"$ref": "#/$defs/ExerciseDecision"}
    assert "exercises" in schema["required"]
    assert not hasattr(Decision, "exercises")  # as for every other pydantic field


def test_a_fastapi_response_of_a_lazy_decision_is_the_eager_json(ruleset: RuleSet) -> None:
    pytest.importorskip("fastapi")
    import asyncio

    import httpx
    from fastapi import FastAPI

    eager, _ = _both(ruleset, "15_ache_three_and_seven")
    app = FastAPI()

    @app.get("/typed", response_model=Decision)
    def typed() -> Decision:
        decision = ruleset.evaluate(_patient("15_ache_three_and_seven"), as_of=eager.as_of)
        assert _pending(decision)
        return decision

    @app.get("/untyped")
    def untyped() -> Any:
        return ruleset.evaluate(_patient("15_ache_three_and_seven"), as_of=eager.as_of)

    async def get(path: str) -> Any:
        # In process (no socket): FastAPI's own serialization of the handler's value is under test.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://clinrules.test") as client:
            return (await client.get(path)).json()

    expected = eager.model_dump(mode="json")
    assert asyncio.run(get("/typed")) == expected
    assert asyncio.run(get("/untyped")) == expected


def test_threads_reading_one_pending_decision_get_the_same_exercises(ruleset: RuleSet) -> None:
    threads_count = 8
    decisions = [ruleset.evaluate(_patient(name)) for name in CASES for _ in range(10)]
    assert all(map(_pending, decisions))
    seen: list[list[int]] = [[] for _ in decisions]
    dumped: list[set[str]] = [set() for _ in decisions]
    barrier = threading.Barrier(threads_count, timeout=60)
    errors: list[BaseException] = []

    def read(reader: int) -> None:
        try:
            for index, decision in enumerate(decisions):
                barrier.wait()  # all threads read each decision at once
                if reader % 2:
                    dumped[index].add(decision.model_dump_json())
                seen[index].append(id(decision.exercises))
        except BaseException as error:  # a thread's failure fails the test, and frees the others
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=read, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    for index, decision in enumerate(decisions):
        assert len(seen[index]) == threads_count
        assert set(seen[index]) == {id(decision.exercises)}
        assert dumped[index] == {decision.model_dump_json()}
