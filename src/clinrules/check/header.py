"""Checker, headers: the `ruleset`/`library` lines of every file, and the model they name.

Required lines are required, single lines are single, a status is one of
four words, `approved` needs a `reviewed` line (nobody may claim a review
that did not happen), and every included library names the same model as
the ruleset. The model is resolved here and read into a schema, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel

from clinrules import ir
from clinrules.check.names import Reporter, did_you_mean
from clinrules.models import UnknownModelError, model_names, resolve_model
from clinrules.schema.reader import Schema, SchemaError, schema_of
from clinrules.syntax import ast

if TYPE_CHECKING:
    from clinrules.check.loader import LoadedFile

STATUSES = ("draft", "review", "approved", "retired")
_SINGLE = ("title", "version", "status", "model", "unknown", "safety_net")
_DEFAULT_UNKNOWN = ("check", "stop", "avoid")


@dataclass(frozen=True, slots=True)
class HeaderInfo:
    """What the top file's header says, checked."""

    id: str
    title: str | None
    version: str
    status: str
    model: str
    reviews: tuple[ir.Review, ...]
    unknown_default: str | None
    schema: Schema | None
    safety_net: str | None = None
    """The top file's `safety net` text: shown with every decision, whatever its triage."""


def check_header(
    files: Sequence[LoadedFile], override: type[BaseModel] | None, override_name: str | None, report: Reporter
) -> HeaderInfo:
    """Check the header of every file; resolve and read the model."""
    root = files[0].rule_file
    lines = _lines(root, report)
    for loaded in files[1:]:
        _lines(loaded.rule_file, report)
        _same_model(loaded, root, override, report)
    status = lines["status"].value if "status" in lines else "draft"
    unknown = lines.get("unknown")
    reviews = tuple(
        ir.Review(line.value, line.by.value if line.by else "")
        for line in root.header.lines
        if line.key == "reviewed"
    )
    model_line = lines.get("model")
    return HeaderInfo(
        id=root.header.id.name,
        title=lines["title"].value if "title" in lines else None,
        version=lines["version"].value if "version" in lines else "0.0.0",
        status=status,
        model=override_name or (model_line.value if model_line else ""),
        reviews=reviews,
        unknown_default=unknown.value if unknown is not None and unknown.value in _DEFAULT_UNKNOWN else None,
        schema=_schema(root, model_line, override, override_name, report),
        safety_net=lines["safety_net"].value if "safety_net" in lines else None,
    )


def _lines(rule_file: ast.RuleFile, report: Reporter) -> dict[str, ast.HeaderLine]:
    file, header = rule_file.file, rule_file.header
    out: dict[str, ast.HeaderLine] = {}
    for line in header.lines:
        if line.key in _SINGLE and line.key in out:
            shown = line.key.replace("_", " ")
            report.error("CR402", f"the header gives '{shown}' twice", (file, line.span), "keep one")
            continue
        out.setdefault(line.key, line)
    for key in ("version", "status"):
        if key not in out:
            report.error(
                "CR401",
                f"the header has no '{key}' line",
                (file, header.span),
                "add it under the first line: version 1.0.0" if key == "version" else "add: status draft",
            )
    status = out.get("status")
    if status is not None and status.value not in STATUSES:
        report.error(
            "CR204",
            f"unknown status '{status.value}'; a status is one of {', '.join(STATUSES)}",
            (file, status.span),
            did_you_mean(status.value, STATUSES),
        )
    # A library is reviewed as part of the ruleset that includes it (its text
    # is in the ruleset's sha256), so only a ruleset must name its review.
    is_ruleset = header.kind is ast.FileKind.RULESET
    reviewed = any(x.key == "reviewed" for x in header.lines)
    if is_ruleset and status is not None and status.value == "approved" and not reviewed:
        report.error(
            "CR404",
            "a ruleset can be 'approved' only with a 'reviewed' line naming who reviewed it and when",
            (file, status.span),
            'add: reviewed 2026-01-16 by "Name, role", or keep the status at review until that review happens',
        )
    safety_net = out.get("safety_net")
    if safety_net is not None and header.kind is ast.FileKind.LIBRARY:
        report.error(
            "CR430",
            "a library cannot hold a 'safety net': the ruleset that includes it shows one with every decision",
            (file, safety_net.span),
            "move the line to the header of the ruleset",
        )
    unknown = out.get("unknown")
    if unknown is not None and unknown.value not in _DEFAULT_UNKNOWN:
        report.error(
            "CR405",
            f"'unknown {unknown.value}' is not allowed as the default for unknown conditions",
            (file, unknown.span),
            f"use one of: {', '.join(_DEFAULT_UNKNOWN)}",
        )
    return out


def _same_model(
    loaded: LoadedFile, root: ast.RuleFile, override: type[BaseModel] | None, report: Reporter
) -> None:
    if override is not None or loaded.include_site is None:
        return
    mine = next((x.value for x in loaded.rule_file.header.lines if x.key == "model"), None)
    theirs = next((x.value for x in root.header.lines if x.key == "model"), None)
    if mine is not None and theirs is not None and mine != theirs:
        report.error(
            "CR419",
            f"the library {loaded.rule_file.file} is written for the model '{mine}', but this ruleset uses '{theirs}'",
            loaded.include_site,
        )


def _schema(
    root: ast.RuleFile,
    line: ast.HeaderLine | None,
    override: type[BaseModel] | None,
    override_name: str | None,
    report: Reporter,
) -> Schema | None:
    where = (root.file, line.span if line else root.header.span)
    if override is not None:
        model, name = override, override_name or override.__name__
    elif line is None:
        report.error(
            "CR403",
            "the header names no model, so the fields the rules use cannot be checked",
            where,
            "add a model line, such as: model sciatica",
        )
        return None
    else:
        try:
            model, name = resolve_model(line.value), line.value
        except UnknownModelError as error:
            report.error(
                "CR205",
                error.reason or f"unknown model '{line.value}'",
                where,
                did_you_mean(line.value, model_names()) or f"the models are: {', '.join(model_names())}",
            )
            return None
    try:
        return schema_of(model, name)
    except SchemaError as error:
        bounds = error.code == "CR218"
        report.error(
            error.code,
            str(error),
            where,
            "give the field a finite bound within 1e15, or none"
            if bounds
            else "change the field's type, or give rules a model without it",
        )
        return None
