"""`clinrules serve` fetching prefetch keys not delivered from a fake FHIR server over real HTTP.

The fake server (a `ThreadingHTTPServer` on 127.0.0.1, a free port) answers
each prefetch template's URL for the patient id it is given, checks the
bearer token, and can page a search, fail with 401 or stall past the
service's timeout. The service runs as in `tests/test_service.py`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from clinrules.service.app import PATIENT, PREFETCH
from clinrules.service.fetch import MAX_PAGES, REQUEST_SECONDS
from tests.support.fhir import bundle
from tests.support.service import _free_port
from tests.test_service import Server, assert_outcome, empties, fixture, request, server

__all__ = ["server"]  # the service fixture, re-used

TOKEN = "s3cr3t-bearer-9f2c-never-logged"


def _key(path: str, query: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return path.rstrip("/"), frozenset(parse_qsl(query))


def searchset(resources: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": len(resources)}
    page["entry"] = [{"resource": r} for r in resources]
    if next_url is not None:
        page["link"] = [{"relation": "next", "url": next_url}]
    return page


@dataclass
class Fhir:
    """The fake FHIR server's answers: per base (one per behaviour) and (path, query) a JSON body."""

    url: str
    answers: dict[tuple[str, frozenset[tuple[str, str]]], dict[str, Any]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, base: str, patient_id: str, by_key: dict[str, list[dict[str, Any]]]) -> str:
        """Each prefetch template of this base for this patient answers the resources of its key."""
        for key, template in PREFETCH.items():
            split = urlsplit(f"/{base}/" + template.replace(PATIENT, patient_id))
            found = by_key.get(key) or [{"resourceType": "Patient", "id": patient_id}]
            body = found[0] if "?" not in template else searchset(by_key.get(key, []))
            self.answers[_key(split.path, split.query)] = body
        return f"{self.url}/{base}"


def _handler(fhir: Fhir) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            split = urlsplit(self.path)
            with fhir.lock:
                fhir.hits.append(split.path)
            if split.path.startswith("/slow/"):
                time.sleep(REQUEST_SECONDS + 1)
            if self.headers.get("Authorization") != f"Bearer {TOKEN}" or split.path.startswith("/locked/"):
                return self._send(401, {"resourceType": "OperationOutcome", "issue": []})
            body = fhir.answers.get(_key(split.path, split.query))
            if body is None:
                return self._send(404, {"resourceType": "OperationOutcome", "issue": []})
            return self._send(200, body)

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the service gave up waiting: the timeout under test

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def fhir() -> Iterator[Fhir]:
    port = _free_port()
    fake = Fhir(f"http://127.0.0.1:{port}")
    httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(fake))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()


def screen_resources() -> list[dict[str, Any]]:
    return [entry["resource"] for entry in fixture("saddle_numbness")["entry"]]


def fetching(fhir_server: str, patient_id: str = "p", token: str | None = TOKEN) -> dict[str, Any]:
    """A request that delivers no prefetch at all, so the service must fetch every key."""
    body = request()
    del body["prefetch"]
    body["context"]["patientId"] = patient_id
    body["fhirServer"] = fhir_server
    if token is not None:
        body["fhirAuthorization"] = {"access_token": token, "token_type": "Bearer", "scope": "patient/*.read"}
    return body


