"""The formatter's lists of names: target lists and ladders, wrapped after commas.

Kept apart from `fmt` for the size of the module.
"""

from __future__ import annotations

from clinrules.syntax import ast

WIDTH = 100
"""A condition whose line would be longer than this is wrapped at its top-level `and`/`or`."""
INDENT = "  "


def wrap_names(prefix: str, names: list[str], suffix: str) -> list[str]:
    """`prefix`, the names joined by commas, and `suffix`, wrapped after commas to fit `WIDTH`.

    Continuation lines are indented two spaces; a single name is never split.
    """
    lines = [prefix + names[0]]
    for name in names[1:]:
        lines[-1] += ","
        if len(lines[-1]) + 1 + len(name) + len(suffix) <= WIDTH:
            lines[-1] += " " + name
        else:
            lines.append(INDENT + name)
    lines[-1] += suffix
    return lines


def target_words(targets: ast.Targets) -> list[str]:
    """The targets as words for `wrap_names`: `every exercise`, `tagged T` and `ladder L` stay whole.

    A tag after a tag is written bare (`tagged a, b`), and `except` joins the
    last item before it and the first after it.
    """
    words = ["every exercise"] if targets.every else item_words(targets.items)
    if targets.excluded:
        excluded = item_words(targets.excluded)
        words[-1] += f" except {excluded[0]}"
        words.extend(excluded[1:])
    return words


def item_words(items: tuple[ast.TargetItem, ...]) -> list[str]:
    words: list[str] = []
    previous: ast.TargetKind | None = None
    for item in items:
        name = item.name.name
        if item.kind is ast.TargetKind.LADDER:
            words.append(f"ladder {name}" + (f" above {item.above.name}" if item.above else ""))
        elif item.kind is ast.TargetKind.TAG and previous is not ast.TargetKind.TAG:
            words.append(f"tagged {name}")
        else:
            words.append(name)
        previous = item.kind
    return words


def targets(targets: ast.Targets) -> str:
    return ", ".join(target_words(targets))
