"""Combination: every outcome of one evaluation -> a Decision, by the rules of language.md section 7.

Red flags first: one fired makes everything urgent, one unknown makes triage
`check` and every exercise at least `check`. Then per exercise the most
restrictive verdict wins whatever the rule order (progress and regress
counting as the verdict they end in once their target is checked), doses
merge to the most conservative value, and alternatives and targets are
offered only when they are themselves permitted. Why an outcome was unknown
(the missing fields) and the `--explain` trace come from the interpreter,
run only where needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from clinrules import ir
from clinrules.check.doses import dose_json, merge_doses
from clinrules.decision import messages
from clinrules.decision.fixed import FixedParts
from clinrules.decision.made import (
    DEFAULT_DOSE,
    NONE,
    OTHERWISE,
    DefaultDose,
    ExerciseRecord,
    Records,
    built,
    urgent_record,
)
from clinrules.decision.messages import Setter
from clinrules.decision.missing import Missing
from clinrules.decision.recheck import RecheckPlan
from clinrules.decision.result import (
    AssessmentResult,
    Care,
    DataWarning,
    Decision,
    RulesetInfo,
    ScoreRange,
    Triage,
    Verdict,
)
from clinrules.decision.scored import results, trace
from clinrules.engine import interpret
from clinrules.engine.evaluator import Evaluator, Inputs

RANK = {v.value: i for i, v in enumerate(Verdict)}
"""Verdict -> its restrictiveness: 0 for urgent, the most restrictive."""
_CHECK = RANK["check"]
_VERDICTS = {v.value: v for v in Verdict}
_PERMITTED = frozenset({"allow", "modify", "progress"})
_MOVES = ("progress", "regress")
_NO_MOVES: Mapping[str, str] = MappingProxyType({})


class _Base(NamedTuple):
    """An exercise's verdict before alternatives and targets are checked."""

    verdict: str
    setters: tuple[Setter, ...]
    flags: tuple[str, ...]  # unknown red flags that set a triage 'check'


def decide(
    evaluator: Evaluator,
    info: RulesetInfo,
    state: object,
    exercises: Iterable[str] | None,
    parameters: Mapping[str, object] | None,
    as_of: object,
    explain: bool,
    recheck: RecheckPlan | None = None,
    fixed: FixedParts | None = None,
) -> Decision:
    """One patient's Decision: the engine's outcomes, combined; see `RuleSet.evaluate`.

    With `recheck` (the ruleset's plan), each `recheck_at` is worked out; without, all are null.
    `fixed`: the ruleset's fixed parts, made once (else made here).
    """
    wanted = evaluator.wanted(exercises)
    inputs, warnings = evaluator.checked(state, parameters, as_of)
    flags = evaluator.compiled.all_flags(*inputs)
    # A red flag fired makes every exercise urgent whatever the rules say: they are run only
    # where something still reads them (the trace, or a recheck_at that waits for the flag to clear).
    if True in flags and not explain and (recheck is None or not recheck.reads_rules(flags)):
        outcomes: Any = None  # read by nothing: indexing it would fail loudly
    else:
        outcomes = evaluator.rule_outcomes(inputs, wanted)
    combination = Combination(evaluator, info, inputs, flags, outcomes, wanted, explain, warnings)
    combination.recheck = recheck
    combination.given_fixed = fixed
    return combination.decision()


