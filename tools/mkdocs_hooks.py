"""mkdocs hook: before each build, write one page per shipped ruleset with `clinrules doc`.

The pages go to docs/generated/ (ignored by git), so the site always shows the
rulesets as they are in rulesets/, never a copy that could drift.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from clinrules.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "docs" / "generated"


def on_pre_build(config: Any) -> None:
    GENERATED.mkdir(exist_ok=True)
    for path in sorted((ROOT / "rulesets").rglob("*.rules")):
        if not path.read_text(encoding="utf-8").lstrip().startswith(("ruleset", "#")):
            continue
        name = _ruleset_id(path)
        if name is None:
            continue
        err = io.StringIO()
        code = main(
            ["doc", str(path.relative_to(ROOT)), "-o", str(GENERATED / f"{name}.md")], io.StringIO(), err
        )
        if code != 0:
            raise RuntimeError(f"clinrules doc {path} failed:\n{err.getvalue()}")


def _ruleset_id(path: Path) -> str | None:
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            return words[1] if words[0] == "ruleset" and len(words) > 1 else None
    return None
