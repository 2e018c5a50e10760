"""`RuleSet`: a loaded, checked ruleset, immutable and safe to share between threads."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from clinrules import ir
from clinrules.base.diagnostics import Diagnostic
from clinrules.base.errors import ArgumentError, PatientDataError
from clinrules.decision.combine import decide
from clinrules.decision.fixed import FixedParts
from clinrules.decision.recheck import RecheckPlan
from clinrules.decision.result import Decision, RulesetInfo
from clinrules.engine.evaluator import Evaluator, Outcomes
from clinrules.engine.inputs import evaluation_time, parameter_values
from clinrules.schema import types as t

if TYPE_CHECKING:
    from clinrules.prove.report import ProofReport


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


@dataclass(frozen=True, slots=True)
class ParameterInfo:
    """A parameter as an app's settings screen shows it (`RuleSet.parameters`).

    Attributes:
        id: the parameter's id, the key of `parameters=` in `evaluate`.
        title: its title (`parameter ID "TITLE" = ...`), or None.
        default: its default: a number in `unit`, or a bool for a yes/no parameter.
        low, high: its bounds in `unit` (None for a yes/no parameter).
        unit: the unit of its values (`days`, `mmHg`), or None.
        kind: `"number"`, or `"yes/no"` (set with True or False).
        integral: whether it takes whole numbers only (False for a yes/no parameter).
    """

    id: str
    title: str | None
    default: int | float | bool
    low: int | float | None
    high: int | float | None
    unit: str | None
    kind: Literal["number", "yes/no"]
    integral: bool = False


def _parameter_info(parameter: ir.Parameter) -> ParameterInfo:
    kind = parameter.type
    if not isinstance(kind, t.NumberType):
        return ParameterInfo(parameter.id, parameter.title, parameter.default, None, None, None, "yes/no")
    unit = kind.unit.name if kind.unit is not None else None
    return ParameterInfo(
        parameter.id,
        parameter.title,
        parameter.default,
        parameter.low,
        parameter.high,
        unit,
        "number",
        kind.integral,
    )


class RuleSet:
    """A checked ruleset.

    Attributes:
        id: the ruleset's id.
        version: its version.
        status: `draft`, `review`, `approved` or `retired`.
        sha256: the digest of its source text and its includes' (`sha256_of`).
        exercises: the ids of its exercises, in declaration order.
        parameters: its parameters, id -> `ParameterInfo`, in declaration
            order (read-only): what an app needs to build its settings screen.
        diagnostics: the warnings found when it was checked.
        program: the checked program the evaluator runs.
    """

    __slots__ = (
        "_evaluator",
        "_fixed",
        "_info",
        "_recheck",
        "diagnostics",
        "exercises",
        "id",
        "parameters",
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
    parameters: Mapping[str, ParameterInfo]
    diagnostics: tuple[Diagnostic, ...]
    program: ir.Program
    _evaluator: Evaluator
    _info: RulesetInfo
    _recheck: RecheckPlan
    _fixed: FixedParts

    def __init__(self, program: ir.Program, diagnostics: Sequence[Diagnostic]) -> None:
        set_ = object.__setattr__
        set_(self, "program", program)
        set_(self, "id", program.id)
        set_(self, "version", program.version)
        set_(self, "status", program.status)
        set_(self, "sha256", sha256_of(program.sources_text))
        set_(self, "exercises", tuple(program.exercises))
        infos = {name: _parameter_info(p) for name, p in program.parameters.items()}
        set_(self, "parameters", MappingProxyType(infos))
        set_(self, "diagnostics", tuple(sorted(diagnostics, key=Diagnostic.sort_key)))
        set_(self, "_evaluator", Evaluator(program))
        set_(self, "_recheck", RecheckPlan(self._evaluator))
        set_(self, "_fixed", FixedParts(self._evaluator))
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
        recheck: bool = True,
    ) -> Decision:
        """Decide, for one patient, what each exercise may be today.

        Args:
            state: an instance of the ruleset's model, or a plain dict: both
                validated (an instance too, frozen or not, since one made
                with `model_construct` cannot be told apart; docs/semantics.md).
            exercises: the exercises to report (default: all); permission is
                still judged over every exercise of the ruleset.
            parameters: overrides of the `parameter` defaults, as bare
                numbers in each parameter's unit, within its bounds, or
                True/False for a yes/no parameter (see `parameters`).
            as_of: the evaluation time (with a UTC offset); else the model's
                top-level `as_of` field; else the clock.
            explain: add the trace of every red flag and rule.
            recheck: work out `recheck_at`, each exercise's and the
                decision's: the earliest instant after `as_of` at which the
                same data would give another verdict (a window lapses, a
                screen goes stale), or None when none ever would. False
                (for bulk work) leaves every `recheck_at` None.

        Raises:
            PatientDataError: the state is not valid for the model, or
                `as_of` is not a time with a UTC offset (its `tzinfo` failing
                included).
            ParameterError: a parameter override is not allowed.
            ExerciseError: an exercise the ruleset does not know.
            ArgumentError: `exercises` is not ids (str), `parameters` not a
                mapping, `explain` or `recheck` not a bool.
        """
        wanted = _exercises(exercises)
        checked = _parameters(parameters)
        when = _as_of(as_of)
        _flags(explain, recheck)
        plan = self._recheck if recheck else None
        return decide(self._evaluator, self._info, state, wanted, checked, when, explain, plan, self._fixed)

    def prove(
        self, *, fix_params: bool = False, complete: bool = False, timeout_ms: int = 60_000
    ) -> ProofReport:
        """Prove the built-in promises and every `require` for every patient within the model's bounds.

        Also finds rules that can never fire, rules that are masked, and,
        with `complete`, gaps (docs/prove.md). Every counterexample is
        replayed through this ruleset's evaluator before it is reported.

        Args:
            fix_params: pin the parameters at their defaults (default: every value within its bounds).
            complete: also look for fully known patients no rule decides.
            timeout_ms: the solver's time per query; a query not settled in it is unproved (CR608).

        Raises:
            ProveUnavailableError: z3 is not installed (`pip install 'clinrules[prove]'`).
            ArgumentError: a flag that is not a bool, or a time that is not a positive whole number.
        """
        if not isinstance(fix_params, bool) or not isinstance(complete, bool):
            raise ArgumentError("fix_params and complete must be True or False")
        if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int) or timeout_ms <= 0:
            raise ArgumentError(
                f"timeout_ms must be a positive whole number of milliseconds, got {timeout_ms!r}"
            )
        from clinrules.prove import prove

        return prove(self.program, fix_params=fix_params, complete=complete, timeout_ms=timeout_ms)

    def outcomes(
        self,
        state: object,
        parameters: Mapping[str, object] | None = None,
        as_of: dt.datetime | str | None = None,
    ) -> Outcomes:
        """The outcome of every red flag and rule, without building a Decision: the fast path.

        For bulk analysis and benchmarks. An instance of the ruleset's model
        is trusted as pydantic built it (not validated again, unlike in
        `evaluate`): the caller's promise that it was not made with
        `model_construct`; anything else is validated first. Apps that act on the
        result should call `evaluate`, which also combines the outcomes.

        Raises:
            PatientDataError, ParameterError, ArgumentError: as for `evaluate`.
        """
        if parameters is None and as_of is None:  # nothing to check: the fast path stays fast
            return self._evaluator.outcomes(state)
        return self._evaluator.outcomes(state, _parameters(parameters), _as_of(as_of))

    def evaluate_many(
        self,
        states: Iterable[object],
        exercises: Iterable[str] | None = None,
        parameters: Mapping[str, object] | None = None,
        as_of: dt.datetime | str | None = None,
        *,
        explain: bool = False,
        recheck: bool = True,
    ) -> Iterator[Decision]:
        """Evaluate patients one by one as they come, yielding each decision (streaming).

        What every patient shares (the exercises, the parameters, an
        `as_of` given here) is checked before the first decision. A patient
        whose data is bad ends the stream: the decisions before it have been
        yielded, and its `PatientDataError` names it `states[i]` (counted
        from 0), each problem's path prefixed with `states[i].`.

        Raises:
            PatientDataError: `states[i]` is not valid for the model (raised
                when its decision is asked for), or `as_of` is not a time.
            ParameterError, ExerciseError: before the first decision.
            ArgumentError: as for `evaluate`; also when `states` is not iterable.
        """
        wanted = _exercises(exercises)
        checked = _parameters(parameters)
        when = _as_of(as_of)
        _flags(explain, recheck)
        plan = self._recheck if recheck else None
        if not isinstance(states, Iterable):
            raise ArgumentError(f"states must be an iterable of patients, not {type(states).__name__}")
        evaluator = self._evaluator
        evaluator.wanted(wanted)  # shared by every patient: refused once, before any decision
        if checked is not None:
            parameter_values(self.program.parameters, checked)
        if when is not None:
            evaluation_time(when, None, False)
        for index, state in enumerate(states):
            try:
                decision = decide(
                    evaluator, self._info, state, wanted, checked, when, explain, plan, self._fixed
                )
            except PatientDataError as error:
                at = f"states[{index}]"
                raise PatientDataError(
                    [(f"{at}.{path}" if path else at, reason) for path, reason in error.problems]
                ) from None
            yield decision

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a RuleSet is immutable; '{name}' cannot be set")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a RuleSet is immutable; '{name}' cannot be deleted")

    def __repr__(self) -> str:
        return f"<RuleSet {self.id} {self.version} ({self.status}), {len(self.exercises)} exercises>"


def _exercises(exercises: object) -> tuple[str, ...] | str | None:
    """`exercises` as given (None or one id) or as a tuple of ids.

    Raises:
        ArgumentError: not None, a str or an iterable of str.
    """
    if exercises is None or isinstance(exercises, str):
        return exercises
    if not isinstance(exercises, Iterable):
        raise ArgumentError(f"exercises must be exercise ids (str), not {type(exercises).__name__}")
    ids = tuple(exercises)
    for item in ids:
        if not isinstance(item, str):
            raise ArgumentError(f"exercises must be exercise ids (str), got {type(item).__name__}")
    return ids


def _flags(explain: object, recheck: object) -> None:
    """Refuse an `explain` or `recheck` that is not a bool.

    Raises:
        ArgumentError: either is not True or False.
    """
    for name, value in (("explain", explain), ("recheck", recheck)):
        if not isinstance(value, bool):
            raise ArgumentError(f"{name} must be True or False, not {type(value).__name__}")


def _parameters(parameters: object) -> Mapping[str, object] | None:
    """`parameters` checked to be None or a mapping; the values are checked by the evaluator.

    Raises:
        ArgumentError: anything else.
    """
    if parameters is None or isinstance(parameters, Mapping):
        return parameters
    raise ArgumentError(f"parameters must be a mapping of name to number, not {type(parameters).__name__}")


def _as_of(as_of: object) -> object:
    """An aware `as_of` with its offset fixed, so that the caller's `tzinfo` is read once, here.

    A `tzinfo` whose `utcoffset` raises, or returns something that is not an
    offset, would fail deep inside an evaluation; it is refused instead.

    Raises:
        PatientDataError: the `tzinfo` fails.
    """
    if not isinstance(as_of, dt.datetime) or as_of.tzinfo is None:
        return as_of  # a str, None or anything else: the evaluator says what is wrong
    try:
        offset = as_of.utcoffset()
    except Exception as error:  # the caller's tzinfo: any failure is its own
        raise PatientDataError(
            [("as_of", f"its time zone cannot give a UTC offset: {type(error).__name__}: {error}")]
        ) from None
    if offset is None:
        return as_of
    return as_of.replace(tzinfo=dt.timezone(offset))
