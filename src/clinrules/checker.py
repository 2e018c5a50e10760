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
from dataclasses import dataclass

from pydantic import BaseModel

from clinrules import ast, ir
from clinrules import types as t
from clinrules.conditions import ConditionChecker, PhraseSource
from clinrules.diagnostics import has_errors
from clinrules.doses import DoseChecker
from clinrules.errors import RulesetError
from clinrules.header import HeaderInfo, check_header
from clinrules.names import Reporter, did_you_mean
from clinrules.schema import Schema
from clinrules.span import Span
from clinrules.units import unit_named

_RULE_VERDICTS = ("stop", "avoid", "check", "regress", "modify", "allow", "progress")
_UNKNOWN_VERDICTS = ("check", "stop", "avoid", "regress", "modify")
_CARE = tuple(c.value for c in ir.Care)
_CLAUSES_FOR = {
    "stop": {"instead"},
    "avoid": {"instead"},
    "regress": {"instead"},
    "modify": {"dose"},
}
_CLAUSE_WORDS = {
    ast.Instead: "instead",
    ast.Dose: "dose",
    ast.Say: "say",
    ast.Note: "note",
    ast.Cite: "cite",
    ast.WhenUnknown: "when unknown",
    ast.Care: "care",
}


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """A parsed file, with the `include` line of the top file that brought it in."""

    rule_file: ast.RuleFile
    text: str
    include_site: tuple[str, Span] | None = None


@dataclass(frozen=True, slots=True)
class _Decl:
    node: ast.Declaration
    file: str
    include_site: tuple[str, Span] | None


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


