"""The ruleset a worker evaluates: shipped as text, compiled once per process, checked by its sha256.

Design decision: a worker never receives compiled code (a pickle of
generated functions could run anything and ties the worker to the driver's
exact build). It receives every source file's text (the ruleset and each
library it includes, as `RuleSet.program.sources_text` keeps them), the
sha256 the driver computed, the model's name and the clinrules version; it
writes the texts into a private temporary directory in the same relative
layout, loads them with `clinrules.load` (so the status gate and the
checker run as for any load) and refuses (`BatchError`) when the sha256 it
compiled, or its clinrules version, is not the one shipped: a population is
never evaluated by a ruleset other than the one named in its output.

The per-process cache is `functools.lru_cache` on `compiled`, bounded to
`CACHE_SIZE` rulesets: its bookkeeping is thread-safe in CPython (the Dask
worker's threads share it), and a `RuleSet` is immutable and thread-safe,
so two threads that miss at once each compile one, and either may be kept.
"""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from clinrules.api import load
from clinrules.base.errors import ClinrulesError
from clinrules.base.version import __version__
from clinrules.ruleset import RuleSet

CACHE_SIZE = 8
"""Rulesets kept compiled per process: a night runs one or two; a long-lived worker sees more."""


class BatchError(ClinrulesError):
    """A batch cannot run as asked: a worker compiled another ruleset, or a shipped ruleset is malformed."""


@dataclass(frozen=True, slots=True)
class ShippedRuleset:
    """A ruleset as it travels to workers: plain text and names, picklable, hashable.

    Attributes:
        sources: (file name, text) of the ruleset and every library it
            includes, in load order; the first is the ruleset.
        sha256: the digest of those texts (`RuleSet.sha256`).
        model: the registered model name the ruleset is checked against.
        allow_draft: whether a ruleset that is not `approved` may be used.
        id, version: the ruleset's, for the output's stamp.
        clinrules_version: the driver's clinrules version; a worker with
            another refuses, because the same text could mean another thing.
    """

    sources: tuple[tuple[str, str], ...]
    sha256: str
    model: str
    allow_draft: bool
    id: str
    version: str
    clinrules_version: str = __version__


def ship(ruleset: RuleSet, *, allow_draft: bool = False, model: str | None = None) -> ShippedRuleset:
    """What a worker needs to compile `ruleset` again, checked against it.

    Args:
        ruleset: a loaded ruleset (`clinrules.load`).
        allow_draft: pass True when it was loaded with `allow_draft=True`.
        model: the registered model name, when the load overrode the
            header's `model` line (default: the ruleset's own `model`).

    Raises:
        BatchError: `allow_draft` is False for a ruleset that is not
            approved, or the ruleset cannot be shipped as files.
    """
    if ruleset.status != "approved" and not allow_draft:
        raise BatchError(
            f"ruleset {ruleset.id} {ruleset.version} has status '{ruleset.status}': "
            "ship it with allow_draft=True (CLI: --allow-draft) to use it anyway"
        )
    sources = tuple((name, text) for name, text in ruleset.program.sources_text)
    _relative_layout(sources)  # refused here, on the driver, rather than on every worker
    return ShippedRuleset(
        sources=sources,
        sha256=ruleset.sha256,
        model=model if model is not None else ruleset.program.model,
        allow_draft=allow_draft,
        id=ruleset.id,
        version=ruleset.version,
    )


@functools.lru_cache(maxsize=CACHE_SIZE)
def compiled(shipped: ShippedRuleset) -> RuleSet:
    """The ruleset `shipped` names, compiled once per process (cached by the whole shipment).

    Raises:
        BatchError: this process's clinrules version is not the driver's,
            or the compiled sha256 is not the one shipped.
        RulesetError: the texts do not load (they loaded on the driver:
            another model registry, say).
    """
    if shipped.clinrules_version != __version__:
        raise BatchError(
            f"this worker runs clinrules {__version__}, the driver {shipped.clinrules_version}: "
            "install the same version on every worker"
        )
    layout = _relative_layout(shipped.sources)
    with tempfile.TemporaryDirectory(prefix="clinrules-batch-") as directory:
        top = Path(directory)
        for relative, (_name, text) in zip(layout, shipped.sources, strict=True):
            path = top.joinpath(*relative.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        ruleset = load(top.joinpath(*layout[0].parts), model=shipped.model, allow_draft=shipped.allow_draft)
    if ruleset.sha256 != shipped.sha256:
        raise BatchError(
            f"this worker compiled ruleset {ruleset.id} with sha256 {ruleset.sha256}, not the "
            f"{shipped.sha256} shipped: it refuses to evaluate a ruleset other than the one named"
        )
    return ruleset


def _relative_layout(sources: tuple[tuple[str, str], ...]) -> list[PurePosixPath]:
    """Where each source file goes below a fresh directory: the same paths relative to the ruleset's.

    The loader names an included file by its path joined to the including
    file's directory, and refuses one outside the ruleset's directory, so
    every name lies at or below the first one's directory.

    Raises:
        BatchError: no sources, or a name that climbs above the ruleset's directory.
    """
    if not sources:
        raise BatchError("a shipped ruleset has no source text")
    base = os.path.dirname(sources[0][0]) or "."
    layout: list[PurePosixPath] = []
    for name, _text in sources:
        relative = PurePosixPath(os.path.relpath(name, base).replace(os.sep, "/"))
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise BatchError(f"source file '{name}' does not lie below the ruleset's directory")
        layout.append(relative)
    return layout
