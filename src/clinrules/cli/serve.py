"""`clinrules serve RULESET... [--host H] [--port P] [--allow-draft] [--audit-log FILE] [--auth FILE]`.

Stage: the command line over `service/`; runs uvicorn until interrupted.
Design decision: a ruleset that is not `approved` is refused (exit 1)
unless `--allow-draft`, which serves it with "(draft: not for patient
care)" in its title; uvicorn's access log is off, because a request line is
the only thing it would add and the service logs no request data.

Exit codes: 0 stopped, 1 a ruleset has errors or may not be served, 2 usage
(a missing file, two rulesets with one id, an audit log that cannot be
written, no extra `clinrules[service]`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from clinrules.api import load
from clinrules.base.errors import ArgumentError, RulesetError
from clinrules.cli.args import with_model_hint
from clinrules.cli.common import EXIT_FAILED, EXIT_OK, UsageError, print_diagnostics
from clinrules.ruleset import RuleSet


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run `serve` with parsed arguments."""
    try:
        import uvicorn

        from clinrules.service import create_app
    except ImportError as error:
        hint = "pip install 'clinrules[service]'"
        raise UsageError(
            f"serve needs the extra clinrules[service] ({error.name or error}); {hint}"
        ) from None
    rulesets: list[RuleSet] = []
    for path in args.rulesets:
        if not Path(path).is_file():
            raise UsageError(f"cannot read '{path}': no such file")
        try:
            rulesets.append(load(path, allow_draft=args.allow_draft))
        except RulesetError as error:
            print_diagnostics(with_model_hint(error.diagnostics), err)
            return EXIT_FAILED
    ids = [r.id for r in rulesets]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise UsageError(f"two rulesets have the id {', '.join(twice)}; a service id must be unique")
    try:
        auth = None
        if args.auth is not None:
            from clinrules.service.auth import load_auth

            auth = load_auth(args.auth)
        app = create_app(rulesets, audit_log=args.audit_log, auth=auth)
    except ArgumentError as error:
        print(f"clinrules: error: {error}", file=err)
        return EXIT_FAILED
    except OSError as error:
        raise UsageError(
            f"cannot write the audit log '{args.audit_log}': {error.strerror or error}"
        ) from None
    print(f"clinrules: serving {', '.join(ids)} on http://{args.host}:{args.port}/cds-services", file=out)
    out.flush()
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")
    return EXIT_OK
