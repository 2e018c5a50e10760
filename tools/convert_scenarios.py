"""Convert the clinical policy's public scenarios (one JSON file each) to a clinrules case file.

Usage: python tools/convert_scenarios.py SCENARIO_FOLDER [OUTPUT.cases.yaml]

Each scenario keeps its name, its patient (with `as_of` inside, and as the
case's `as_of` too, so that the case never depends on the clock), its
parameters, its exercises and its `expect`, unchanged; its description
becomes a comment above the case. Without OUTPUT the case file goes to
standard output. The scenarios are read in file-name order, so the output
is the same on every machine.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml

HEADER = """\
# The public scenarios of the clinical policy 2.0.0 (clinical/scenarios/*.json in
# the project's steering repository), converted by tools/convert_scenarios.py:
# do not edit by hand, convert again. Each scenario's name, patient, as_of,
# parameters, exercises and expectation are its own; its description is the
# comment above it. Run with: clinrules test rulesets/
ruleset: glute_bridge.rules
cases:
"""

_KEYS = ("parameters", "exercises", "expect")


def case_of(scenario: dict[str, Any], source: str) -> dict[str, Any]:
    """The case for one scenario; a scenario without a name, a patient or an expectation is refused."""
    for key in ("name", "patient", "expect"):
        if key not in scenario:
            raise ValueError(f"{source}: the scenario has no '{key}'")
    case: dict[str, Any] = {"name": scenario["name"], "patient": scenario["patient"]}
    as_of = scenario["patient"].get("as_of")
    if as_of is not None:
        case["as_of"] = as_of
    for key in _KEYS:
        if key in scenario:
            case[key] = scenario[key]
    return case


def convert(folder: Path) -> str:
    """The case file text for every `*.json` scenario in `folder`."""
    files = sorted(folder.glob("*.json"))
    if not files:
        raise ValueError(f"{folder}: no scenario (*.json) there")
    parts = [HEADER]
    for path in files:
        scenario = json.loads(path.read_text(encoding="utf-8"))
        case = case_of(scenario, path.name)
        comment = f"{path.stem}: {scenario.get('description', '')}".rstrip(": ")
        parts.append("\n" + "\n".join("  # " + line for line in textwrap.wrap(comment, 96)) + "\n")
        body = yaml.safe_dump([case], sort_keys=False, allow_unicode=True, width=100)
        parts.append(textwrap.indent(body, "  "))
    return "".join(parts)


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    try:
        text = convert(Path(argv[0]))
    except (OSError, ValueError) as problem:
        print(f"convert_scenarios: {problem}", file=sys.stderr)
        return 1
    if len(argv) == 2:
        Path(argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
