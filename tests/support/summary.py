"""A compact, readable summary of AST nodes, for golden files and assertions.

Conditions and expressions become s-expressions: `(>= <radiating_pain> <below_knee>)`.
References show how they were written: `<w>` bare words, `<p:...>` a dotted
path, `<q:...>` quoted. Numbers with units read `24[hours]`.
"""

from __future__ import annotations

from clinrules.syntax import ast


def expr(node: ast.Expr) -> str:
    match node:
        case ast.Number(text=text, unit=unit):
            return f"{text}[{unit}]" if unit else text
        case ast.Now():
            return "now"
        case ast.Ref(text=text, kind=kind):
            prefix = {ast.RefKind.WORDS: "", ast.RefKind.PATH: "p:", ast.RefKind.QUOTED: "q:"}[kind]
            return f"<{prefix}{text}>"
        case ast.Arithmetic(op=op, left=left, right=right):
            return f"({op} {expr(left)} {expr(right)})"
    raise TypeError(node)


def _member(value: ast.EnumValue) -> str:
    return f'"{value.name}"' if value.quoted else value.name


def _members(values: tuple[ast.EnumValue, ...]) -> str:
    return "{" + ", ".join(_member(v) for v in values) + "}"


def condition(node: ast.Condition) -> str:
    match node:
        case ast.AnyOf(items=items):
            return "(or " + " ".join(condition(c) for c in items) + ")"
        case ast.AllOf(items=items):
            return "(and " + " ".join(condition(c) for c in items) + ")"
        case ast.Not(operand=operand):
            return f"(not {condition(operand)})"
        case ast.Truth(expr=e):
            return expr(e)
        case ast.Compare(op=op, left=left, right=right):
            return f"({op} {expr(left)} {expr(right)})"
        case ast.Between(value=v, low=lo, high=hi):
            return f"(between {expr(v)} {expr(lo)} {expr(hi)})"
        case ast.IsValue(value=v, member=m, negated=negated):
            return f"({'is-not' if negated else 'is'} {expr(v)} {_member(m)})"
        case ast.IsKnown(value=v, negated=negated):
            return f"({'unknown' if negated else 'known'} {expr(v)})"
        case ast.IsEmpty(value=v, negated=negated):
            return f"({'not-empty' if negated else 'empty'} {expr(v)})"
        case ast.InSet(value=v, members=members):
            return f"(in {expr(v)} {_members(members)})"
        case ast.Includes(value=v, members=members, any_of=any_of):
            if any_of:
                return f"(includes-any {expr(v)} {_members(members)})"
            return f"(includes {expr(v)} {_member(members[0])})"
        case ast.History() as h:
            return _history(h)
    raise TypeError(node)


def _history(h: ast.History) -> str:
    parts = [h.quantifier.value]
    if h.count is not None:
        parts.append(str(h.count))
    if h.last is not None and h.quantifier is not ast.Quantifier.LAST:
        parts.append(str(h.last))
    if h.window is not None:
        parts.append(expr(h.window))
    if h.days:
        parts.append("days")
    if h.exercise is not None:
        parts.append("@" + h.exercise.name)
    if h.scope is not None:
        parts.append(f"{h.scope.kind.value}:{h.scope.name.name}" if h.scope.name else h.scope.kind.value)
    parts.append(condition(h.condition))
    return "(" + " ".join(parts) + ")"


def verdict(v: ast.Verdict) -> str:
    return f"{v.word} to {v.target.name}" if v.target else v.word


def _names(idents: tuple[ast.Ident, ...]) -> str:
    return ", ".join(i.name for i in idents)


def _dose(d: ast.Dose) -> str:
    items = []
    for item in d.items:
        if item.word is not None:
            items.append(f"{item.attribute} {item.word}")
            continue
        assert item.low is not None
        amount = item.low.text + (f"..{item.high.text}" if item.high else "")
        items.append(f"{item.attribute} {amount}" + (f" {item.unit}" if item.unit else ""))
    return "dose " + ", ".join(items)


