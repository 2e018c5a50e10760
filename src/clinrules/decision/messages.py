"""Decision, messages: the words a decision gives people (language-2.md sections 4 and 9).

A patient is never shown a field path: every text asks the field's question
(its `ask`, else its description; a field with neither gets a plain
sentence that names no path, and the checker warns, CR506). When red flags
fire, only those of the most pressing care speak, so an A&E message never
stands beside "speak to a doctor today"; the others stay in `because` and
the trace.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from clinrules import ir
from clinrules.base.vocabulary import Care
from clinrules.decision.made import NONE, ExerciseRecord, built
from clinrules.decision.missing import Missing
from clinrules.decision.result import Question, Verdict
from clinrules.schema.reader import SESSIONS, Field, Schema


class Setter(NamedTuple):
    """A rule that set an exercise's verdict (a tuple: made for every rule that fires, at every recheck)."""

    rule: int
    verdict: str
    via_unknown: bool


_CARE_RANK = {c: i for i, c in enumerate(Care)}  # the most pressing first
_ID = operator.attrgetter("id")


def question_for(schema: Schema, path: str) -> Question:
    """The question to ask for a missing field (a `missing` entry)."""
    field = _field(schema, path)
    ask = field.ask if field is not None else None
    if ask is None:
        # No question in the model (CR506 warned): words from the field's name, never its path.
        words = path.rsplit(".", 1)[-1].replace("_", " ")
        ask = f"We need an answer about: {words}."
    return built(Question, field=path, ask=ask, answered_by=field.answered_by if field is not None else None)


class Questions:
    """The question of every field of a model, made once per ruleset and shared by its decisions.

    A `Question` is a frozen model, so one instance may stand in every
    decision that asks it; a path not made here (none, when built from the
    schema's own fields) is asked afresh. Immutable; safe to share between threads.
    """

    __slots__ = ("_by_path", "_sentences", "schema")

    def __init__(self, schema: Schema, paths: Iterable[str] | None = None) -> None:
        if paths is None:
            paths = [*schema.fields, *(f"{SESSIONS}.{leaf}" for leaf in schema.session_fields)]
        self.schema = schema
        self._by_path: Mapping[str, Question] = MappingProxyType({p: question_for(schema, p) for p in paths})
        self._sentences: Mapping[str, str] = MappingProxyType(
            {p: _sentence(q.ask) for p, q in self._by_path.items()}
        )

    def of(self, path: str) -> Question:
        """The question for a missing field."""
        found = self._by_path.get(path)
        return found if found is not None else question_for(self.schema, path)

    def all(self, paths: Iterable[str]) -> list[Question]:
        """One question per path, in the order given."""
        return [self.of(path) for path in paths]

    def answer_first(self, paths: Iterable[str], before: str) -> str:
        """`Before this exercise, please answer: Q1 Q2`: the words of a verdict set by missing answers."""
        sentences = self._sentences
        asks = [sentences.get(p) or _sentence(self.of(p).ask) for p in sorted(paths)]
        if not asks:
            return f"{before}, please answer the questions that are still open."
        return f"{before}, please answer: " + " ".join(asks)


def most_pressing(program: ir.Program, fired: Iterable[str]) -> list[ir.RedFlag]:
    """The fired red flags of the most pressing care, sorted by id: the ones whose words are given."""
    ids = set(fired)
    flags = [f for f in program.red_flags if f.id in ids]
    if len(flags) < 2:
        return flags
    care = min((f.care for f in flags), key=_CARE_RANK.__getitem__)
    return sorted((f for f in flags if f.care == care), key=_ID)


def flag_words(flags: Sequence[ir.RedFlag]) -> tuple[list[str], list[str], list[str]]:
    """The `say`, `notes` and `cite` of red flags, in the order given."""
    return (
        [f.messages.say for f in flags if f.messages.say],
        [f.messages.note for f in flags if f.messages.note],
        sorted({c for f in flags for c in f.messages.cite}),
    )


def not_advised_note(program: ir.Program, target: str | None, ex: str, verdict: str, why: list[str]) -> str:
    """The note of a progress that became allow: the exercise it was ready for, by name, and why not."""
    if target is None:
        return "Ready to move up, but there is no harder exercise to move to: keep to this one."
    if target == ex:
        return "Ready to move up, but the rule names this exercise itself as the next one: keep to it."
    name = program.exercises[target].name
    because = f" ({', '.join(why)})" if why else ""
    return (
        f"Ready to move up to {name}, but it is not advised for this patient now: it is '{verdict}'{because}."
    )


def _field(schema: Schema, path: str) -> Field | None:
    head, _, leaf = path.partition(".")
    if head == SESSIONS and leaf in schema.session_fields:
        return schema.session_fields[leaf]
    return schema.fields.get(path)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".?!" else text + "."


class Spoken:
    """The words of one decision's exercises: a part of `combine.Combination`, which gives what they read.

    Each verdict's words are those of the rules that set it, then the unknown
    red flags' questions, worked out once per decision.
    """

    program: ir.Program
    flag_sentences: dict[tuple[str, ...], str]  # the unknown red flags' sentence, by those flags
    held_back: ExerciseRecord | None  # see `_held_back`

    @property
    def why(self) -> Missing:
        raise NotImplementedError  # the combination's

    @property
    def questions(self) -> Questions:
        raise NotImplementedError  # the combination's

    def _held_back(self, flags: tuple[str, ...]) -> ExerciseRecord:
        """The record of an exercise held back to check by unknown red flags alone: the same for all such."""
        if self.held_back is None:
            say, notes, cite = self._messages("", [], flags)
            self.held_back = (Verdict.CHECK, sorted(flags), None, NONE, None, None, say, notes, cite)
        return self.held_back

    def _messages(
        self, ex: str, setters: list[Setter], flags: tuple[str, ...], regress_kept: bool = True
    ) -> tuple[list[str], list[str], list[str]]:
        """The words of the rules that set the verdict, in the order of their ids, then the unknown red flags'.

        A regress that became avoid says nothing of its own.
        """
        if not setters and not flags:
            return [], [], []
        say: list[str] = []
        notes: list[str] = []
        cite: set[str] = set()
        rules = self.program.rules
        for setter in setters:  # sorted by rule id (`_final`)
            rule = rules[setter.rule]
            silent = setter.verdict == "regress" and not regress_kept
            if setter.via_unknown:
                if rule.unknown_say:
                    if not silent:
                        say.append(rule.unknown_say)
                else:
                    missed = self.why.rule(setter.rule, ex)
                    say.append(self.questions.answer_first(missed, "Before this exercise"))
                continue
            if rule.messages.say and not silent:
                say.append(rule.messages.say)
            if rule.messages.note:
                notes.append(rule.messages.note)
            cite.update(rule.messages.cite)
        if flags:
            say.append(self._flags_words(flags))
        return say, notes, sorted(cite)

    def _flags_words(self, flags: tuple[str, ...]) -> str:
        """`Before exercising, please answer: ...`: the unknown red flags' questions, worked out once."""
        # Every exercise of one decision is held back by the same unknown red flags.
        found = self.flag_sentences.get(flags)
        if found is None:
            questions = set().union(
                *(self.why.flag(i) for i, f in enumerate(self.program.red_flags) if f.id in flags)
            )
            found = self.flag_sentences[flags] = self.questions.answer_first(questions, "Before exercising")
        return found
