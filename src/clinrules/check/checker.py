"""Checker: parsed files (a ruleset and the libraries it includes) -> a checked `Program`.

The checker never stops at the first problem: it walks every header line,
declaration and clause, reports each mistake once into one `Reporter`, and
raises a single `RulesetError` with all of them, sorted. Conditions are typed
by `conditions.py`; this module checks the header, ids, exercises, doses,
ladders, red flags, rules and their clauses, and what goes unused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from pydantic import BaseModel

from clinrules import ir
from clinrules.base.diagnostics import has_errors
from clinrules.base.errors import RulesetError
from clinrules.base.span import Span
from clinrules.check.advice import Decl, RuleChecks
from clinrules.check.conditions import ConditionChecker, PhraseSource
from clinrules.check.doses import DoseChecker
from clinrules.check.header import check_header
from clinrules.check.loader import LoadedFile
from clinrules.check.names import Reporter
from clinrules.check.parameters import check_parameters
from clinrules.check.questions import check_questions
from clinrules.check.scores import ScoredSource, dependency_order, report_clashes
from clinrules.schema.reader import Schema
from clinrules.syntax import ast


def check(
    files: Sequence[LoadedFile],
    model: type[BaseModel] | None = None,
    model_name: str | None = None,
    standalone: bool = False,
) -> tuple[ir.Program, list[Reporter]]:
    """Check a ruleset (or, with `standalone`, a library on its own).

    Args:
        files: the top file first, then every file it includes.
        model: a model class that overrides the header's `model` line.
        model_name: the name `model` is known by (a registry name, or the class name).
        standalone: the top file is checked alone (`clinrules check` on a
            library): unused defines and sources are not reported, since the
            files that include it may use them.

    Returns:
        The program and the reporter holding its warnings.

    Raises:
        RulesetError: any error, with every diagnostic found.
    """
    checker = _Checker(files, model, model_name, standalone)
    program = checker.run()
    if has_errors(checker.report.diagnostics) or program is None:
        raise RulesetError(checker.report.diagnostics)
    return program, [checker.report]


class _Checker(RuleChecks):
    def __init__(
        self,
        files: Sequence[LoadedFile],
        model: type[BaseModel] | None,
        model_name: str | None,
        standalone: bool,
    ) -> None:
        self.files = files
        self.root = files[0].rule_file
        self.report = Reporter()
        self.standalone = standalone
        self.model_override = model
        self.model_name = model_name
        self.decls = [
            Decl(node, f.rule_file.file, f.include_site) for f in files for node in f.rule_file.declarations
        ]

    def run(self) -> ir.Program | None:
        header = check_header(self.files, self.model_override, self.model_name, self.report)
        seen: dict[tuple[str, str], Decl] = {}
        for decl in self.decls:
            self._register(decl, seen)
        parameters = check_parameters(self.decls, header.schema.units() if header.schema else {}, self.report)
        doses = DoseChecker(self.report)
        exercises = self._exercises(doses)
        ladders = self._ladders(exercises)
        sources = self._sources()
        schema = header.schema
        if schema is not None:
            self._names_against_fields(schema, parameters)
        phrases = {
            d.node.phrase.text: PhraseSource(d.node, d.file)
            for d in self.decls
            if isinstance(d.node, ast.Define)
        }
        scored = self._scored()
        if schema is not None:
            fields = set(schema.leaves) | set(schema.session_fields)
            report_clashes(scored, fields, parameters, phrases, self.report)
        conditions = (
            ConditionChecker(
                schema, parameters, phrases, exercises, self.report, scored, sources, self._texts()
            )
            if schema is not None
            else None
        )
        if conditions is not None:
            # Phrases, scores and assessments may use one another: each after what it uses.
            order, cycles = dependency_order(phrases, scored)
            conditions.report_cycles(cycles)
            for name in order:
                if name in phrases:
                    conditions.phrase(name)
                else:
                    conditions.check_scored(name)
        red_flags = self._red_flags(conditions, sources)
        rules = self._rules(conditions, sources, exercises, ladders, doses, header)
        requirements = self._requirements(conditions, exercises, ladders)
        # Red flags, scores and assessments alone (language-2.md section 6): 'otherwise' decides nothing.
        otherwise = self._otherwise(has_exercises=bool(exercises) or not scored)
        self._unused(conditions, sources, exercises, rules, ladders)
        if schema is None or conditions is None:
            return None
        checked = {n: conditions.scored_ir[n] for n in scored if n in conditions.scored_ir}
        program = ir.Program(
            id=header.id,
            kind=self.root.header.kind.value,
            title=header.title,
            version=header.version,
            status=header.status,
            model=header.model,
            reviews=header.reviews,
            unknown_default=header.unknown_default,
            schema=schema,
            sources=sources,
            parameters=parameters,
            exercises=exercises,
            ladders=ladders,
            red_flags=red_flags,
            rules=rules,
            otherwise=otherwise,
            sources_text=tuple((f.rule_file.file, f.text) for f in self.files),
            where=ir.Where(self.root.file, self.root.header.span),
            safety_net=header.safety_net,
            scores={n: s for n, s in checked.items() if isinstance(s, ir.Score)},
            assessments={n: a for n, a in checked.items() if isinstance(a, ir.Assessment)},
            requirements=requirements,
        )
        if not has_errors(self.report.diagnostics):  # warnings about a program that holds together
            check_questions(program, self.report)
        return program

    def _requirements(
        self,
        conditions: ConditionChecker | None,
        exercises: dict[str, ir.Exercise],
        ladders: dict[str, ir.Ladder],
    ) -> tuple[ir.Requirement, ...]:
        """The `require` invariants, typed and resolved as rules are; they decide nothing (issue 17)."""
        out: list[ir.Requirement] = []
        for decl in self.decls:
            node = decl.node
            if not isinstance(node, ast.Require):
                continue
            targets = self._targets(node.targets, decl, exercises, ladders, "require")
            verdict = node.verdict.word
            kind = ir.RequireKind(node.bound.value) if node.bound else ir.RequireKind.NEVER
            if node.verdict.target is not None:
                self.report.error(
                    "CR429",
                    f"a require bounds the verdict '{verdict}' itself; 'to {node.verdict.target.name}' has no place in it",
                    (decl.file, node.verdict.span),
                    f"write the verdict alone: ... {kind.value if node.bound else 'no TARGETS'} {verdict}",
                )
            never_fails = {ir.RequireKind.AT_LEAST: "progress", ir.RequireKind.AT_MOST: "urgent"}
            if node.bound is not None and never_fails.get(kind) == verdict:
                self.report.error(  # a warning: the code's severity
                    "CR428",
                    f"'{kind.value} {verdict}' holds for every verdict, so this require promises nothing",
                    (decl.file, node.bound.span.cover(node.verdict.span)),
                    "'urgent' is the strictest verdict and 'progress' the most permissive: "
                    "bound by a verdict in between, or write: no TARGETS VERDICT when ...",
                )
            if conditions is None:  # no model: nothing to type the condition against
                continue
            condition = conditions.condition(node.condition, decl.file)
            self._ladder_scopes(condition, conditions.ladder_phrases, decl, targets, exercises)
            title = node.title.value if node.title else None
            where = ir.Where(decl.file, node.span)
            out.append(ir.Requirement(node.id.name, title, condition, targets, kind, verdict, where))
        return tuple(out)

    def _texts(self) -> dict[str, str]:
        return {f.rule_file.file: f.text for f in self.files}

    def _scored(self) -> dict[str, ScoredSource]:
        """The scores and assessments by id (the first of each; CR214 reports another)."""
        texts = self._texts()
        out: dict[str, ScoredSource] = {}
        for decl in self.decls:
            if isinstance(decl.node, ast.Score | ast.Assess) and decl.node.id.name not in out:
                out[decl.node.id.name] = ScoredSource(decl.node, decl.file, texts.get(decl.file, ""))
        return out

    # ------------------------------------------------------------ ids

    def _where(self, decl: Decl, span: Span) -> tuple[str, Span]:
        return (decl.file, span)

    def _register(self, decl: Decl, seen: dict[tuple[str, str], Decl]) -> None:
        key = _key(decl.node)
        if key is None:
            return
        namespace, name, span = key
        namespace = "rule or red flag" if namespace == "rule" else namespace
        # A require's id is its own namespace: prove reports a promise by it (issue 17).
        code = "CR427" if namespace == "require" else "CR214"
        first = seen.get((namespace, name))
        if first is None:
            seen[(namespace, name)] = decl
            return
        first_span = _key(first.node)
        assert first_span is not None
        where = f"{first.file}:{first_span[2].line}"
        if decl.include_site is not None and decl.include_site != first.include_site:
            self.report.error(
                code,
                f"the {namespace} '{name}' is declared both at {where} and in {decl.file}:{span.line}, "
                "which this include brings in",
                decl.include_site,
                "rename one of them",
            )
        else:
            self.report.error(
                code,
                f"the {namespace} '{name}' is declared twice",
                (decl.file, span),
                f"first declared at {where}",
            )

    def _names_against_fields(self, schema: Schema, parameters: dict[str, ir.Parameter]) -> None:
        fields = set(schema.leaves) | set(schema.session_fields)
        for decl in self.decls:
            if isinstance(decl.node, ast.Define) and decl.node.phrase.text in fields:
                what, name, span = "define", decl.node.phrase.text, decl.node.phrase.span
            elif isinstance(decl.node, ast.Parameter | ast.FlagParameter) and decl.node.id.name in fields:
                what, name, span = "parameter", decl.node.id.name, decl.node.id.span
            elif isinstance(decl.node, ast.Define) and decl.node.phrase.text in parameters:
                what, name, span = "define", decl.node.phrase.text, decl.node.phrase.span
                self.report.error(
                    "CR206",
                    f"the define '{name}' has the name of a parameter",
                    (decl.file, span),
                    "rename one",
                )
                continue
            else:
                continue
            self.report.error(
                "CR206",
                f"the {what} '{name}' has the name of a field of the model",
                (decl.file, span),
                "rename it, so that the name means one thing",
            )

    # ------------------------------------------------------------ declarations

    def _exercises(self, doses: DoseChecker) -> dict[str, ir.Exercise]:
        out: dict[str, ir.Exercise] = {}
        for decl in self.decls:
            node = decl.node
            if not isinstance(node, ast.Exercise) or node.id.name in out:
                continue
            dose = doses.dose(node.dose, decl.file) if node.dose is not None else None
            tags = tuple(dict.fromkeys(tag.name for tag in node.tags))
            out[node.id.name] = ir.Exercise(
                node.id.name, node.name.value, tags, dose, None, None, ir.Where(decl.file, node.span)
            )
        return out

    def _ladders(self, exercises: dict[str, ir.Exercise]) -> dict[str, ir.Ladder]:
        out: dict[str, ir.Ladder] = {}
        placed: dict[str, str] = {}
        for decl in self.decls:
            node = decl.node
            if not isinstance(node, ast.Ladder) or node.id.name in out:
                continue
            rungs: list[str] = []
            for rung in node.rungs:
                if rung.name not in exercises:
                    self._unknown_exercise(rung, decl, exercises)
                elif rung.name in rungs:
                    self.report.error(
                        "CR407",
                        f"'{rung.name}' stands twice on the ladder '{node.id.name}'",
                        (decl.file, rung.span),
                    )
                elif rung.name in placed:
                    self.report.error(
                        "CR407",
                        f"'{rung.name}' is already on the ladder '{placed[rung.name]}'; an exercise is on one ladder",
                        (decl.file, rung.span),
                    )
                else:
                    rungs.append(rung.name)
            if len(node.rungs) < 2:
                self.report.error(
                    "CR407", f"the ladder '{node.id.name}' needs at least two rungs", (decl.file, node.span)
                )
            for index, name in enumerate(rungs):
                placed[name] = node.id.name
                exercises[name] = dataclasses.replace(exercises[name], ladder=node.id.name, rung=index)
            out[node.id.name] = ir.Ladder(node.id.name, tuple(rungs), ir.Where(decl.file, node.span))
        return out

    def _sources(self) -> dict[str, ir.Source]:
        out: dict[str, ir.Source] = {}
        for decl in self.decls:
            node = decl.node
            if not isinstance(node, ast.Source) or node.id.name in out:
                continue
            attrs: dict[str, str] = {}
            for attr in node.attrs:
                if attr.key in attrs:
                    self.report.error(
                        "CR410",
                        f"the source '{node.id.name}' gives its {attr.key} twice",
                        (decl.file, attr.span),
                    )
                attrs[attr.key] = attr.value
            year = int(attrs["year"]) if "year" in attrs else None
            out[node.id.name] = ir.Source(
                node.id.name,
                node.title.value,
                attrs.get("publisher"),
                year,
                attrs.get("url"),
                ir.Where(decl.file, node.span),
            )
        return out

    # ------------------------------------------------------------ red flags and rules

    def _otherwise(self, has_exercises: bool = True) -> str:
        found = [d for d in self.decls if isinstance(d.node, ast.Otherwise)]
        if not has_exercises and self.root.header.kind is ast.FileKind.RULESET:
            for decl in found:
                self.report.error(
                    "CR224",
                    "this ruleset has scores or assessments and no exercises, so 'otherwise' has nothing to decide",
                    (decl.file, decl.node.span),
                    "remove the 'otherwise', or declare the exercises it is about",
                )
            return "check"
        for decl in found[1:]:
            self.report.error("CR414", "'otherwise' is given twice", (decl.file, decl.node.span))
        for decl in found:
            node = decl.node
            assert isinstance(node, ast.Otherwise)
            if decl.include_site is not None or self.root.header.kind is ast.FileKind.LIBRARY:
                self.report.error(
                    "CR413",
                    "a library cannot hold 'otherwise'; it belongs to the ruleset",
                    (decl.file, node.span),
                )
            if node.verdict.word not in ("allow", "check", "avoid"):
                self.report.error(
                    "CR415",
                    f"'otherwise {node.verdict.word}' is not allowed; otherwise is allow, check or avoid",
                    (decl.file, node.verdict.span),
                )
        if not found:
            if self.root.header.kind is ast.FileKind.RULESET:
                self.report.error(
                    "CR502",
                    "there is no 'otherwise': an exercise no rule applies to gets 'check'",
                    (self.root.file, self.root.header.id.span),
                    "say what happens when no rule applies: otherwise allow (or check, or avoid)",
                )
            return "check"
        node = found[0].node
        assert isinstance(node, ast.Otherwise)
        return node.verdict.word

    # ------------------------------------------------------------ unused

    def _unused(
        self,
        conditions: ConditionChecker | None,
        sources: dict[str, ir.Source],
        exercises: dict[str, ir.Exercise],
        rules: tuple[ir.Rule, ...],
        ladders: dict[str, ir.Ladder],
    ) -> None:
        # With errors, "never used" is most often a follow-on of a misspelt
        # use; the warnings come back once the errors are fixed.
        if has_errors(self.report.diagnostics):
            return
        if self.standalone and self.root.header.kind is ast.FileKind.LIBRARY:
            return
        if conditions is not None:
            for decl in self.decls:
                node = decl.node
                if isinstance(node, ast.Define) and not _used_by(node.phrase.text, conditions):
                    self.report.error(
                        "CR503",
                        f"the phrase '{node.phrase.text}' is never used",
                        (decl.file, node.phrase.span),
                    )
        cited = {c for d in self.decls for c in _cited(d.node)}
        for source in sources.values():
            if source.id not in cited:
                self.report.error(
                    "CR504",
                    f"the source '{source.id}' is never cited",
                    (source.where.file, source.where.span),
                )
        if self.root.header.kind is ast.FileKind.LIBRARY:
            return
        used = {e for r in rules for e in (*r.targets.exercises, *r.instead, *([r.to] if r.to else []))}
        used |= {e for ladder in ladders.values() for e in ladder.rungs}
        for exercise in exercises.values():
            if exercise.id not in used:
                self.report.error(
                    "CR505",
                    f"no rule is about the exercise '{exercise.id}', so only 'otherwise' decides it",
                    (exercise.where.file, exercise.where.span),
                )


def _key(node: ast.Declaration) -> tuple[str, str, Span] | None:
    match node:
        case ast.Source(id=i) | ast.Parameter(id=i) | ast.Exercise(id=i) | ast.Ladder(id=i):
            namespace = type(node).__name__.lower()
            return namespace, i.name, i.span
        case ast.FlagParameter(id=i):
            return "parameter", i.name, i.span
        case ast.RedFlag(id=i):
            return "rule", i.name, i.span
        case ast.Rule(id=i):
            return "rule", i.name, i.span
        case ast.Define(phrase=p):
            return "phrase", p.text, p.span
        case ast.Score(id=i) | ast.Assess(id=i):
            return "score or assessment", i.name, i.span
        case ast.Require(id=i):
            return "require", i.name, i.span
    return None


def _cited(node: ast.Declaration) -> list[str]:
    if isinstance(node, ast.Rule | ast.RedFlag | ast.Score | ast.Assess):
        return [s.name for c in node.clauses if isinstance(c, ast.Cite) for s in c.sources]
    return []


def _used_by(name: str, conditions: ConditionChecker) -> bool:
    return name in conditions.used_phrases
