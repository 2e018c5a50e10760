"""The audit log: one JSON line per decision, appended, never rewritten.

In: a decision and the request's `hookInstance`. Out: a line in the log file
with the ruleset's id, version and sha256, `as_of`, `hookInstance`, the
triage and the verdict of each exercise. Nothing else: no names, no free
text, no patient data, so the log can be kept as long as the decisions must be.

Each line is written under an exclusive `flock`, with `write`s on a file
opened with O_APPEND until the whole line is written, so lines from the
workers of `clinrules serve --workers N` never interleave, even a line that
one `write` could only write in part; the file is never truncated.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from clinrules.decision.result import Decision


class AuditLog:
    """An append-only JSON-lines file; safe to share between threads and processes."""

    __slots__ = ("path",)

    def __init__(self, path: Path) -> None:
        self.path = path
        # Opened once at start-up so that a path that cannot be written fails then, not per request.
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))

    def write(self, decision: Decision, hook_instance: str) -> None:
        line = (json.dumps(entry(decision, hook_instance), sort_keys=True) + "\n").encode()
        os_fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(os_fd, fcntl.LOCK_EX)
            written = 0
            while written < len(line):
                written += os.write(os_fd, line[written:])
        finally:
            os.close(os_fd)  # closing releases the lock


def entry(decision: Decision, hook_instance: str) -> dict[str, object]:
    """The audit line of one decision, as a dict."""
    info = decision.ruleset
    shown = decision.model_dump(mode="json", include={"as_of"})
    return {
        "ruleset": info.id,
        "version": info.version,
        "sha256": info.sha256,
        "as_of": shown["as_of"],
        "hookInstance": hook_instance,
        "triage": str(decision.triage),
        "verdicts": {exercise: str(advice.verdict) for exercise, advice in decision.exercises.items()},
    }
