"""`python -m tests.support.golden_server PORT`: the shipped ruleset served at the time a request names.

For the golden cards only: each scenario is decided at its own `as_of`,
which the request gives in the `X-Clinrules-Test-As-Of` header (the
`as_of` hook of `create_app`; `clinrules serve` has no such option and
always uses the clock). A request without the header is decided at the
clock, as `clinrules serve` would. Started and stopped like `clinrules
serve` by `tests.support.service.serving(..., program=...)`.
"""

from __future__ import annotations

import datetime as dt
import sys

import uvicorn
from fastapi import Request

from clinrules.api import load
from clinrules.service import create_app
from clinrules.service.app import clock
from tests.support.service import RULESET

HEADER = "X-Clinrules-Test-As-Of"
PROGRAM = ("-m", "tests.support.golden_server")


def as_of_header(request: Request) -> dt.datetime:
    given = request.headers.get(HEADER)
    if given is None:
        return clock(request)
    return dt.datetime.fromisoformat(given.replace("Z", "+00:00"))


def main(port: str) -> None:
    app = create_app([load(RULESET, allow_draft=True)], as_of=as_of_header)
    uvicorn.run(app, host="127.0.0.1", port=int(port), access_log=False, log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1])
