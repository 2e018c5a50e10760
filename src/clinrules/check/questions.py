"""Checker, questions: that unknown is a decision the author made, and that it can be asked about.

Two warnings (language-2.md section 4). CR506: a field that can be missing
from a red flag, or from a rule whose unknown counts as a verdict, and that
has no question in the model (no `ask`, no description), since the decision
would have to ask the patient by its path. CR507: a rule more restrictive
than `otherwise` whose condition can be unknown, with no `when unknown` and
no header `unknown`: today such a rule silently does not fire, and `when
unknown ignore` says so where a reviewer sees it.

"Can be unknown" is judged from the IR alone and errs towards a warning: a
condition can be unknown unless every field it reads outside `is known` is
required by the model (neither Optional nor in a group that may be absent).
A node this module does not know, with nothing under it, counts as one that
can be unknown.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator

from clinrules import ir
from clinrules.base.span import Span
from clinrules.base.vocabulary import Verdict
from clinrules.check.names import Reporter
from clinrules.schema.reader import Field, Schema

_RANK = {v.value: i for i, v in enumerate(Verdict)}
_NODES = (*typing.get_args(ir.Condition), *ir.EXPRESSIONS)
_ALWAYS_KNOWN = (ir.ParamRef, ir.Const, ir.EnumConst, ir.Now)


def check_questions(program: ir.Program, report: Reporter) -> None:
    """Report CR506 and CR507 for a checked program (warnings only)."""
    _fields_without_questions(program, report)
    for rule in program.rules:
        if rule.unknown_from is not ir.UnknownFrom.NONE:
            continue
        if _RANK[rule.verdict] >= _RANK[program.otherwise]:
            continue
        if next(_unknowable(rule.condition, program.schema), None) is None:
            continue
        report.error(
            "CR507",
            f"the rule '{rule.id}' ({rule.verdict}) is more restrictive than 'otherwise "
            f"{program.otherwise}', and its condition can be unknown: say what an unknown does",
            (rule.where.file, rule.condition.span),
            f"add 'when unknown check' (or another verdict) to ask first, or 'when unknown ignore' "
            f"if an unknown condition should not {rule.verdict}",
        )


def _fields_without_questions(program: ir.Program, report: Reporter) -> None:
    readers: list[tuple[str, ir.Condition, ir.Where]] = [
        (f"the red flag '{f.id}'", f.condition, f.where) for f in program.red_flags
    ]
    readers += [
        (f"the rule '{r.id}' (when unknown {r.when_unknown})", r.condition, r.where)
        for r in program.rules
        if r.when_unknown is not None
    ]
    warned: set[str] = set()
    for reader, condition, where in readers:
        for node, span in _unknowable(condition, program.schema):
            if not isinstance(node, ir.FieldRef) or node.path in warned:
                continue
            field = _field(program.schema, node)
            if field is None or field.ask is not None:
                continue
            warned.add(node.path)
            report.error(
                "CR506",
                f"the field '{node.path}' has no question, and {reader} reads it: "
                "a missing answer could only be asked for by its path",
                (where.file, span),
                'give the field a question in the model: Field(json_schema_extra={"ask": "...?", '
                '"answered_by": "patient"}), or a description',
            )


def _field(schema: Schema, node: ir.FieldRef) -> Field | None:
    if node.session:
        return schema.session_fields.get(node.path.split(".", 1)[1])
    return schema.fields.get(node.path)


def _unknowable(root: ir.Condition, schema: Schema) -> Iterator[tuple[ir.Condition | ir.Expr, Span]]:
    """Each node under `root` that can leave it unknown, with a span in the declaration's own file.

    The span is the node's own, or the outermost defined phrase it was reached
    through (whose body may be in another file). `is known` is never unknown,
    so nothing under it counts; a phrase is walked once.
    """
    stack: list[tuple[ir.Condition | ir.Expr, Span | None]] = [(root, None)]
    walked: set[int] = set()
    while stack:
        node, anchor = stack.pop()
        if isinstance(node, (ir.Known, *_ALWAYS_KNOWN)):
            continue
        if isinstance(node, ir.FieldRef):
            field = _field(schema, node)
            if field is None or not field.required:
                yield node, anchor or node.span
            continue
        if isinstance(node, ir.Phrase):
            if id(node.condition) not in walked:
                walked.add(id(node.condition))
                stack.append((node.condition, anchor or node.span))
            continue
        children = list(_children(node))
        if not children and not isinstance(node, ir.History):
            own: Span = getattr(node, "span", root.span)
            yield node, anchor or own
        stack.extend((child, anchor) for child in reversed(children))


def _children(node: ir.Condition | ir.Expr) -> Iterator[ir.Condition | ir.Expr]:
    """The condition and expression nodes right under `node`, whatever its type."""
    if not dataclasses.is_dataclass(node):
        return
    for item in dataclasses.fields(node):
        value = getattr(node, item.name)
        for part in value if isinstance(value, tuple) else (value,):
            if isinstance(part, _NODES):
                yield part
