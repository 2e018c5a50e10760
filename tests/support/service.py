"""`clinrules serve` as a subprocess for tests, and the no-null-or-empty check on its responses.

`serving()` starts the command on 127.0.0.1 with a free port, waits (bounded)
until it answers, and stops it by its pid.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ROOT

RULESET = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
SERVICE = "glute_bridge_sciatica"
START_SECONDS = 30


class Server:
    def __init__(self, url: str, audit: Path, log: Path, pid: int) -> None:
        self.url = url
        self.pid = pid
        self.audit = audit
        self.log = log
        self.client = httpx.Client(base_url=url, timeout=10)

    def call(self, body: object, service: str = SERVICE) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.client.post(f"/cds-services/{service}", content=content)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(folder: Path, *extra: str, audit_log: bool = True) -> Iterator[Server]:
    """The shipped ruleset served (`--allow-draft`, and `extra` arguments) with the server's output in `folder`.

    Also used by `benchmarks/service.py` (then without the audit log): a
    server that exits or does not answer in time raises RuntimeError, which
    fails a test as it stops a benchmark.
    """
    audit, log = folder / "audit.jsonl", folder / "server.log"
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    command = [
        sys.executable,
        "-c",
        "from clinrules.cli import main; raise SystemExit(main())",
        "serve",
        str(RULESET),
        "--port",
        str(port),
        "--allow-draft",
        *(("--audit-log", str(audit)) if audit_log else ()),
        *extra,
    ]
    log_file = log.open("wb")
    process = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"clinrules serve exited {process.returncode}: {log.read_text()!r}")
            try:
                # 401: a service with --auth answers, but not without a token.
                if httpx.get(url + "/cds-services", timeout=1).status_code in (200, 401):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"clinrules serve did not answer within {START_SECONDS} s")
            time.sleep(0.1)
        yield Server(url, audit, log, process.pid)
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        log_file.close()


def empties(value: Any, path: str = "$") -> list[str]:
    """Every null or empty member of a JSON value, by path (`cards: []` is the spec's one exception)."""
    if value is None or (isinstance(value, (str, list, dict)) and not value and path != "$.cards"):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empties(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in empties(v, f"{path}[{i}]")]
    return []