class _Checker:
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
            _Decl(node, f.rule_file.file, f.include_site) for f in files for node in f.rule_file.declarations
        ]

    def run(self) -> ir.Program | None:
        header = check_header(self.files, self.model_override, self.model_name, self.report)
        seen: dict[tuple[str, str], _Decl] = {}
        for decl in self.decls:
            self._register(decl, seen)
        parameters = self._parameters()
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
        conditions = (
            ConditionChecker(schema, parameters, phrases, frozenset(exercises), self.report)
            if schema is not None
            else None
        )
        if conditions is not None:
            for name in phrases:
                conditions.phrase(name)
        red_flags = self._red_flags(conditions, sources)
        rules = self._rules(conditions, sources, exercises, ladders, doses, header)
        otherwise = self._otherwise()
        self._unused(conditions, sources, exercises, rules, ladders)
        if schema is None:
            return None
        return ir.Program(
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
        )

    # ------------------------------------------------------------ ids

    def _where(self, decl: _Decl, span: Span) -> tuple[str, Span]:
        return (decl.file, span)

    def _register(self, decl: _Decl, seen: dict[tuple[str, str], _Decl]) -> None:
        key = _key(decl.node)
        if key is None:
            return
        namespace, name, span = key
        first = seen.get((namespace, name))
        if first is None:
            seen[(namespace, name)] = decl
            return
        first_span = _key(first.node)
        assert first_span is not None
        where = f"{first.file}:{first_span[2].line}"
        if decl.include_site is not None and decl.include_site != first.include_site:
            self.report.error(
                "CR214",
                f"the {namespace} '{name}' is declared both at {where} and in {decl.file}:{span.line}, "
                "which this include brings in",
                decl.include_site,
                "rename one of them",
            )
        else:
            self.report.error(
                "CR214",
                f"the {namespace} '{name}' is declared twice",
                (decl.file, span),
                f"first declared at {where}",
            )

    def _names_against_fields(self, schema: Schema, parameters: dict[str, ir.Parameter]) -> None:
        fields = set(schema.leaves) | set(schema.session_fields)
        for decl in self.decls:
            if isinstance(decl.node, ast.Define) and decl.node.phrase.text in fields:
                what, name, span = "define", decl.node.phrase.text, decl.node.phrase.span
            elif isinstance(decl.node, ast.Parameter) and decl.node.id.name in fields:
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

    def _parameters(self) -> dict[str, ir.Parameter]:
        out: dict[str, ir.Parameter] = {}
        for decl in self.decls:
            node = decl.node
            if not isinstance(node, ast.Parameter) or node.id.name in out:
                continue
            unit = unit_named(node.default.unit) if node.default.unit else None
            integral = isinstance(node.default.value, int)
            values = []
            for number in (node.default, node.low, node.high):
                value = number.value
                if number.unit is not None and unit_named(number.unit) != unit:
                    other = unit_named(number.unit)
                    if unit is None or other is None or other.dimension != unit.dimension:
                        self.report.error(
                            "CR301",
                            f"'{number.text} {number.unit}' is not in the unit of the parameter's default",
                            (decl.file, number.span),
                            "write the default and both bounds in one unit",
                        )
                        continue
                    value = other.to(unit, value)
                if integral and not float(value).is_integer():
                    self.report.error(
                        "CR304",
                        f"the parameter '{node.id.name}' is a whole number (its default has no decimal point), "
                        f"so {number.text} cannot be a bound",
                        (decl.file, number.span),
                        "write the default with a decimal point to allow fractions: 2.0",
                    )
                values.append(int(value) if integral else float(value))
            if len(values) != 3:
                continue
            default, low, high = values
            if not low <= high:
                self.report.error(
                    "CR406",
                    f"the bounds {low} and {high} are the wrong way round",
                    (decl.file, node.low.span),
                )
            elif not low <= default <= high:
                self.report.error(
                    "CR406",
                    f"the default {default} lies outside its bounds {low} to {high}",
                    (decl.file, node.default.span),
                )
            kind = t.NumberType(integral, unit, float(low), float(high))
            out[node.id.name] = ir.Parameter(
                node.id.name, kind, default, low, high, ir.Where(decl.file, node.span)
            )
        return out

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

    def _red_flags(
        self, conditions: ConditionChecker | None, sources: dict[str, ir.Source]
    ) -> tuple[ir.RedFlag, ...]:
        out: list[ir.RedFlag] = []
        for decl in self.decls:
            node = decl.node
            if not isinstance(node, ast.RedFlag):
                continue
            if node.verdict.word != "urgent":
                self.report.error(
                    "CR408",
                    f"a red flag's verdict is 'urgent', not '{node.verdict.word}'",
                    (decl.file, node.verdict.span),
                    "write: urgent if ...; for other advice, write a rule",
                )
            clauses = self._clauses(node.clauses, decl, {"care", "say", "note", "cite"}, "a red flag")
            care = ir.Care.EMERGENCY
            if isinstance(clauses.get("care"), ast.Care):
                level = clauses["care"]
                assert isinstance(level, ast.Care)
                if level.level.name in _CARE:
                    care = ir.Care(level.level.name)
                else:
                    self.report.error(
                        "CR208",
                        f"unknown care level '{level.level.name}'; it is one of {', '.join(_CARE)}",
                        (decl.file, level.level.span),
                        did_you_mean(level.level.name, _CARE),
                    )
            condition = conditions.condition(node.condition, decl.file) if conditions else _no_condition(node)
            out.append(
                ir.RedFlag(
                    node.id.name,
                    node.title.value if node.title else None,
                    condition,
                    care,
                    self._messages(clauses, decl, sources),
                    ir.Where(decl.file, node.span),
                )
            )
        return tuple(out)

    def _rules(
        self,
        conditions: ConditionChecker | None,
        sources: dict[str, ir.Source],
        exercises: dict[str, ir.Exercise],
        ladders: dict[str, ir.Ladder],
        doses: DoseChecker,
        header: HeaderInfo,
    ) -> tuple[ir.Rule, ...]:
        out: list[ir.Rule] = []
        for decl in self.decls:
            node = decl.node
            if not isinstance(node, ast.Rule):
                continue
            if decl.include_site is not None or self.root.header.kind is ast.FileKind.LIBRARY:
                self.report.error(
                    "CR413",
                    "a library cannot hold rules: rules belong to the ruleset that includes it",
                    (decl.file, node.span),
                )
            targets = self._targets(node.targets, decl, exercises)
            verdict = node.verdict.word
            if verdict == "urgent":
                self.report.error(
                    "CR411",
                    "'urgent' is the verdict of red flags only",
                    (decl.file, node.verdict.span),
                    'write a red flag: red flag ID "TITLE": urgent if ...',
                )
            to = self._move(node.verdict, decl, targets, exercises)
            allowed = _CLAUSES_FOR.get(verdict, set()) | {"say", "note", "cite", "when unknown"}
            clauses = self._clauses(node.clauses, decl, allowed, f"a '{verdict}' rule")
            instead = self._instead(clauses.get("instead"), decl, exercises)
            dose_clause = clauses.get("dose")
            dose = doses.dose(dose_clause, decl.file) if isinstance(dose_clause, ast.Dose) else None
            when_unknown = self._when_unknown(clauses.get("when unknown"), decl, targets, exercises)
            if when_unknown is None and verdict not in ("allow", "progress"):
                when_unknown = header.unknown_default
            condition = conditions.condition(node.condition, decl.file) if conditions else _no_condition(node)
            out.append(
                ir.Rule(
                    node.id.name,
                    node.title.value if node.title else None,
                    targets,
                    verdict,
                    to,
                    condition,
                    instead,
                    dose,
                    when_unknown,
                    self._messages(clauses, decl, sources),
                    ir.Where(decl.file, node.span),
                )
            )
        return tuple(out)

    def _targets(self, node: ast.Targets, decl: _Decl, exercises: dict[str, ir.Exercise]) -> ir.Targets:
        names = tuple(n.name for n in node.names)
        if node.kind is ast.TargetKind.EVERY:
            return ir.Targets("every", (), tuple(exercises))
        if node.kind is ast.TargetKind.TAGS:
            tags = {tag for e in exercises.values() for tag in e.tags}
            for name in node.names:
                if name.name not in tags:
                    self.report.error(
                        "CR210",
                        f"no exercise is tagged '{name.name}'",
                        (decl.file, name.span),
                        did_you_mean(name.name, tags),
                    )
            matched = tuple(e.id for e in exercises.values() if set(e.tags) & set(names))
            return ir.Targets("tags", names, matched)
        for name in node.names:
            if name.name not in exercises:
                self._unknown_exercise(name, decl, exercises)
        return ir.Targets("exercises", names, tuple(n for n in dict.fromkeys(names) if n in exercises))

    def _move(
        self, verdict: ast.Verdict, decl: _Decl, targets: ir.Targets, exercises: dict[str, ir.Exercise]
    ) -> str | None:
        """Check `progress`/`regress` [to EX]; the named target, or None for one rung."""
        if verdict.word not in ("progress", "regress"):
            return None
        if verdict.target is not None:
            if verdict.target.name not in exercises:
                self._unknown_exercise(verdict.target, decl, exercises)
            return verdict.target.name
        self._one_rung(verdict.word, verdict.span, decl, targets, exercises)
        return None

    def _one_rung(
        self, word: str, span: Span, decl: _Decl, targets: ir.Targets, exercises: dict[str, ir.Exercise]
    ) -> None:
        stuck = []
        for name in targets.exercises:
            exercise = exercises[name]
            if exercise.ladder is None:
                stuck.append(f"{name} (on no ladder)")
                continue
            top = sum(1 for e in exercises.values() if e.ladder == exercise.ladder) - 1
            if (word == "progress" and exercise.rung == top) or (word == "regress" and exercise.rung == 0):
                stuck.append(
                    f"{name} (at the {'top' if word == 'progress' else 'bottom'} of '{exercise.ladder}')"
                )
        if stuck:
            self.report.error(
                "CR412",
                f"'{word}' moves one rung on a ladder, which it cannot do for {', '.join(stuck)}",
                (decl.file, span),
                f"name the exercise: {word} to EXERCISE, or leave these exercises out of the rule's targets",
            )

    def _instead(
        self, clause: ast.Clause | None, decl: _Decl, exercises: dict[str, ir.Exercise]
    ) -> tuple[str, ...]:
        if not isinstance(clause, ast.Instead):
            return ()
        for name in clause.exercises:
            if name.name not in exercises:
                self._unknown_exercise(name, decl, exercises)
        return tuple(dict.fromkeys(n.name for n in clause.exercises if n.name in exercises))

    def _when_unknown(
        self, clause: ast.Clause | None, decl: _Decl, targets: ir.Targets, exercises: dict[str, ir.Exercise]
    ) -> str | None:
        if not isinstance(clause, ast.WhenUnknown):
            return None
        verdict = clause.verdict
        if verdict.word not in _UNKNOWN_VERDICTS:
            self.report.error(
                "CR405",
                f"'when unknown {verdict.word}' is not allowed: missing data must never clear or advance an exercise",
                (decl.file, verdict.span),
                f"use one of: {', '.join(_UNKNOWN_VERDICTS)}",
            )
            return None
        if verdict.target is not None:
            self.report.error(
                "CR409", "'when unknown regress' moves one rung; it takes no 'to'", (decl.file, verdict.span)
            )
        elif verdict.word == "regress":
            self._one_rung("regress", verdict.span, decl, targets, exercises)
        return verdict.word

    def _clauses(
        self, clauses: tuple[ast.Clause, ...], decl: _Decl, allowed: set[str], what: str
    ) -> dict[str, ast.Clause]:
        out: dict[str, ast.Clause] = {}
        for clause in clauses:
            word = _CLAUSE_WORDS[type(clause)]
            if word not in allowed:
                self.report.error(
                    "CR409",
                    f"'{word}' does not fit {what}",
                    (decl.file, clause.span),
                    _clause_hint(word),
                )
            elif word in out:
                self.report.error(
                    "CR410",
                    f"'{word}' is given twice",
                    (decl.file, clause.span),
                    "join the two into one clause",
                )
            else:
                out[word] = clause
        return out

    def _messages(
        self, clauses: dict[str, ast.Clause], decl: _Decl, sources: dict[str, ir.Source]
    ) -> ir.Messages:
        say, note, cite = clauses.get("say"), clauses.get("note"), clauses.get("cite")
        cited: tuple[str, ...] = ()
        if isinstance(cite, ast.Cite):
            for source in cite.sources:
                if source.name not in sources:
                    self.report.error(
                        "CR209",
                        f"unknown source '{source.name}'",
                        (decl.file, source.span),
                        did_you_mean(source.name, sources) or 'declare it: source ID "TITLE"',
                    )
            cited = tuple(sorted({s.name for s in cite.sources if s.name in sources}))
        return ir.Messages(
            say.text.value if isinstance(say, ast.Say) else None,
            note.text.value if isinstance(note, ast.Note) else None,
            cited,
        )

    def _otherwise(self) -> str:
        found = [d for d in self.decls if isinstance(d.node, ast.Otherwise)]
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

    def _unknown_exercise(self, name: ast.Ident, decl: _Decl, exercises: dict[str, ir.Exercise]) -> None:
        self.report.error(
            "CR207",
            f"unknown exercise '{name.name}'",
            (decl.file, name.span),
            did_you_mean(name.name, exercises),
        )


