"""The golden data files: YAML files of cases under tests/golden/<stage>/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml


def golden_cases(directory: Path) -> list[tuple[Path, dict[str, Any], dict[str, Any]]]:
    """Every case of every `*.yaml` file in `directory`: (file, the file's data, the case), in order."""
    found = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found += [(path, data, case) for case in data["cases"]]
    return found


def case_params(directory: Path) -> list[Any]:
    """The cases of `directory` as pytest params of the case alone, named `file: case name`."""
    return [
        pytest.param(case, id=f"{path.stem}: {case['name']}") for path, _, case in golden_cases(directory)
    ]
