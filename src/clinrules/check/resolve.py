"""Checker, names: what a word in a condition stands for.

A bare word may be a session field (inside `had`), a defined phrase, a
parameter or a patient field, looked up in that order; beside a choice it may
be one of the choice's values. A failed lookup says what the word could
have meant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clinrules import ir
from clinrules.base.span import Span
from clinrules.check.names import Scope, did_you_mean
from clinrules.check.typecheck import YES_NO_HINT, TypeRules, poison, type_of, yes_no_hint
from clinrules.schema import types as t
from clinrules.schema.reader import Field, Schema
from clinrules.syntax import ast


@dataclass(frozen=True, slots=True)
class PhraseSource:
    """A define and the file it is in."""

    define: ast.Define
    file: str


class NameRules(TypeRules):
    """Name resolution for `ConditionChecker`, kept apart for size."""

    schema: Schema
    parameters: Mapping[str, ir.Parameter]
    phrases: Mapping[str, PhraseSource]
    used_phrases: set[str]
    histories: set[str]
    """The checked phrases that hold a session form, themselves or through a phrase they use."""
    scored: Mapping[str, Any]
    """The scores and assessments, by id (`ScoredSource`s, check/scores.py)."""
    scored_phrases: set[str]
    """The checked phrases that use a score, a `count of` or an assessment."""

    def _scored_ref(self, node: ast.Ref, scope: Scope) -> ir.Expr:
        raise NotImplementedError

    def phrase(self, name: str) -> ir.Phrase | None:
        raise NotImplementedError

    def _expr(self, node: ast.Expr, scope: Scope) -> ir.Expr:
        raise NotImplementedError

    def _operand(self, node: ast.Expr, scope: Scope) -> ir.Expr | ir.Phrase:
        """An expression, or the phrase a name stands for."""
        if isinstance(node, ast.Ref):
            phrase = self._phrase_use(node, scope)
            if phrase is not None:
                return phrase
        return self._expr(node, scope)

    def _phrase_use(self, node: ast.Ref, scope: Scope) -> ir.Phrase | None:
        if node.kind is ast.RefKind.PATH or node.text not in self.phrases:
            return None
        if scope.session and node.text in self.schema.session_fields:
            return None
        self.used_phrases.add(node.text)
        phrase = self.phrase(node.text)
        if phrase is None:
            return ir.Phrase(node.text, ir.Truth(poison(node.span), node.span), False, node.span)
        if phrase.session and not scope.session:
            self.report.error(
                "CR212",
                f"'{node.text}' is about one session, so it can be used only after 'had'",
                self._where(node.span),
                f"ask about sessions: the last session had {node.text}",
            )
        if scope.in_history and phrase.name in self.histories:
            self.report.error(
                "CR418",
                f"'{node.text}' uses a session form, so it cannot stand inside 'had'",
                self._where(node.span),
            )
        elif scope.in_history and phrase.name in self.scored_phrases:
            self.report.error(
                "CR221",
                f"'{node.text}' uses a score or an assessment, so it cannot stand inside 'had', "
                "which tests one session",
                self._where(node.span),
                "move this part out of the 'had' and join the two with 'and'",
            )
        return ir.Phrase(phrase.name, phrase.condition, phrase.session, node.span)

    def _ref(self, node: ast.Ref, scope: Scope) -> ir.Expr:
        where = self._where(node.span)
        text = node.text
        if node.kind is ast.RefKind.PATH:
            return self._path(node, scope)
        if text in self.scored:
            return self._scored_ref(node, scope)
        if node.kind is ast.RefKind.WORDS and " " in text and text not in self.phrases:
            self.report.error(
                "CR202",
                f"unknown phrase '{text}'",
                where,
                did_you_mean(text, self.phrases) or define_hint(text),
            )
            return poison(node.span)
        if text in self.phrases and text not in self.parameters:  # a clash is reported elsewhere
            self.report.error(
                "CR302",
                f"'{text}' is a condition, not a value",
                where,
                "use it on its own, or with 'and', 'or' and 'not'",
            )
            return poison(node.span)
        session_field = self.schema.session_fields.get(text)
        paths = self.schema.leaves.get(text, ())
        if session_field is not None and paths and (scope.session or text not in paths):
            # One name, one meaning: a word that is a session's field and the
            # patient's would mean one in a rule and the other in a define.
            # Only a top-level patient field outside 'had' is exempt: its name is its path.
            self._two_meanings(text, paths, node.span)
            return poison(node.span)
        if session_field is not None and scope.session:
            return ir.FieldRef(session_field.path, session_field.type, True, node.span)
        parameter = self.parameters.get(text)
        if parameter is not None:
            return ir.ParamRef(parameter.id, parameter.type, node.span)
        if len(paths) == 1:
            field = self.schema.fields[paths[0]]
            return ir.FieldRef(field.path, field.type, False, node.span)
        if len(paths) > 1:
            self.report.error(
                "CR211",
                f"'{text}' could be any of {', '.join(paths)}",
                where,
                f"write the whole path, such as {paths[0]}",
            )
            return poison(node.span)
        if session_field is not None:
            self.report.error(
                "CR212",
                f"'{text}' is a field of a session, so it can be used only after 'had'",
                where,
                f"ask about sessions: the last session had {text} ...",
            )
            return poison(node.span)
        if text in self.schema.groups:
            return self._group(text, node.span)
        names = [*self.schema.leaves, *self.parameters, *self.phrases, *self.scored]
        if scope.session:
            names += list(self.schema.session_fields)
        owners = [
            f.path for f in self._all_fields() if isinstance(f.type, t.EnumType) and text in f.type.members
        ]
        hint = (
            f"'{text}' is a value of {', '.join(owners)}, not a field"
            if owners
            else (YES_NO_HINT if text.lower() in TRUTH_WORDS else did_you_mean(text, names))
        )
        self.report.error("CR201", f"unknown field '{text}'", where, hint)
        return poison(node.span)

    def _two_meanings(self, text: str, paths: tuple[str, ...], span: Span) -> None:
        session_path = f"sessions.{text}"
        longer = [p for p in paths if p != text]
        if longer:
            hint = (
                f"write the whole path: {session_path} for a session's answer (after 'had'), "
                f"{' or '.join(longer)} for the patient's"
            )
        else:
            hint = (
                f"write {session_path} for a session's answer; the patient's '{text}' has no longer path, "
                "so inside 'had' and in a define it cannot be told apart: rename one of the two fields"
            )
        self.report.error(
            "CR211",
            f"'{text}' could be the patient's {', '.join(paths)} or the session field {session_path}",
            self._where(span),
            hint,
        )

    def _all_fields(self) -> list[Field]:
        return [*self.schema.fields.values(), *self.schema.session_fields.values()]

    def _path(self, node: ast.Ref, scope: Scope) -> ir.Expr:
        text = node.text
        field = self.schema.fields.get(text)
        if field is not None:
            return ir.FieldRef(field.path, field.type, False, node.span)
        head, _, leaf = text.partition(".")
        if head == "sessions" and leaf in self.schema.session_fields:
            if not scope.session:
                self.report.error(
                    "CR212",
                    f"'{text}' is a field of a session, so it can be used only after 'had'",
                    self._where(node.span),
                )
                return poison(node.span)
            session_field = self.schema.session_fields[leaf]
            return ir.FieldRef(session_field.path, session_field.type, True, node.span)
        if text in self.schema.groups:
            return self._group(text, node.span)
        paths = [*self.schema.fields, *(f.path for f in self.schema.session_fields.values())]
        self.report.error(
            "CR201", f"unknown field '{text}'", self._where(node.span), did_you_mean(text, paths)
        )
        return poison(node.span)

    def _group(self, path: str, span: Span) -> ir.Expr:
        inside = sorted(p for p in self.schema.fields if p.startswith(path + "."))
        self.report.error(
            "CR213",
            f"'{path}' is a group of fields, not a value",
            self._where(span),
            f"name one of its fields, such as {', '.join(inside[:3])}",
        )
        return poison(span)

    def _pair(self, left_node: ast.Expr, right_node: ast.Expr, scope: Scope) -> tuple[ir.Expr, ir.Expr]:
        """Both sides of a comparison; a bare word beside an enum is a member of it."""
        if isinstance(right_node, ast.Ref) and right_node.kind is ast.RefKind.WORDS:
            left = self._expr(left_node, scope)
            if (
                isinstance(type_of(left), t.BoolType)
                and right_node.text.lower() in TRUTH_WORDS
                and not self._is_name(right_node.text, scope)
            ):
                self.report.error(
                    "CR201",
                    f"unknown field '{right_node.text}': there is no true or false in the language",
                    self._where(right_node.span),
                    yes_no_hint(shown(left_node)),
                )
                return left, poison(right_node.span)
            return left, self._enum_or_expr(right_node, type_of(left), scope)
        right = self._expr(right_node, scope)
        return self._enum_or_expr(left_node, type_of(right), scope), right

    def _enum_or_expr(self, node: ast.Expr, other: t.RuleType, scope: Scope) -> ir.Expr:
        if not isinstance(node, ast.Ref) or node.kind is ast.RefKind.PATH:
            return self._expr(node, scope)
        if isinstance(other, t.ErrorType):
            # The other side already has an error: whether this word is a
            # value or a name cannot be known, so say nothing more.
            return poison(node.span)
        if isinstance(other, t.EnumType):
            if node.text in other.members:
                return ir.EnumConst(node.text, other.members.index(node.text), other, node.span)
            if not self._is_name(node.text, scope):
                self.report.error(
                    "CR203",
                    f"'{node.text}' is not one of the values {', '.join(other.members)}",
                    self._where(node.span),
                    did_you_mean(node.text, other.members),
                )
                return poison(node.span)
        return self._expr(node, scope)

    def _is_name(self, text: str, scope: Scope) -> bool:
        """True when a word names a field, parameter or phrase (in this scope)."""
        return (
            text in self.schema.leaves
            or text in self.parameters
            or text in self.phrases
            or text in self.scored
            or (scope.session and text in self.schema.session_fields)
        )


def uses_session(condition: ir.Condition) -> bool:
    """True when a condition reads a session field outside any session form of its own.

    A phrase it uses already says so of itself (`Phrase.session`): the walk
    stops there, so checking every define costs time linear in the program.
    """
    return any(
        isinstance(n, ir.FieldRef | ir.Phrase) and n.session
        for n in ir.nodes(condition, into_history=False, into_phrases=False)
    )


def has_history(condition: ir.Condition, histories: set[str]) -> bool:
    """True when a condition holds a session form, itself or in a phrase named in `histories`."""
    return any(
        isinstance(n, ir.History) or (isinstance(n, ir.Phrase) and n.name in histories)
        for n in ir.nodes(condition, into_phrases=False)
    )


def ladder_scope_spans(condition: ir.Condition, phrases: set[str]) -> list[Span]:
    """Where a condition uses a ladder scope: its session forms, and its uses of a phrase in `phrases`."""
    return sorted(
        (
            n.span
            for n in ir.nodes(condition, into_phrases=False)
            if (isinstance(n, ir.History) and n.scope in ir.LADDER_SCOPES)
            or (isinstance(n, ir.Phrase) and n.name in phrases)
        ),
        key=lambda span: span.start,
    )


def shown(node: ast.Expr) -> str:
    match node:
        case ast.Ref(text=text):
            return text
        case ast.Number(text=text, unit=unit):
            return f"{text} {unit}" if unit else text
        case ast.Now():
            return "now"
        case ast.Arithmetic(op=op, left=left, right=right):
            return f"{shown(left)} {op} {shown(right)}"
    return "this"


TRUTH_WORDS = frozenset({"true", "false", "yes", "no"})
"""Words people write for a yes/no answer, which the language spells as the field or `not` it."""


def define_hint(text: str) -> str:
    return f"a phrase of several words must be defined first: define {text}: ..."
