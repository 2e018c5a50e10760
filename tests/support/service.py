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
def serving(
    folder: Path, *extra: str, audit_log: bool = True, program: tuple[str, ...] | None = None
) -> Iterator[Server]:
    """The shipped ruleset served (`--allow-draft`, and `extra` arguments) with the server's output in `folder`.

    `program` replaces the command that is run (`clinrules serve`): the
    golden cards run `tests.support.golden_server` (with the port appended).
    Also used by `benchmarks/service.py` (then without the audit log): a
    server that exits or does not answer in time raises RuntimeError, which
    fails a test as it stops a benchmark.
    """
    audit, log = folder / "audit.jsonl", folder / "server.log"
    port = _free_port()
    paths = [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    command = (
        [sys.executable, *program, str(port)]
        if program
        else [
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
    )
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


def template_reads(template: str) -> tuple[str, frozenset[str] | None]:
    """What a prefetch template reads: its resource type, and its `code` tokens (None: any code)."""
    kind, _, query = template.partition("?")
    kind = kind.split("/", 1)[0]
    codes = [part.removeprefix("code=") for part in query.split("&") if part.startswith("code=")]
    return kind, frozenset(",".join(codes).split(",")) if codes else None


def _reads(read: tuple[str, frozenset[str] | None], resource: dict[str, Any], codes: set[str]) -> bool:
    kind, wanted = read
    return kind == resource["resourceType"] and (wanted is None or bool(codes & wanted))


def prefetch_of(bundle: dict[str, Any]) -> dict[str, Any]:
    """A Bundle's resources as the discovery's prefetch: each under the first key whose template reads it.

    Patient on its own, the rest as searchsets; null for a key with nothing.
    A resource no template reads raises AssertionError: the templates must
    cover everything the mapping reads.
    """
    from clinrules.service.app import PREFETCH

    found: dict[str, Any] = dict.fromkeys(PREFETCH)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        codes = {f"{c.get('system')}|{c.get('code')}" for c in (resource.get("code") or {}).get("coding", [])}
        key = next((k for k, t in PREFETCH.items() if _reads(template_reads(t), resource, codes)), None)
        if key is None:
            raise AssertionError(
                f"no prefetch template reads {resource['resourceType']}/{resource.get('id')}"
            )
        if resource["resourceType"] == "Patient":
            found[key] = resource
            continue
        if found[key] is None:
            found[key] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
        found[key]["entry"].append({"resource": resource})
    return found


def empties(value: Any, path: str = "$") -> list[str]:
    """Every null or empty member of a JSON value, by path (`cards: []` is the spec's one exception)."""
    if value is None or (isinstance(value, (str, list, dict)) and not value and path != "$.cards"):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empties(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in empties(v, f"{path}[{i}]")]
    return []
