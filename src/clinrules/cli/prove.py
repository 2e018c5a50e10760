"""`clinrules prove RULESET [--fix-params] [--complete] [--format text|json] [--write-cases FILE]`.

Stage: the command line over `prove/`. Design decision: a ruleset of any
status is proved, as `clinrules test` tests one: proving is what a reviewer
does before anyone approves a ruleset, and it advises no patient. Findings
go to standard error in the format of `clinrules check`, the report (what
was proved, each counterexample, the bounds) to standard output.

Exit codes: 0 every promise and requirement proved (warnings alone: 0), 1 a
promise or requirement refuted or not proved, or the ruleset has errors,
2 usage (no extra `clinrules[prove]`, an unreadable path), 70 a
counterexample the evaluator disagrees with (a bug in clinrules).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any, TextIO

import yaml

from clinrules.api import load
from clinrules.base.errors import RulesetError
from clinrules.cli.args import chosen_model, with_model_hint
from clinrules.cli.common import (
    EXIT_BUG,
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    existing_file,
    print_diagnostics,
    refuse_unwritable_output,
    write_whole,
)
from clinrules.prove import ProveUnavailableError


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run `prove` with parsed arguments."""
    path = existing_file(args.ruleset)
    if args.write_cases is not None:
        refuse_unwritable_output(args.write_cases, "prove", "counterexamples.cases.yaml")
    chosen = chosen_model(args)
    try:
        ruleset = load(path, model=chosen[0] if chosen else None, allow_draft=True)
    except RulesetError as error:
        print_diagnostics(with_model_hint(error.diagnostics), err)
        return EXIT_FAILED
    try:
        report = ruleset.prove(fix_params=args.fix_params, complete=args.complete)
    except ProveUnavailableError as error:
        raise UsageError(str(error)) from None
    print_diagnostics(report.diagnostics, err)
    if args.format == "json":
        print(json.dumps({"ruleset": ruleset.id, **report.json()}, indent=2, ensure_ascii=False), file=out)
    else:
        print(report.text(), file=out)
    if args.write_cases is not None:
        target = Path(args.write_cases)
        write_whole(target, _cases(path, target, report.findings), "prove", "counterexamples.cases.yaml")
    if report.bug:
        return EXIT_BUG
    return EXIT_FAILED if report.refuted else EXIT_OK


def _cases(ruleset: Path, target: Path, findings: list[Any]) -> str:
    """A case file of every counterexample, each expecting what the evaluator decided for it."""
    cases = []
    for found in findings:
        w = found.witness
        if w is None or not w.agrees:
            continue
        cases.append(
            {
                "name": f"{found.diagnostic.code} {w.promise} for {w.exercise}: a counterexample that gets {w.replayed}",
                "patient": w.patient,
                "as_of": w.as_of,
                "parameters": w.parameters,
                "exercises": [w.exercise],
                "expect": {"triage": w.triage, "exercises": {w.exercise: {"verdict": w.replayed}}},
            }
        )
    relative = os.path.relpath(ruleset.resolve(), target.resolve().parent)
    head = (
        "# Counterexamples written by clinrules prove: each patient breaks a promise or a\n"
        "# requirement, and expects what the evaluator decides for it today. Decide what\n"
        "# it should get, fix the rules, then change `expect` to that. Decision support,\n"
        "# not diagnosis.\n"
    )
    return head + yaml.safe_dump({"ruleset": relative, "cases": cases}, sort_keys=False, allow_unicode=True)
