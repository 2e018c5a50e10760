"""Section 7: `clinrules serve` under load: 8 concurrent clients on loopback, throughput and p50/p99 latency.

The shipped ruleset is served (`--allow-draft`) by `clinrules serve` as a
subprocess on 127.0.0.1 with a free port. Requests are realistic
patient-view calls: each shipped patient (`rulesets/sciatica/patients/`) as
the Bundle an app would send (`tests.support.fhir.to_bundle`), split into
the discovery's prefetch keys. Each of 8 threads has its own httpx client
and sends its share of a fixed number of requests; every answer must be a
200 with cards, or the run fails. Latency is per request, on the client.
Bounded: a fixed count, a start-up deadline, a per-request timeout.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from tests.support.fhir import to_bundle
from tests.support.service import serving

from benchmarks.evaluate import ROOT, RULESET
from benchmarks.timing import Row, scaled

SECTION = "7. CDS Hooks service under load"
CLIENTS = 8
P99_GOAL_MS = 50
SERVICE = "glute_bridge_sciatica"
PATIENTS = ROOT / "rulesets" / "sciatica" / "patients"
_LOINC_PAIN, _LOINC_WEIGHT = "72514-3", "29463-7"


def _key(resource: dict[str, Any]) -> str:
    kind = resource["resourceType"]
    if kind == "Observation":
        codes = {coding.get("code") for coding in resource["code"]["coding"]}
        return "pain" if _LOINC_PAIN in codes else "vitals"
    return {"Condition": "conditions", "QuestionnaireResponse": "screen", "Procedure": "sessions"}[kind]


def prefetch(patient: dict[str, Any]) -> dict[str, Any]:
    """The patient's Bundle as a prefetch: Patient on its own, the rest as searchsets by key; null if none."""
    keys = ("pain", "conditions", "screen", "sessions", "vitals")
    found: dict[str, Any] = {"patient": None, **dict.fromkeys(keys)}
    for entry in to_bundle(patient)["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            found["patient"] = resource
            continue
        key = _key(resource)
        if found[key] is None:
            found[key] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
        found[key]["entry"].append({"resource": resource})
    return found


def _requests() -> list[bytes]:
    bodies = []
    for index, path in enumerate(sorted(PATIENTS.glob("*.json"))):
        body = {
            "hook": "patient-view",
            "hookInstance": f"00000000-0000-4000-8000-{index:012d}",
            "context": {"userId": "Practitioner/1", "patientId": "p"},
            "prefetch": prefetch(json.loads(path.read_text(encoding="utf-8"))),
        }
        bodies.append(json.dumps(body).encode())
    return bodies


def _client(url: str, bodies: list[bytes]) -> list[float]:
    """The latency of each request, in ms; a non-200 or an answer without cards fails the run."""
    latencies = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for body in bodies:
            start = time.perf_counter()
            response = client.post(f"/cds-services/{SERVICE}", content=body)
            latencies.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200 or not response.json()["cards"]:
                raise AssertionError(f"the service answered {response.status_code}: {response.text[:200]}")
    return latencies


def _served(url: str, bodies: list[bytes]) -> list[bytes]:
    """The requests of the patients this ruleset takes, each sent once (the warm-up).

    Some shipped patients have sessions of exercises of another ruleset of the
    folder; the service rightly answers those with 422, and they are left out.
    """
    with httpx.Client(base_url=url, timeout=10) as client:
        kept = [b for b in bodies if client.post(f"/cds-services/{SERVICE}", content=b).status_code == 200]
    if not kept:
        raise AssertionError("the service took none of the shipped patients")
    return kept


def _p(latencies: list[float], percent: int) -> float:
    return statistics.quantiles(latencies, n=100, method="inclusive")[percent - 1]


def run() -> tuple[list[Row], dict[str, Any]]:
    count = scaled(4_000, 400)
    shipped = _requests()
    with tempfile.TemporaryDirectory() as folder, serving(Path(folder), audit_log=False) as server:
        url = server.url
        bodies = _served(url, shipped)
        per_client = count // CLIENTS
        shares = [
            [bodies[(c + i * CLIENTS) % len(bodies)] for i in range(per_client)] for c in range(CLIENTS)
        ]
        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            latencies = [ms for share in pool.map(lambda s: _client(url, s), shares) for ms in share]
        seconds = time.perf_counter() - started
    p50, p99 = _p(latencies, 50), _p(latencies, 99)
    s = SECTION
    rows = [
        Row(
            s,
            f"throughput, {CLIENTS} clients, {len(latencies):,} requests",
            len(latencies) / seconds,
            "req/s",
        ),
        Row(s, "latency p50", p50, "ms"),
        Row(s, "latency p99", p99, "ms", f"<= {P99_GOAL_MS} ms", p99 <= P99_GOAL_MS, "service_p99"),
    ]
    details = {
        "ruleset": str(RULESET.relative_to(ROOT)),
        "clients": CLIENTS,
        "requests": len(latencies),
        "patients": len(bodies),
        "patients_left_out": len(shipped) - len(bodies),
        "seconds": round(seconds, 2),
    }
    return rows, details