def clause(c: ast.Clause) -> str:
    match c:
        case ast.Instead(exercises=ex):
            return f"instead {_names(ex)}"
        case ast.Dose():
            return _dose(c)
        case ast.Say(text=t):
            return f'say "{t.value}"'
        case ast.Note(text=t):
            return f'note "{t.value}"'
        case ast.Cite(sources=s):
            return f"cite {_names(s)}"
        case ast.WhenUnknown(verdict=None):
            return "when unknown ignore"
        case ast.WhenUnknown(verdict=v, say=say) if v is not None:
            words = f' say "{say.text.value}"' if say is not None else ""
            return f"when unknown {verdict(v)}{words}"
        case ast.Assumption(text=text):
            return f'assumption "{text.value}"'
        case ast.Care(level=level):
            return f"care {level.name}"
    raise TypeError(c)


def _title(t: ast.Text | None) -> str:
    return f' "{t.value}"' if t else ""


def declaration(d: ast.Declaration) -> str:
    match d:
        case ast.Include(path=p):
            return f'include "{p.value}"'
        case ast.Source(id=i, title=t, attrs=attrs):
            extra = "".join(f" {a.key}={a.value}" for a in attrs)
            return f'source {i.name} "{t.value}"{extra}'
        case ast.Parameter(id=i, default=v, low=lo, high=hi):
            return f"parameter {i.name} = {expr(v)} between {expr(lo)} and {expr(hi)}"
        case ast.Exercise(id=i, name=n, tags=tags, dose=dose):
            text = f'exercise {i.name} "{n.value}"'
            if tags:
                text += f" tagged {_names(tags)}"
            if dose:
                text += f" {_dose(dose)}"
            return text
        case ast.Ladder(id=i, rungs=rungs):
            return f"ladder {i.name}: {_names(rungs)}"
        case ast.Define(phrase=p, condition=c):
            name = f'"{p.text}"' if p.quoted else p.text
            return f"define {name}: {condition(c)}"
        case ast.RedFlag(id=i, title=t, verdict=v, condition=c, clauses=cl):
            rest = "".join(f" | {clause(x)}" for x in cl)
            return f"red flag {i.name}{_title(t)}: {verdict(v)} if {condition(c)}{rest}"
        case ast.Rule(id=i, title=t, targets=tg, verdict=v, condition=c, clauses=cl):
            rest = "".join(f" | {clause(x)}" for x in cl)
            return f"rule {i.name}{_title(t)} for {_targets(tg)}: {verdict(v)} if {condition(c)}{rest}"
        case ast.Otherwise(verdict=v):
            return f"otherwise {verdict(v)}"
        case ast.Require(id=i, title=t, condition=c, targets=tg, bound=None, verdict=v):
            return f"require {i.name}{_title(t)}: no {_targets(tg)} {verdict(v)} when {condition(c)}"
        case ast.Require(id=i, title=t, condition=c, targets=tg, bound=b, verdict=v) if b is not None:
            return (
                f"require {i.name}{_title(t)}: {condition(c)} implies {_targets(tg)} {b.value} {verdict(v)}"
            )
    raise TypeError(d)


def _items(items: tuple[ast.TargetItem, ...]) -> str:
    out = []
    previous = None
    for item in items:
        above = f" above {item.above.name}" if item.above else ""
        word = {ast.TargetKind.EXERCISE: "", ast.TargetKind.TAG: "tagged ", ast.TargetKind.LADDER: "ladder "}
        if item.kind is ast.TargetKind.TAG and previous is ast.TargetKind.TAG:
            word[item.kind] = ""
        out.append(f"{word[item.kind]}{item.name.name}{above}")
        previous = item.kind
    return ", ".join(out)


def _targets(t: ast.Targets) -> str:
    text = "every exercise" if t.every else _items(t.items)
    return text + (f" except {_items(t.excluded)}" if t.excluded else "")


def header(h: ast.Header) -> list[str]:
    lines = [f"{h.kind.value} {h.id.name}"]
    for line in h.lines:
        if line.key == "reviewed":
            assert line.by is not None
            lines.append(f'reviewed {line.value} by "{line.by.value}"')
        else:
            lines.append(f"{line.key} {line.value}")
    return lines


def rule_file(f: ast.RuleFile) -> list[str]:
    return header(f.header) + [declaration(d) for d in f.declarations]
