"""JWT verification of the CDS client (CDS Hooks 2.0 security): `load_auth(path)` -> `Verifier`.

In: a JSON or YAML config (docs/integration.md, "Authentication"): the
allowed issuers, each with its public keys (PEM or JWK), and the accepted
algorithms. Out: a `Verifier` whose `check(authorization, audience)` gives
None for a good token or the reason it is refused.

Design decisions:
- Only asymmetric algorithms: `none` and HMAC are refused in the config
  and in tokens (a shared secret would let the service forge calls).
- `iss`, `aud`, `exp`, `iat` and `jti` are required; a token may live at
  most `max_lifetime_seconds` (default 300, the spec's five minutes).
- A `jti` seen before is refused until its token expires. The store is per
  verifier (per app), bounded and locked; when it is full of live tokens a
  new token is refused rather than an old `jti` forgotten (fail closed).
  `clinrules serve` gives each worker the same SQLite store instead
  (`service/replay.py`), so a replay to another worker is refused too.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jwt
import yaml
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from clinrules.base.errors import ArgumentError

ASYMMETRIC = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
DEFAULT_ALGORITHMS = ("ES384", "RS384")
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")
LEEWAY_SECONDS = 30
PublicKey = EllipticCurvePublicKey | RSAPublicKey


@dataclass(frozen=True)
class Issuer:
    """An allowed issuer and the keys its tokens may be signed with (`kid` None: any token)."""

    iss: str
    keys: tuple[tuple[str | None, PublicKey], ...]


class Replays(Protocol):
    """Where the `jti`s of live tokens are kept: in memory (`ReplayStore`) or shared (`replay.py`)."""

    def first_use(self, iss: str, jti: str, expires: float, now: float) -> str | None: ...


class ReplayStore:
    """The `jti`s of live tokens; thread-safe, at most `capacity` of them."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._expiry: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def first_use(self, iss: str, jti: str, expires: float, now: float) -> str | None:
        """None if this (iss, jti) is new (and remember it), else why it is refused."""
        with self._lock:
            key = (iss, jti)
            if key in self._expiry and self._expiry[key] + LEEWAY_SECONDS >= now:
                return "the token's jti was used before (a replayed token)"
            if len(self._expiry) >= self._capacity:
                self._expiry = {k: e for k, e in self._expiry.items() if e + LEEWAY_SECONDS >= now}
            if len(self._expiry) >= self._capacity:
                return "too many live tokens to track their jti; try again shortly"
            self._expiry[key] = expires
            return None


class Verifier:
    """Checks `Authorization: Bearer <jwt>` headers against one config."""

    def __init__(
        self,
        issuers: Mapping[str, Issuer],
        algorithms: tuple[str, ...],
        *,
        max_lifetime_seconds: int = 300,
        base_url: str | None = None,
        replay_capacity: int = 100_000,
        replays: Replays | None = None,
    ) -> None:
        self.issuers = dict(issuers)
        self.algorithms = algorithms
        self.max_lifetime_seconds = max_lifetime_seconds
        self.base_url = base_url.rstrip("/") if base_url else None
        self._replays = replays if replays is not None else ReplayStore(replay_capacity)

    def sharing(self, replays: Replays) -> Verifier:
        """This verifier with `replays` as its replay store (one that other processes share)."""
        return Verifier(
            self.issuers,
            self.algorithms,
            max_lifetime_seconds=self.max_lifetime_seconds,
            base_url=self.base_url,
            replays=replays,
        )

    def check(self, authorization: str | None, audience: str) -> str | None:
        """None for a good token; else why it is refused (no token content beyond claim names)."""
        if not authorization:
            return "no Authorization header; send 'Authorization: Bearer <jwt>'"
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "the Authorization header is not 'Bearer <jwt>'"
        try:
            header = jwt.get_unverified_header(token.strip())
            unverified = jwt.decode(token.strip(), options={"verify_signature": False})
        except jwt.PyJWTError:
            return "the bearer token is not a JWT"
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:
            return f"the token's algorithm is not accepted (accepted: {', '.join(self.algorithms)})"
        issuer = self.issuers.get(unverified.get("iss")) if isinstance(unverified.get("iss"), str) else None
        if issuer is None:
            return "the token's issuer (iss) is not allowed"
        claims = self._verified(token.strip(), header.get("kid"), issuer, audience)
        if isinstance(claims, str):
            return claims
        if not isinstance(claims["jti"], str) or not claims["jti"]:
            return "the token's jti is not a non-empty string"
        if claims["exp"] - claims["iat"] > self.max_lifetime_seconds:
            return f"the token lives longer than {self.max_lifetime_seconds} seconds (exp - iat)"
        return self._replays.first_use(issuer.iss, claims["jti"], float(claims["exp"]), time.time())

    def _verified(self, token: str, kid: object, issuer: Issuer, audience: str) -> dict[str, Any] | str:
        keys = [key for key_id, key in issuer.keys if key_id is None or key_id == kid]
        reason = "no key of the issuer matches the token's kid"
        for key in keys:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    key,
                    algorithms=list(self.algorithms),
                    audience=audience,
                    issuer=issuer.iss,
                    leeway=LEEWAY_SECONDS,
                    options={"require": list(REQUIRED_CLAIMS)},
                )
                return claims
            except jwt.InvalidSignatureError:
                reason = "the token's signature does not verify with the issuer's keys"
            except jwt.MissingRequiredClaimError as error:
                return f"the token has no {error.claim} claim"
            except jwt.ExpiredSignatureError:
                return "the token has expired"
            except jwt.InvalidAudienceError:
                return "the token's audience (aud) is not this service's URL"
            except jwt.ImmatureSignatureError:
                return "the token is not valid yet (iat or nbf in the future)"
            except (jwt.PyJWTError, ValueError, TypeError):
                reason = "the token does not verify with the issuer's keys"
        return reason


