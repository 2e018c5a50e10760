"""Checker, parameters: `parameter` declarations -> `ir.Parameter`, with their units, bounds and titles.

A number parameter's default and bounds are in one unit (those of one
dimension convert to the default's), and its default lies within its
bounds. The unit may be one of the conversion table's or one the model
declares (`mmHg`), written as the model spells it. A yes/no parameter
(`parameter beyond_bridge_approved = no`) has no bounds and no unit. Either
keeps its title, for the settings screen an app builds from
`RuleSet.parameters`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from clinrules import ir
from clinrules.check.advice import Decl
from clinrules.check.names import Reporter
from clinrules.check.typecheck import fraction_bound, unknown_unit, written_unit
from clinrules.schema import types as t
from clinrules.schema.units import Unit
from clinrules.syntax import ast


def check_parameters(
    decls: Sequence[Decl], units: Mapping[str, Unit], report: Reporter
) -> dict[str, ir.Parameter]:
    """Every parameter, by id, in declaration order (a second of one id is reported elsewhere).

    Args:
        decls: the declarations of the ruleset and its libraries.
        units: the units the model declares, by name (`Schema.units`).
        report: where each mistake is reported.
    """
    out: dict[str, ir.Parameter] = {}
    for decl in decls:
        node = decl.node
        if isinstance(node, ast.FlagParameter) and node.id.name not in out:
            out[node.id.name] = ir.Parameter(
                node.id.name,
                t.BOOL,
                node.default,
                None,
                None,
                ir.Where(decl.file, node.span),
                node.title.value if node.title is not None else None,
            )
        elif isinstance(node, ast.Parameter) and node.id.name not in out:
            out[node.id.name] = _number(node, decl, units, report)
    return out


def _number(node: ast.Parameter, decl: Decl, units: Mapping[str, Unit], report: Reporter) -> ir.Parameter:
    unit = _unit(node.default, decl, units, report)
    unknown = node.default.unit is not None and unit is None  # reported: no follow-on CR301
    integral = isinstance(node.default.value, int)
    values = []
    for number in (node.default, node.low, node.high):
        value = number.value
        other = _unit(number, decl, units, report) if number is not node.default else unit
        if number.unit is not None and other != unit and other is not None and not unknown:
            if unit is None or other.dimension != unit.dimension:
                report.error(
                    "CR301",
                    f"'{number.text} {number.unit}' is not in the unit of the parameter's default",
                    (decl.file, number.span),
                    "write the default and both bounds in one unit",
                )
                # keep the parameter, so that its uses raise no follow-on errors
                values.append(int(value) if integral else float(value))
                continue
            value = other.to(unit, value)
        if integral and not float(value).is_integer():
            message, hint = fraction_bound(node, number, unit)
            report.error("CR304", message, (decl.file, number.span), hint)
        values.append(int(value) if integral else float(value))
    default, low, high = values
    if not low <= high:
        report.error(
            "CR406",
            f"the bounds {low} and {high} are the wrong way round",
            (decl.file, node.low.span),
        )
    elif not low <= default <= high:
        report.error(
            "CR406",
            f"the default {default} lies outside its bounds {low} to {high}",
            (decl.file, node.default.span),
        )
    kind = t.NumberType(integral, unit, float(low), float(high))
    title = node.title.value if node.title is not None else None
    return ir.Parameter(node.id.name, kind, default, low, high, ir.Where(decl.file, node.span), title)


def _unit(number: ast.Number, decl: Decl, units: Mapping[str, Unit], report: Reporter) -> Unit | None:
    """The unit a number of a parameter is written in; an unknown one is reported (CR306) and read as none."""
    if number.unit is None:
        return None
    unit = written_unit(number.unit, units)
    if unit is None:
        message, hint = unknown_unit(number.unit, units)
        report.error("CR306", message, (decl.file, number.span), hint)
    return unit
