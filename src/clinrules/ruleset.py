"""`RuleSet`: a loaded, checked ruleset, immutable and safe to share between threads."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from clinrules import ir
from clinrules.diagnostics import Diagnostic


def sha256_of(sources_text: Sequence[tuple[str, str]]) -> str:
    """The SHA-256 of the texts of a ruleset and its includes, in load order.

    Each text is hashed as its UTF-8 length (8 bytes, big-endian) and bytes,
    so that moving text from one file to the next changes the digest.
    """
    digest = hashlib.sha256()
    for _name, text in sources_text:
        data = text.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class RuleSet:
    """A checked ruleset.

    Attributes:
        id: the ruleset's id.
        version: its version.
        status: `draft`, `review`, `approved` or `retired`.
        sha256: the digest of its source text and its includes' (`sha256_of`).
        exercises: the ids of its exercises, in declaration order.
        diagnostics: the warnings found when it was checked.
        program: the checked program the evaluator runs.
    """

    __slots__ = ("diagnostics", "exercises", "id", "program", "sha256", "status", "version")

    id: str
    version: str
    status: str
    sha256: str
    exercises: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]
    program: ir.Program

    def __init__(self, program: ir.Program, diagnostics: Sequence[Diagnostic]) -> None:
        set_ = object.__setattr__
        set_(self, "program", program)
        set_(self, "id", program.id)
        set_(self, "version", program.version)
        set_(self, "status", program.status)
        set_(self, "sha256", sha256_of(program.sources_text))
        set_(self, "exercises", tuple(program.exercises))
        set_(self, "diagnostics", tuple(sorted(diagnostics, key=Diagnostic.sort_key)))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a RuleSet is immutable; '{name}' cannot be set")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a RuleSet is immutable; '{name}' cannot be deleted")

    def __repr__(self) -> str:
        return f"<RuleSet {self.id} {self.version} ({self.status}), {len(self.exercises)} exercises>"
