"""`clinrules serve RULESET... [--host H] [--port P] [--workers N] [--allow-draft] [--audit-log FILE]
[--auth FILE] [--state-dir DIR]`.

Stage: the command line over `service/`; runs uvicorn until interrupted.
Design decisions:
- A ruleset that is not `approved` is refused (exit 1) unless
  `--allow-draft`, which serves it with "(draft: not for patient care)" in
  its title; uvicorn's access log is off, because a request line is the
  only thing it would add and the service logs no request data.
- Everything is checked here, in the parent, before a port is opened: the
  rulesets, their FHIR mappings, the audit log, the auth config and the
  state directory. With `--workers N` above 1, uvicorn then starts N
  processes through the app factory `worker_app`, each loading the
  rulesets itself; a worker whose ruleset's sha256 differs from the one the
  parent checked (a file edited meanwhile) refuses to start.
- With `--auth`, the JWT replay store is a SQLite file shared by the workers
  (`service/replay.py`), in `--state-dir` (kept across restarts) or in a
  directory created for this run and removed when it stops.

Exit codes: 0 stopped, 1 a ruleset has errors or may not be served, 2 usage
(a missing file, two rulesets with one id, an audit log or a state
directory that cannot be written, a bad auth config, no extra
`clinrules[service]`).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from clinrules.api import load
from clinrules.base.errors import ArgumentError, RulesetError
from clinrules.cli.args import with_model_hint
from clinrules.cli.common import EXIT_FAILED, EXIT_OK, UsageError, existing_file, print_diagnostics
from clinrules.ruleset import RuleSet

WORKER_SETTINGS = "CLINRULES_SERVE_WORKER"
"""The environment variable through which the parent tells each worker what to serve (JSON)."""


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run `serve` with parsed arguments."""
    try:
        import uvicorn

        import clinrules.service  # noqa: F401  (its ImportError names what is missing)
    except ImportError as error:
        hint = "pip install 'clinrules[service]'"
        raise UsageError(
            f"serve needs the extra clinrules[service] ({error.name or error}); {hint}"
        ) from None
    rulesets: list[RuleSet] = []
    for path in args.rulesets:
        existing_file(path)
        try:
            rulesets.append(load(path, allow_draft=args.allow_draft))
        except RulesetError as error:
            print_diagnostics(with_model_hint(error.diagnostics), err)
            return EXIT_FAILED
    ids = [r.id for r in rulesets]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise UsageError(f"two rulesets have the id {', '.join(twice)}; a service id must be unique")
    with ExitStack() as stack:
        state_dir = _state_dir(args, stack)
        settings = {
            "rulesets": [str(Path(p).resolve()) for p in args.rulesets],
            "sha256": [r.sha256 for r in rulesets],
            "allow_draft": args.allow_draft,
            "audit_log": args.audit_log,
            "auth": args.auth,
            "state_dir": state_dir,
        }
        try:
            app = _app(rulesets, settings)
        except ArgumentError as error:
            print(f"clinrules: error: {error}", file=err)
            return EXIT_FAILED
        print(
            f"clinrules: serving {', '.join(ids)} on http://{args.host}:{args.port}/cds-services"
            + (f" with {args.workers} workers" if args.workers > 1 else ""),
            file=out,
        )
        out.flush()
        from clinrules.service.nodelay import NoDelayH11Protocol

        common: dict[str, Any] = {
            "host": args.host,
            "port": args.port,
            "access_log": False,
            "log_level": "warning",
            "http": NoDelayH11Protocol,  # TCP_NODELAY on: see service/nodelay.py
        }
        if args.workers == 1:
            uvicorn.run(app, **common)
        else:
            # Spawned workers inherit the environment; each builds its own app from these settings.
            os.environ[WORKER_SETTINGS] = json.dumps(settings)
            uvicorn.run(f"{__name__}:worker_app", factory=True, workers=args.workers, **common)
    return EXIT_OK


def _state_dir(args: argparse.Namespace, stack: ExitStack) -> str | None:
    """The directory of the shared replay store: given, or created for this run (None without --auth)."""
    if args.auth is None:
        return None
    if args.state_dir is None:
        return stack.enter_context(tempfile.TemporaryDirectory(prefix="clinrules-serve-"))
    try:
        Path(args.state_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create the state directory '{args.state_dir}': {error.strerror or error}; "
            "give --state-dir a directory this user can write"
        ) from None
    return str(args.state_dir)


def _app(rulesets: Sequence[RuleSet], settings: dict[str, Any]) -> Any:
    """The service app of these settings; UsageError for an audit log, auth config or state dir not usable."""
    from clinrules.service import create_app
    from clinrules.service.auth import load_auth
    from clinrules.service.replay import SharedReplayStore

    auth = None
    if settings["auth"] is not None:
        try:
            auth = load_auth(settings["auth"])
        except ArgumentError as error:
            raise UsageError(f"{error}; see docs/integration.md, 'Authentication'") from None
        try:
            auth = auth.sharing(SharedReplayStore(Path(settings["state_dir"])))
        except (sqlite3.Error, OSError) as error:
            raise UsageError(
                f"cannot open the replay store in '{settings['state_dir']}' ({type(error).__name__}); "
                "give --state-dir a directory this user can write"
            ) from None
    try:
        return create_app(rulesets, audit_log=settings["audit_log"], auth=auth)
    except OSError as error:
        raise UsageError(
            f"cannot write the audit log '{settings['audit_log']}': {error.strerror or error}"
        ) from None


def worker_app() -> Any:
    """The app of one worker of `serve --workers N` (uvicorn's factory), from the parent's settings."""
    settings = json.loads(os.environ[WORKER_SETTINGS])
    rulesets = [load(path, allow_draft=settings["allow_draft"]) for path in settings["rulesets"]]
    changed = [r.id for r, sha in zip(rulesets, settings["sha256"], strict=True) if r.sha256 != sha]
    if changed:
        raise RuntimeError(f"ruleset(s) {', '.join(changed)} changed since serve checked them; restart serve")
    return _app(rulesets, settings)
