"""`clinrules serve --workers 2` over real HTTP: one replay store and one audit log for every worker.

Each response names its worker (`X-Clinrules-Worker`); a request sent on a
new connection lands on whichever worker accepts it, so a test that needs
both workers sends until it has seen both, bounded in count and time.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from clinrules.cli.main import main
from clinrules.cli.serve import WORKER_SETTINGS, worker_app
from clinrules.service.replay import SharedReplayStore
from tests.support.service import RULESET, SERVICE, Server, serving
from tests.test_service import request
from tests.test_service_auth import _config, token

WORKER = "x-clinrules-worker"
MAX_TRIES = 400
MAX_SECONDS = 60.0


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("service-workers")
    config = folder / "auth.json"
    config.write_text(json.dumps(_config()))
    with serving(
        folder, "--workers", "2", "--auth", str(config), "--state-dir", str(folder / "state")
    ) as server:
        yield server


def _post(
    server: Server, bearer: str, hook_instance: str = "d3f1c0de-0000-4000-8000-000000000001"
) -> httpx.Response:
    # A new connection each time (no client pool), so that either worker may accept it.
    return httpx.post(
        f"{server.url}/cds-services/{SERVICE}",
        content=json.dumps(request(hook_instance)).encode(),
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=10,
    )


def test_a_token_replayed_to_the_other_worker_is_refused(two_workers: Server) -> None:
    once = token(two_workers)
    first = _post(two_workers, once)
    assert first.status_code == 200
    seen = {first.headers[WORKER]}
    deadline = time.monotonic() + MAX_SECONDS
    tries = 0
    while len(seen) < 2:
        assert tries < MAX_TRIES, "the second worker never answered"
        assert time.monotonic() < deadline, "the second worker never answered"
        again = _post(two_workers, once)
        assert again.status_code == 401, f"worker {again.headers[WORKER]} took a replayed token"
        assert 'error="invalid_token"' in again.headers["www-authenticate"]
        seen.add(again.headers[WORKER])
        tries += 1


def test_concurrent_decisions_of_two_workers_give_whole_audit_lines(two_workers: Server) -> None:
    before = len(two_workers.audit.read_text().splitlines()) if two_workers.audit.exists() else 0
    count = 120
    instances = [f"a0d1700e-0000-4000-8000-{i:012d}" for i in range(count)]
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda h: _post(two_workers, token(two_workers), h), instances))
    assert [r.status_code for r in responses] == [200] * count
    assert len({r.headers[WORKER] for r in responses}) == 2, "one worker answered every request"
    lines = two_workers.audit.read_text().splitlines()[before:]
    entries = [json.loads(line) for line in lines]
    assert sorted(e["hookInstance"] for e in entries) == instances
    assert all(e["ruleset"] == SERVICE and e["triage"] for e in entries)


def test_workers_share_one_replay_store_file(tmp_path: Path) -> None:
    now = time.time()
    first, second = SharedReplayStore(tmp_path), SharedReplayStore(tmp_path)
    assert first.first_use("i", "a", now + 60, now) is None
    assert second.first_use("i", "a", now + 60, now) is not None
    assert second.first_use("j", "a", now + 60, now) is None  # the same jti from another issuer
    # Expired past the leeway: pruned, and a pair seen again is new (its token could not verify any more).
    assert first.first_use("i", "old", now - 100, now) is None
    assert second.first_use("i", "old", now + 60, now) is None


def test_a_full_shared_store_refuses_rather_than_forgets(tmp_path: Path) -> None:
    now = time.time()
    store = SharedReplayStore(tmp_path, capacity=2)
    assert store.first_use("i", "a", now + 60, now) is None
    assert store.first_use("i", "b", now + 60, now) is None
    assert store.first_use("i", "c", now + 60, now) is not None
    assert store.first_use("i", "a", now + 60, now) is not None
    assert SharedReplayStore(tmp_path, capacity=3).first_use("i", "c", now + 60, now) is None


def test_a_store_that_fails_refuses_the_token(tmp_path: Path) -> None:
    now = time.time()
    store = SharedReplayStore(tmp_path)
    assert store._connection is not None
    store._connection.close()  # any sqlite3.Error from here on: fail closed
    assert store.first_use("i", "a", now + 60, now) is not None


def test_a_state_dir_that_cannot_be_made_exits_2(tmp_path: Path) -> None:
    config, taken = tmp_path / "auth.json", tmp_path / "a-file"
    config.write_text(json.dumps(_config()))
    taken.write_text("")
    out, err = io.StringIO(), io.StringIO()
    argv = ["serve", str(RULESET), "--allow-draft", "--auth", str(config), "--state-dir", str(taken)]
    assert main(argv, out, err) == 2
    assert "--state-dir" in err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_a_worker_refuses_a_ruleset_changed_since_serve_checked_it(monkeypatch: pytest.MonkeyPatch) -> None:
    settings: dict[str, Any] = {
        "rulesets": [str(RULESET)],
        "sha256": ["0" * 64],
        "allow_draft": True,
        "audit_log": None,
        "auth": None,
        "state_dir": None,
    }
    monkeypatch.setenv(WORKER_SETTINGS, json.dumps(settings))
    with pytest.raises(RuntimeError, match="changed"):
        worker_app()


@pytest.mark.parametrize("workers", ["0", "two", "65"])
def test_a_bad_worker_count_exits_2(workers: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["serve", str(RULESET), "--allow-draft", "--workers", workers], out, err)
    assert code == 2
    assert "Traceback" not in err.getvalue()