def load_auth(path: str | Path) -> Verifier:
    """The verifier of a JSON or YAML config; ArgumentError (saying what to fix) for a bad one."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ArgumentError(f"cannot read the auth config '{path}': {error.strerror or error}") from None
    try:
        raw = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        raise ArgumentError(f"the auth config '{path}' is not valid JSON or YAML") from None
    return auth_from(raw, str(path))


def auth_from(raw: object, where: str = "the auth config") -> Verifier:
    """The verifier of a parsed config (a mapping with `issuers`, optional `algorithms`)."""
    if not isinstance(raw, dict):
        raise ArgumentError(f"{where}: the config is a mapping with 'issuers'")
    unknown = sorted(set(raw) - {"issuers", "algorithms", "max_lifetime_seconds", "base_url"})
    if unknown:
        raise ArgumentError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
    algorithms = raw.get("algorithms", list(DEFAULT_ALGORITHMS))
    if not isinstance(algorithms, list) or not algorithms:
        raise ArgumentError(f"{where}: 'algorithms' is a non-empty list, such as [ES384, RS384]")
    refused = [str(a) for a in algorithms if a not in ASYMMETRIC]
    if refused:
        raise ArgumentError(
            f"{where}: algorithm(s) {', '.join(refused)} refused; only {', '.join(ASYMMETRIC)} "
            "(never none nor HMAC)"
        )
    lifetime = raw.get("max_lifetime_seconds", 300)
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or not 0 < lifetime <= 3600:
        raise ArgumentError(f"{where}: 'max_lifetime_seconds' is a whole number from 1 to 3600")
    base_url = raw.get("base_url")
    if base_url is not None and not (
        isinstance(base_url, str) and base_url.startswith(("http://", "https://"))
    ):
        raise ArgumentError(f"{where}: 'base_url' is an http(s) URL")
    entries = raw.get("issuers")
    if not isinstance(entries, list) or not entries:
        raise ArgumentError(f"{where}: 'issuers' is a non-empty list of {{iss, keys}}")
    issuers = [_issuer(entry, f"{where}: issuers[{i}]") for i, entry in enumerate(entries)]
    by_iss = {issuer.iss: issuer for issuer in issuers}
    if len(by_iss) < len(issuers):
        raise ArgumentError(f"{where}: an issuer is listed twice")
    return Verifier(by_iss, tuple(algorithms), max_lifetime_seconds=lifetime, base_url=base_url)


def _issuer(entry: object, where: str) -> Issuer:
    if not isinstance(entry, dict) or not isinstance(entry.get("iss"), str) or not entry["iss"]:
        raise ArgumentError(f"{where}: an issuer is a mapping with 'iss' (a string) and 'keys'")
    keys = entry.get("keys")
    if not isinstance(keys, list) or not keys:
        raise ArgumentError(f"{where}: 'keys' is a non-empty list of {{pem: ...}} or {{jwk: {{...}}}}")
    return Issuer(entry["iss"], tuple(_key(key, f"{where}.keys[{i}]") for i, key in enumerate(keys)))


def _key(entry: object, where: str) -> tuple[str | None, PublicKey]:
    if not isinstance(entry, dict) or len({"pem", "jwk"} & set(entry)) != 1:
        raise ArgumentError(f"{where}: a key is {{pem: '-----BEGIN PUBLIC KEY-----...'}} or {{jwk: {{...}}}}")
    kid = entry.get("kid")
    try:
        if "pem" in entry:
            key: object = load_pem_public_key(str(entry["pem"]).encode())
        else:
            jwk = entry["jwk"]
            if not isinstance(jwk, dict):
                raise ValueError("a JWK is a mapping")
            if "d" in jwk:
                raise ArgumentError(f"{where}: the JWK holds a private key; give only the public key")
            kid = kid if kid is not None else jwk.get("kid")
            key = jwt.PyJWK(jwk).key
    except (ValueError, TypeError, jwt.PyJWTError):
        raise ArgumentError(f"{where}: not a public key (PEM 'PUBLIC KEY' or an EC/RSA JWK)") from None
    if not isinstance(key, (EllipticCurvePublicKey, RSAPublicKey)):
        raise ArgumentError(f"{where}: only EC and RSA public keys are accepted")
    if kid is not None and not isinstance(kid, str):
        raise ArgumentError(f"{where}: 'kid' is a string")
    return kid, key