def _key(node: ast.Declaration) -> tuple[str, str, Span] | None:
    match node:
        case ast.Source(id=i) | ast.Parameter(id=i) | ast.Exercise(id=i) | ast.Ladder(id=i):
            namespace = type(node).__name__.lower()
            return namespace, i.name, i.span
        case ast.RedFlag(id=i):
            return "rule", i.name, i.span
        case ast.Rule(id=i):
            return "rule", i.name, i.span
        case ast.Define(phrase=p):
            return "phrase", p.text, p.span
    return None


def _cited(node: ast.Declaration) -> list[str]:
    if isinstance(node, ast.Rule | ast.RedFlag):
        return [s.name for c in node.clauses if isinstance(c, ast.Cite) for s in c.sources]
    return []


def _used_by(name: str, conditions: ConditionChecker) -> bool:
    return name in conditions.used_phrases


def _clause_hint(word: str) -> str:
    return {
        "instead": "'instead' goes with stop, avoid and regress",
        "dose": "'dose' goes with modify",
        "care": "'care' goes with red flags",
        "when unknown": "a red flag whose condition is unknown already makes the triage 'check'",
    }.get(word, "")


def _no_condition(node: ast.RedFlag | ast.Rule) -> ir.Condition:
    """A placeholder for a condition that was not checked because the model is missing."""
    return ir.Truth(ir.Const(0, t.NumberType(True), node.span), node.span)