def by_type(resources: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The saddle-numbness resources, each under the prefetch key whose search finds it."""
    keys = {"Patient": "patient", "Condition": "conditions", "QuestionnaireResponse": "screen"}
    keys |= {"Procedure": "sessions"}
    found: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        key = keys.get(resource["resourceType"])
        if resource["resourceType"] == "Observation":
            key = "vitals" if resource["code"]["coding"][0]["code"] == "29463-7" else "pain"
        assert key is not None, resource["resourceType"]
        found.setdefault(key, []).append(resource)
    return found


def test_the_saddle_numbness_patient_fetched_from_fhir_server_gives_the_critical_card(
    server: Server, fhir: Fhir
) -> None:
    base = fhir.serve("full", "saddle-1", by_type(screen_resources()))
    response = server.call(fetching(base, "saddle-1"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert empties(body) == []
    (card,) = body["cards"]
    assert card["indicator"] == "critical"
    assert {hit.split("/")[2] for hit in fhir.hits if hit.startswith("/full/")} >= {
        "Patient",
        "QuestionnaireResponse",
        "Condition",
    }


def test_only_the_keys_not_delivered_are_fetched(server: Server, fhir: Fhir) -> None:
    base = fhir.serve("partial", "saddle-2", {})
    body = fetching(base, "saddle-2")
    body["prefetch"] = dict.fromkeys(PREFETCH)
    body["prefetch"]["screen"] = {"resourceType": "OperationOutcome", "issue": []}
    del body["prefetch"]["patient"]
    for key in ("pain", "conditions", "sessions", "vitals"):
        body["prefetch"][key] = bundle()
    before = len(fhir.hits)
    assert server.call(body).status_code == 200
    fetched = sorted(hit.split("/")[2] for hit in fhir.hits[before:])
    assert fetched == ["Patient", "QuestionnaireResponse"]


def test_the_next_links_of_a_searchset_are_followed(server: Server, fhir: Fhir) -> None:
    resources = by_type(screen_resources())
    screen = resources.pop("screen")
    base = fhir.serve("paged", "saddle-3", resources)
    # The screen's search answers an empty first page whose next page holds the answers.
    split = urlsplit("/paged/" + PREFETCH["screen"].replace(PATIENT, "saddle-3"))
    fhir.answers[_key(split.path, split.query)] = searchset([], f"{base}/page?n=2")
    fhir.answers[_key("/paged/page", "n=2")] = searchset(screen)
    body = server.call(fetching(base, "saddle-3")).json()
    assert body["cards"][0]["indicator"] == "critical"
    assert "/paged/page" in fhir.hits


def test_a_next_link_off_the_fhir_server_is_412_and_not_followed(server: Server, fhir: Fhir) -> None:
    base = fhir.serve("elsewhere", "p", {})
    split = urlsplit("/elsewhere/" + PREFETCH["screen"].replace(PATIENT, "p"))
    fhir.answers[_key(split.path, split.query)] = searchset([], f"{fhir.url}/other/page")
    outcome = assert_outcome(server.call(fetching(base)), 412)
    assert "screen" in outcome["issue"][0]["diagnostics"]
    assert "/other/page" not in fhir.hits


@pytest.mark.parametrize(
    ("base", "token", "why"),
    [
        pytest.param("locked", TOKEN, "401", id="401"),
        pytest.param("full", "a-wrong-token", "401", id="wrong-token"),
        pytest.param("slow", TOKEN, "did not answer", id="timeout"),
        pytest.param("nothing-here", TOKEN, "404", id="404"),
        pytest.param("full", None, "fhirAuthorization", id="no-token"),
    ],
)
def test_a_fetch_that_fails_or_no_token_is_412(
    server: Server, fhir: Fhir, base: str, token: str | None, why: str
) -> None:
    fhir.serve("full", "p", by_type(screen_resources()))
    outcome = assert_outcome(server.call(fetching(f"{fhir.url}/{base}", token=token)), 412)
    text = outcome["issue"][0]["diagnostics"]
    assert why in text
    assert TOKEN not in text


def test_without_fhir_authorization_nothing_is_fetched(server: Server, fhir: Fhir) -> None:
    before = len(fhir.hits)
    assert_outcome(server.call(fetching(f"{fhir.url}/full", token=None)), 412)
    assert len(fhir.hits) == before


def test_a_patient_id_that_is_not_a_fhir_id_is_412_without_a_fetch(server: Server, fhir: Fhir) -> None:
    before = len(fhir.hits)
    outcome = assert_outcome(server.call(fetching(f"{fhir.url}/full", "p&_id=other")), 412)
    assert "patientId" in outcome["issue"][0]["diagnostics"]
    assert len(fhir.hits) == before


def test_the_token_never_appears_in_the_output_or_audit_log(server: Server, fhir: Fhir) -> None:
    base = fhir.serve("full", "saddle-4", by_type(screen_resources()))
    answers = [server.call(fetching(base, "saddle-4")), server.call(fetching(f"{fhir.url}/locked"))]
    assert [answer.status_code for answer in answers] == [200, 412]
    time.sleep(0.2)  # the server writes its log as it goes
    for text in [answer.text for answer in answers] + [server.log.read_text(), server.audit.read_text()]:
        assert TOKEN not in text
        assert "saddle-4" not in text


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        pytest.param("endless", f"more than {MAX_PAGES} pages", id="over-the-page-bound"),
        pytest.param({"resourceType": "Patient", "id": "p"}, "not a Bundle", id="not-a-bundle"),
        pytest.param({"resourceType": "OperationOutcome", "issue": []}, "OperationOutcome", id="outcome"),
    ],
)
def test_a_search_over_the_bound_or_not_a_bundle_is_412(
    server: Server, fhir: Fhir, answer: Any, why: str
) -> None:
    base = fhir.serve("bad-" + why[:4].strip(), "p", {})
    split = urlsplit(urlsplit(base).path + "/" + PREFETCH["screen"].replace(PATIENT, "p"))
    endless = searchset([], f"{base}/{PREFETCH['screen'].replace(PATIENT, 'p')}")
    fhir.answers[_key(split.path, split.query)] = endless if answer == "endless" else answer
    outcome = assert_outcome(server.call(fetching(base)), 412)
    text = outcome["issue"][0]["diagnostics"]
    assert "screen" in text
    assert why in text
