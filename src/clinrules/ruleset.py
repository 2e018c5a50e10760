"""`RuleSet`: a loaded, checked ruleset, immutable and safe to share between threads."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence

from clinrules import ir
from clinrules.base.diagnostics import Diagnostic
from clinrules.decision.combine import decide
from clinrules.decision.result import Decision, RulesetInfo
from clinrules.engine.evaluator import Evaluator, Outcomes


def sha256_of(sources_text: Sequence[tuple[str, str]]) -> str:
    """The SHA-256 of the texts of a ruleset and its includes, in load order.

    Each text is hashed as its UTF-8 length (8 bytes, big-endian) and bytes,
    so that moving text from one file to the next changes the digest.
    """
    digest = hashlib.sha256()
    for _name, text in sources_text:
        data = text.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class RuleSet:
    """A checked ruleset.

    Attributes:
        id: the ruleset's id.
        version: its version.
        status: `draft`, `review`, `approved` or `retired`.
        sha256: the digest of its source text and its includes' (`sha256_of`).
        exercises: the ids of its exercises, in declaration order.
        diagnostics: the warnings found when it was checked.
        program: the checked program the evaluator runs.
    """

    __slots__ = (
        "_evaluator",
        "_info",
        "diagnostics",
        "exercises",
        "id",
        "program",
        "sha256",
        "status",
        "version",
    )

    id: str
    version: str
    status: str
    sha256: str
    exercises: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]
    program: ir.Program
    _evaluator: Evaluator
    _info: RulesetInfo

    def __init__(self, program: ir.Program, diagnostics: Sequence[Diagnostic]) -> None:
        set_ = object.__setattr__
        set_(self, "program", program)
        set_(self, "id", program.id)
        set_(self, "version", program.version)
        set_(self, "status", program.status)
        set_(self, "sha256", sha256_of(program.sources_text))
        set_(self, "exercises", tuple(program.exercises))
        set_(self, "diagnostics", tuple(sorted(diagnostics, key=Diagnostic.sort_key)))
        set_(self, "_evaluator", Evaluator(program))
        set_(
            self,
            "_info",
            RulesetInfo(id=self.id, version=self.version, status=self.status, sha256=self.sha256),
        )

    def evaluate(
        self,
        state: object,
        exercises: Iterable[str] | None = None,
        parameters: Mapping[str, object] | None = None,
        as_of: dt.datetime | str | None = None,
        *,
        explain: bool = False,
    ) -> Decision:
        """Decide, for one patient, what each exercise may be today.

        Args:
            state: an instance of the ruleset's model, or a plain dict (validated).
            exercises: the exercises to report (default: all); permission is
                still judged over every exercise of the ruleset.
            parameters: overrides of the `parameter` defaults, as bare
                numbers in each parameter's unit, within its bounds.
            as_of: the evaluation time (with a UTC offset); else the model's
                top-level `as_of` field; else the clock.
            explain: add the trace of every red flag and rule.

        Raises:
            PatientDataError: the state is not valid for the model.
            ParameterError: a parameter override is not allowed.
            ExerciseError: an exercise the ruleset does not know.
        """
        return decide(self._evaluator, self._info, state, exercises, parameters, as_of, explain)

    def outcomes(
        self,
        state: object,
        parameters: Mapping[str, object] | None = None,
        as_of: dt.datetime | str | None = None,
    ) -> Outcomes:
        """The outcome of every red flag and rule, without building a Decision: the fast path.

        For bulk analysis and benchmarks. An instance of the ruleset's model
        is trusted as pydantic built it (not validated again, unlike in
        `evaluate`); anything else is validated first. Apps that act on the
        result should call `evaluate`, which also combines the outcomes.
        """
        return self._evaluator.outcomes(state, parameters, as_of)

    def evaluate_many(
        self,
        states: Iterable[object],
        exercises: Iterable[str] | None = None,
        parameters: Mapping[str, object] | None = None,
        as_of: dt.datetime | str | None = None,
        *,
        explain: bool = False,
    ) -> Iterator[Decision]:
        """Evaluate patients one by one as they come, yielding each decision (streaming)."""
        wanted = tuple(exercises) if exercises is not None else None
        for state in states:
            yield decide(self._evaluator, self._info, state, wanted, parameters, as_of, explain)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a RuleSet is immutable; '{name}' cannot be set")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a RuleSet is immutable; '{name}' cannot be deleted")

    def __repr__(self) -> str:
        return f"<RuleSet {self.id} {self.version} ({self.status}), {len(self.exercises)} exercises>"
