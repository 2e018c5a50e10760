"""Fetching prefetch keys the client did not deliver from its `fhirServer`.

In: the missing keys with their templates, the request's `fhirServer`, its
bearer `access_token` and `context.patientId`. Out: the resources of each key
(the read resource, or every page of the searchset), or a `FetchFailure`
naming the first key that could not be had and why.

Design decisions (docs/integration.md, "Fetching from the FHIR server"):
- Everything is bounded: the time of each request and of the whole fetch,
  the bytes of each answer and the pages of each search. Over a bound is a
  failure, never a partial answer: a search cut short would read as "no data".
- A `next` link is followed only on the same server (same origin and base
  path): the token is never sent anywhere the client did not name.
- The patient id must be a FHIR id, so it cannot change the search it fills.
- Reasons name the key and the status or bound, never the token, the URL's
  values or a resource's content.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

REQUEST_SECONDS = 3.0
TOTAL_SECONDS = 10.0
MAX_BYTES = 5_000_000
MAX_PAGES = 10
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


@dataclass(frozen=True)
class FetchFailure:
    """Why a prefetch key could not be had from the FHIR server (no token, no patient data)."""

    key: str
    reason: str


class _Failed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def fetch(
    templates: Mapping[str, str], token_placeholder: str, fhir_server: str, token: str, patient_id: object
) -> dict[str, list[dict[str, Any]]] | FetchFailure:
    """Each template's resources (in key order), fetched concurrently, or the first failure."""
    keys = list(templates)
    if not isinstance(patient_id, str) or not _FHIR_ID.fullmatch(patient_id):
        return FetchFailure(keys[0], "context.patientId is not a FHIR id, so no search was made")
    base = fhir_server.rstrip("/")
    if not base.startswith(("https://", "http://")):
        return FetchFailure(keys[0], "fhirServer is not an http(s) URL")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    limits = httpx.Timeout(REQUEST_SECONDS)
    async with httpx.AsyncClient(headers=headers, timeout=limits, follow_redirects=False) as client:
        urls = [f"{base}/{templates[key].replace(token_placeholder, patient_id)}" for key in keys]
        try:
            async with asyncio.timeout(TOTAL_SECONDS):
                results = await asyncio.gather(
                    *(_one(client, base, url) for url in urls), return_exceptions=True
                )
        except TimeoutError:
            return FetchFailure(keys[0], f"the FHIR server did not answer within {TOTAL_SECONDS:g} s")
    fetched: dict[str, list[dict[str, Any]]] = {}
    for key, result in zip(keys, results, strict=True):
        if isinstance(result, _Failed):
            return FetchFailure(key, result.reason)
        if isinstance(result, BaseException):
            return FetchFailure(key, f"the fetch failed ({type(result).__name__})")
        fetched[key] = result
    return fetched


async def _one(client: httpx.AsyncClient, base: str, url: str) -> list[dict[str, Any]]:
    search = "?" in url
    wanted = url[len(base) + 1 :].split("?")[0].split("/")[0]
    first = await _get(client, url)
    if not search:
        if first.get("resourceType") != wanted:
            raise _Failed(f"the FHIR server's answer to a read is not a {wanted}")
        return [first]
    pages = [first]
    while True:
        page = pages[-1]
        if page.get("resourceType") != "Bundle":
            raise _Failed("the FHIR server's answer to a search is not a Bundle")
        following = _next(page)
        if following is None:
            return pages
        if not following.startswith(base + "/") and not following.startswith(base + "?"):
            raise _Failed("a next link leads off the fhirServer, so it was not followed")
        if len(pages) >= MAX_PAGES:
            raise _Failed(f"the search has more than {MAX_PAGES} pages")
        pages.append(await _get(client, following))


def _next(page: dict[str, Any]) -> str | None:
    links = page.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            if not isinstance(url, str):
                raise _Failed("a next link has no url")
            return url
    return None


async def _get(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        async with client.stream("GET", url) as answer:
            if answer.status_code != 200:
                raise _Failed(f"the FHIR server answered HTTP {answer.status_code}")
            body = bytearray()
            async for chunk in answer.aiter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise _Failed(f"the FHIR server's answer is over {MAX_BYTES} bytes")
    except httpx.TimeoutException:
        raise _Failed(f"the FHIR server did not answer within {REQUEST_SECONDS:g} s") from None
    except httpx.HTTPError as error:
        raise _Failed(f"the FHIR server could not be reached ({type(error).__name__})") from None
    try:
        parsed = json.loads(bytes(body))
    except (ValueError, RecursionError):
        raise _Failed("the FHIR server's answer is not JSON") from None
    if not isinstance(parsed, dict):
        raise _Failed("the FHIR server's answer is not a FHIR resource")
    if parsed.get("resourceType") == "OperationOutcome":
        raise _Failed("the FHIR server answered an OperationOutcome")
    return parsed