class Combination(messages.Spoken):
    """Section 7 for one patient: red flags, verdicts, targets, doses, alternatives, messages."""

    def __init__(
        self,
        evaluator: Evaluator,
        info: RulesetInfo,
        inputs: Inputs,
        flags: tuple[bool | None, ...],
        outcomes: tuple[Any, ...],
        wanted: tuple[str, ...],
        explain: bool,
        warnings: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.ev = evaluator
        self.warnings = tuple(warnings)  # (path, reason), sorted by the engine
        self.info = info
        self.program = evaluator.program
        self.inputs = inputs
        self.now = inputs[2]
        self.flags = flags
        self.outcomes = outcomes
        self.wanted = wanted
        self.explain = explain
        self.recheck: RecheckPlan | None = None
        self.given_fixed: FixedParts | None = None  # the ruleset's, set by `decide`
        self.notes: dict[tuple[int, str], str] = {}
        self.not_advised: dict[str, str] = {}  # exercise -> the note of its progress that became allow
        self.verdicts_only = False  # set by `verdicts`: no notes are made
        # The entry of an exercise no rule applies to while a red flag is unknown: the same for all.
        self.flag_sentences: dict[tuple[str, ...], str] = {}
        self._why: Missing | None = None
        self.held_back: ExerciseRecord | None = None  # see `_final`

    @property
    def why(self) -> Missing:
        """Why outcomes were unknown: made on first need (`verdicts`, run at every recheck, has none)."""
        found = self._why
        if found is None:
            found = self._why = Missing(self.ev, self.inputs)
        return found

    @property
    def fixed(self) -> FixedParts:
        """What every decision of the ruleset shares: the ruleset's, else made for this decision (once)."""
        found = self.given_fixed
        if found is None:
            found = self.given_fixed = FixedParts(self.ev)
        return found

    @property
    def questions(self) -> messages.Questions:
        """The question of each field."""
        return self.fixed.questions

    @property
    def env(self) -> interpret.Env:
        """The interpreter's view of the inputs, made only when an explanation is needed."""
        return self.why.env

    def decision(self) -> Decision:
        program, fixed, flags = self.program, self.fixed, self.flags
        states, fired, unknown_flags = fixed.flag_states(flags)
        missing: set[str] = set()
        if unknown_flags:
            why, flag_fields = self.why, self.ev.flag_fields
            for index, value in enumerate(flags):
                if value is None and why.may_add(flag_fields[index], missing):
                    missing |= why.flag(index)
        say: list[str] = []
        notes: list[str] = []
        cite: list[str] = []  # the triage's own words, from fired red flags only
        care: Care | None = None
        if fired:
            triage = Triage.URGENT
            # Every fired flag is a reason; only those of the most pressing care speak (language-2.md
            # section 9). One record for all (`urgent_record`).
            care, say, notes, cite = fixed.fired_words(program, fired)
            exercises = Records(
                self.wanted, None, urgent_record(fired, say, notes, cite), self.ev.default_dose
            )
        else:
            triage = Triage.CHECK if unknown_flags else Triage.CLEAR
            exercises = Records(
                self.wanted, self._records(unknown_flags, missing), None, self.ev.default_dose
            )
        recheck_at = self._rechecked(triage, exercises)
        scores: dict[str, ScoreRange] = {}
        assessments: dict[str, AssessmentResult] = {}
        titles: dict[str, str] = {}
        if program.scores or program.assessments:  # else the interpreter's env is not even made
            scores, assessments, titles = results(self.ev, self.inputs, self.env)
        for assessed in assessments.values():  # an unsettled result is part of the decision: ask for it too
            missing.update(assessed.missing)
        asked = sorted(missing)
        made = built(
            Decision,
            ruleset=self.info,
            as_of=self.now,
            recheck_at=recheck_at,
            triage=triage,
            care=care,
            red_flags=states,
            missing=asked,
            questions=self.questions.all(asked),
            say=say,
            notes=notes,
            cite=cite,
            safety_net=program.safety_net,
            exercises=exercises,
            scores=scores,
            assessments=assessments,
            warnings=[built(DataWarning, path=path, reason=reason) for path, reason in self.warnings],
            trace=trace(self.ev, self.flags, self.outcomes, self.wanted, self.why, self.notes)
            if self.explain
            else None,
        )
        object.__setattr__(made, "__pydantic_private__", {"_titles": titles})  # for explain()
        return made

    # ------------------------------------------------------------ one exercise

    def _records(self, unknown_flags: list[str], missing: set[str]) -> dict[str, ExerciseRecord]:
        """Each wanted exercise's record (no red flag fired); the fields its unknown rules miss go to `missing`."""
        bases = _LazyBases(self, tuple(unknown_flags))
        permitted = _Permitted(bases)
        values, unset, final = bases.values, bases.unset, self._final
        flags = unset.flags
        # The record of an exercise no rule sets: 'otherwise' decides, else an unknown red flag holds it back.
        quick = self._flagged_only(unset) if flags else OTHERWISE[unset.verdict]
        unknown: list[tuple[int, str]] = []  # (rule, exercise) whose outcome is unknown
        wanted, outcomes, rules, entries = self.wanted, self.outcomes, self.program.rules, self.fixed.entries
        out: dict[str, ExerciseRecord] = {}
        if type(outcomes) is tuple:  # every outcome at hand: an exercise whose rules are all false is `quick`
            read = {x for i, v in enumerate(outcomes) if v is not False for x in rules[i].targets.exercises}
            out = dict.fromkeys(wanted, quick)  # the order reported; the others replaced in place
            wanted = tuple(ex for ex in wanted if ex in read)
        for ex in wanted:
            setter = None  # the rule that set the verdict, while only one has
            alone = True
            for entry in entries[ex]:
                value = outcomes[entry.rule]
                if type(value) is dict:
                    value = value[ex]
                if value is False:
                    continue
                if value is None:
                    unknown.append((entry.rule, ex))
                    if entry.when_unknown is None:
                        continue
                    alone = False  # its words name the answers this patient lacks
                if setter is None:
                    setter = entry
                else:
                    alone = False
            if setter is None:
                out[ex] = quick
            elif alone and setter.alone is not None:
                out[ex] = self._alone(setter.alone, flags)
            else:
                found = values.get(ex)  # made earlier as another exercise's target?
                if found is None:
                    found = values[ex] = self._base(ex, unset)
                out[ex] = final(ex, found, permitted)
        for index, ex in unknown:
            if self.why.may_add(self.ev.rule_fields[index], missing):
                missing |= self.why.rule(index, ex)
        return out

    def _alone(self, record: ExerciseRecord, flags: tuple[str, ...]) -> ExerciseRecord:
        """The record of an exercise set by one fired rule alone, with no move or alternative: `_final`'s, made faster.

        An unknown red flag holds a verdict less restrictive than check back to
        check, and adds its reasons and words to a check (`_settle`); a stricter
        verdict stands as it is.
        """
        if not flags:
            return record
        rank = RANK[record[0]]
        if rank < _CHECK:
            return record
        if rank > _CHECK:
            return self._held_back(flags)
        verdict, because, dose, instead, progress_to, regress_to, say, notes, cite = record
        words = self._flags_words(flags)
        return (
            verdict,
            sorted((*because, *flags)),
            dose,
            instead,
            progress_to,
            regress_to,
            (*say, words),
            notes,
            cite,
        )

    def _base(self, ex: str, unset: _Base) -> _Base:
        """Every rule that applies to an exercise, and its verdict before targets are checked.

        That verdict decides whether the exercise is permitted as an
        alternative or target; checking targets never changes it (a progress
        whose target is not permitted stays permitted as allow, a regress
        stays not permitted as avoid). `unset`: the base of an exercise no rule
        applies to, the same for every one (made once per decision).
        """
        setters: list[Setter] | None = None
        outcomes = self.outcomes
        for index, verdict, when_unknown in self.ev.rule_verdicts[ex]:
            value = outcomes[index]
            if type(value) is dict:
                value = value[ex]
            if value is True:
                setter = Setter(index, verdict, False)
            elif value is None:
                if when_unknown is None:
                    continue
                setter = Setter(index, when_unknown, True)
            else:
                continue
            if setters is None:
                setters = [setter]
            else:
                setters.append(setter)
        if setters is None:
            return unset
        verdict = min((s.verdict for s in setters), key=RANK.__getitem__)
        if unset.flags and RANK[verdict] > _CHECK:
            verdict = "check"
        return _Base(verdict, tuple(setters), unset.flags)

    def _final(self, ex: str, base: _Base, permitted: _Permitted) -> ExerciseRecord:
        verdict, chosen, moves, flags = self._settle(ex, base, permitted)
        if not chosen:  # held back to 'check' by unknown red flags alone
            return self._held_back(flags)
        # A downgraded progress keeps none of its rule's words.
        if verdict == "allow":
            chosen = [s for s in chosen if s.verdict != "progress"]
        rules = self.program.rules
        setters = sorted(chosen, key=lambda s: rules[s.rule].id) if len(chosen) > 1 else chosen
        progress_to = moves.get("progress") if verdict == "progress" else None
        regress_to = moves.get("regress") if verdict == "regress" else None
        instead = (
            self._alternatives(ex, setters, permitted) if verdict in ("stop", "avoid", "regress") else []
        )
        dose: dict[str, Any] | DefaultDose | None = None
        if verdict == "modify":
            doses = [rules[s.rule].dose for s in setters if rules[s.rule].verdict == "modify"]
            dose = dose_json(
                merge_doses(self.program.exercises[ex].dose, [d for d in doses if d is not None])
            )
        elif verdict in ("allow", "progress"):
            dose = DEFAULT_DOSE
        say, notes, cite = self._messages(ex, setters, flags, regress_kept=verdict == "regress")
        if verdict == "allow" and ex in self.not_advised:
            notes.append(self.not_advised[ex])
        because = sorted([rules[s.rule].id for s in setters] + list(flags))
        return (_VERDICTS[verdict], because, dose, instead, progress_to, regress_to, say, notes, cite)

    def _flagged_only(self, unset: _Base) -> ExerciseRecord:
        """The entry of an exercise no rule applies to while red flags are unknown, the same for every one.

        `_settle` with no rule: `unset`'s verdict (otherwise, held back to check),
        with the unknown flags as reasons and words unless it is stricter than check.
        """
        flags = unset.flags if RANK[unset.verdict] >= _CHECK else ()
        say = [self._flags_words(flags)] if flags else []
        return (_VERDICTS[unset.verdict], sorted(flags), None, NONE, None, None, say, [], [])

    def _settle(
        self, ex: str, base: _Base, permitted: _Permitted
    ) -> tuple[str, list[Setter], Mapping[str, str], tuple[str, ...]]:
        """The verdict once targets are checked, the setters that gave it, the moves, the unknown flags."""
        setters = base.setters
        if not setters and not base.flags:
            return base.verdict, [], _NO_MOVES, ()
        movers = [s for s in setters if s.verdict in _MOVES]
        if not movers:  # the verdict is the most restrictive of the rules' own
            if len(setters) == 1:
                verdict, chosen = setters[0].verdict, [setters[0]]
            else:
                verdict = min(
                    (s.verdict for s in setters), key=RANK.__getitem__, default=self.program.otherwise
                )
                chosen = [s for s in setters if s.verdict == verdict]
            return (
                *self._held(base, verdict, chosen),
                _NO_MOVES,
                base.flags if RANK[verdict] >= _CHECK else (),
            )
        # Progress and regress rules count with the verdict they end in once their
        # target is checked: the lowest rung any of them names, which must be
        # permitted, or else allow (for progress) and avoid (for regress). So a
        # regress that becomes avoid weighs as avoid against the other rules.
        moves: dict[str, str] = {}
        downgraded: dict[str, str] = {}
        for move in _MOVES:
            group = [s for s in movers if s.verdict == move]
            targets = [t for t in (self._target_of(ex, move, s) for s in group) if t is not None]
            if not group:
                continue
            target = min(targets, key=self._rung_order) if targets else None
            if target is not None and target != ex and target in permitted:
                moves[move] = target
                continue
            downgraded[move] = "allow" if move == "progress" else "avoid"
            if self.verdicts_only:  # the words are for a decision; `verdicts` gives none
                continue
            why = "is the exercise itself" if target == ex else "is not permitted for this patient"
            if move == "progress":
                self.not_advised[ex] = self._not_advised(ex, target, permitted)
            for setter in group:
                self.notes[(setter.rule, ex)] = (
                    f"{move} to {target or 'the next rung'} {why}: {downgraded[move]}"
                )
        effective = [(downgraded.get(s.verdict, s.verdict), s) for s in setters]
        verdict = min((v for v, _ in effective), key=RANK.__getitem__)
        chosen = [s for v, s in effective if v == verdict]
        return (*self._held(base, verdict, chosen), moves, base.flags if RANK[verdict] >= _CHECK else ())

    @staticmethod
    def _held(base: _Base, verdict: str, chosen: list[Setter]) -> tuple[str, list[Setter]]:
        """An unknown red flag holds a verdict less restrictive than check back to check, by no rule."""
        if base.flags and RANK[verdict] > _CHECK:
            return "check", []
        return verdict, chosen

    def verdicts(self) -> tuple[str, dict[str, str]]:
        """The triage and each wanted exercise's verdict, without the rest of the decision."""
        self.verdicts_only = True
        flags = self.flags
        if True in flags:  # `is True`: an outcome is True, False or None
            return Triage.URGENT.value, dict.fromkeys(self.wanted, Verdict.URGENT.value)
        unknown = tuple(sorted(f.id for f, v in zip(self.program.red_flags, flags, strict=True) if v is None))
        base = _LazyBases(self, unknown)
        permitted = _Permitted(base)
        verdicts = {ex: self._settle(ex, base[ex], permitted)[0] for ex in self.wanted}
        return (Triage.CHECK if unknown else Triage.CLEAR).value, verdicts

    def _rechecked(self, triage: Triage, exercises: Records) -> dt.datetime | None:
        """The decision's `recheck_at` (the earliest), each exercise's given to its records."""
        if self.recheck is None or not self.recheck.timed:  # nothing compares with `now`: none ever changes
            return None
        verdicts = exercises.verdicts()

        def settle(
            inputs: Inputs, flags: tuple[bool | None, ...], outcomes: Any, wanted: tuple[str, ...]
        ) -> tuple[str, dict[str, str]]:
            return Combination(self.ev, self.info, inputs, flags, outcomes, wanted, False).verdicts()

        found, triage_at = self.recheck.run(
            self.inputs, self.flags, self.outcomes, self.wanted, verdicts, triage.value, settle
        )
        times = [t for t in (*found.values(), triage_at) if t is not None]
        exercises.recheck_at = found
        return min(times, default=None)

    def _not_advised(self, ex: str, target: str | None, permitted: _Permitted) -> str:
        if target is None or target == ex:
            return messages.not_advised_note(self.program, target, ex, "", [])
        base = permitted.bases[target]
        why = sorted({self.program.rules[s.rule].id for s in base.setters if s.verdict == base.verdict})
        return messages.not_advised_note(self.program, target, ex, base.verdict, why + list(base.flags))

    def _rung_order(self, name: str) -> tuple[int, str]:
        """Lowest rung first; an exercise on no ladder counts as the lowest."""
        rung = self.program.exercises[name].rung
        return (rung if rung is not None else -1, name)

    def _target_of(self, ex: str, verdict: str, setter: Setter) -> str | None:
        """Where a progress or regress rule moves an exercise: its `to`, else one rung."""
        rule = self.program.rules[setter.rule]
        if rule.to and not setter.via_unknown:
            return rule.to
        return ir.next_rung(self.program, ex, verdict)

    def _alternatives(self, ex: str, setters: list[Setter], permitted: _Permitted) -> list[str]:
        out: list[str] = []
        for s in setters:
            for alternative in self.program.rules[s.rule].instead:
                if alternative != ex and alternative in permitted and alternative not in out:
                    out.append(alternative)
        return out


class _LazyBases:
    """Each exercise's verdict before targets and alternatives, computed on first use."""

    def __init__(self, combination: Combination, unknown_flags: tuple[str, ...]) -> None:
        self.combination = combination
        self.values: dict[str, _Base] = {}
        verdict = combination.program.otherwise
        if unknown_flags and RANK[verdict] > _CHECK:
            verdict = "check"
        self.unset = _Base(verdict, (), unknown_flags)  # an exercise no rule applies to

    def __getitem__(self, ex: str) -> _Base:
        base = self.values.get(ex)
        if base is None:
            base = self.values[ex] = self.combination._base(ex, self.unset)
        return base


class _Permitted:
    """`x in permitted`: whether an exercise's own verdict is allow, modify or progress."""

    def __init__(self, bases: _LazyBases) -> None:
        self.bases = bases

    def __contains__(self, ex: object) -> bool:
        return isinstance(ex, str) and self.bases[ex].verdict in _PERMITTED
