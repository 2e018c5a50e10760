"""`clinrules serve --auth`: bearer JWTs over real HTTP, and the auth config's refusals.

The tests make their own ES384 and RS384 keys; the server trusts two issuers
(one per key, the RSA one given as a JWK), and every call needs a token
whose `aud` is the URL called.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from clinrules.base.errors import ArgumentError
from clinrules.cli.main import main
from clinrules.service.auth import auth_from, load_auth
from tests.test_service import RULESET, SERVICE, Server, assert_outcome, request, running

EC_ISSUER = "https://ehr.example.org"
RSA_ISSUER = "https://other-ehr.example.org"
EC_KEY = ec.generate_private_key(ec.SECP384R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_EC_KEY = ec.generate_private_key(ec.SECP384R1())


def _pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _config() -> dict[str, Any]:
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    return {
        "algorithms": ["ES384", "RS384"],
        "issuers": [
            {"iss": EC_ISSUER, "keys": [{"pem": _pem(EC_KEY)}]},
            {"iss": RSA_ISSUER, "keys": [{"jwk": rsa_jwk}]},
        ],
    }


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("service-auth")
    config = folder / "auth.json"
    config.write_text(json.dumps(_config()))
    yield from running(folder, "--auth", str(config))


def token(server: Server, path: str = f"/cds-services/{SERVICE}", **changes: Any) -> str:
    """A good ES384 token for `path` on this server, with these claims or header fields changed."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": EC_ISSUER,
        "aud": server.url + path,
        "exp": now + 120,
        "iat": now,
        "jti": str(uuid.uuid4()),
    }
    key: Any = changes.pop("key", EC_KEY)
    algorithm = changes.pop("algorithm", "ES384")
    claims.update(changes)
    for name in [name for name, value in claims.items() if value is None]:
        del claims[name]
    return jwt.encode(claims, key, algorithm=algorithm)


def call(server: Server, bearer: str | None) -> Any:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    return server.client.post(
        f"/cds-services/{SERVICE}", content=json.dumps(request()).encode(), headers=headers
    )


def refused(response: Any, *, with_token: bool = True) -> None:
    assert_outcome(response, 401)
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert ('error="invalid_token"' in challenge) is with_token
    assert "Traceback" not in response.text


def test_a_good_es384_token_gets_cards(guarded: Server) -> None:
    response = call(guarded, token(guarded))
    assert response.status_code == 200
    assert response.json()["cards"]


def test_a_good_rs384_token_from_a_jwk_gets_cards(guarded: Server) -> None:
    response = call(guarded, token(guarded, iss=RSA_ISSUER, key=RSA_KEY, algorithm="RS384"))
    assert response.status_code == 200


def test_discovery_needs_a_token_whose_aud_is_its_url(guarded: Server) -> None:
    refused(guarded.client.get("/cds-services"), with_token=False)
    good = {"Authorization": f"Bearer {token(guarded, '/cds-services')}"}
    assert guarded.client.get("/cds-services", headers=good).json()["services"]


def test_a_missing_header_is_refused(guarded: Server) -> None:
    refused(call(guarded, None), with_token=False)


def test_a_header_that_is_not_bearer_is_refused(guarded: Server) -> None:
    response = guarded.client.post(
        f"/cds-services/{SERVICE}", content=b"{}", headers={"Authorization": "Basic dXNlcjpwdw=="}
    )
    refused(response)


def test_an_expired_token_is_refused(guarded: Server) -> None:
    now = int(time.time())
    refused(call(guarded, token(guarded, iat=now - 400, exp=now - 200)))


def test_a_token_for_another_url_is_refused(guarded: Server) -> None:
    refused(call(guarded, token(guarded, aud="https://elsewhere.example.org/cds-services/x")))
    refused(call(guarded, token(guarded, path="/cds-services/other")))


def test_a_token_from_an_issuer_not_allowed_is_refused(guarded: Server) -> None:
    refused(call(guarded, token(guarded, iss="https://evil.example.org")))


def test_a_token_signed_by_another_key_is_refused(guarded: Server) -> None:
    refused(call(guarded, token(guarded, key=OTHER_EC_KEY)))


def test_alg_none_is_refused(guarded: Server) -> None:
    refused(call(guarded, token(guarded, key=None, algorithm="none")))


def test_hs256_is_refused_even_with_the_public_key_as_secret(guarded: Server) -> None:
    # Built by hand: PyJWT itself will not sign HS256 with a PEM (the key-confusion attack).
    claims = jwt.decode(token(guarded), options={"verify_signature": False})
    header_part = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signed = header_part + "." + _b64(json.dumps(claims).encode())
    signature = hmac.new(_pem(EC_KEY).encode(), signed.encode(), hashlib.sha256).digest()
    refused(call(guarded, signed + "." + _b64(signature)))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_replayed_jti_is_refused(guarded: Server) -> None:
    once = token(guarded)
    assert call(guarded, once).status_code == 200
    refused(call(guarded, once))


@pytest.mark.parametrize("claim", ["iss", "aud", "exp", "iat", "jti"])
def test_a_token_without_a_required_claim_is_refused(guarded: Server, claim: str) -> None:
    refused(call(guarded, token(guarded, **{claim: None})))


def test_a_token_that_lives_too_long_is_refused(guarded: Server) -> None:
    now = int(time.time())
    refused(call(guarded, token(guarded, iat=now, exp=now + 3600)))


def test_refusals_are_not_audited(guarded: Server) -> None:
    before = guarded.audit.read_text() if guarded.audit.exists() else ""
    refused(call(guarded, token(guarded, iss="https://evil.example.org")))
    after = guarded.audit.read_text() if guarded.audit.exists() else ""
    assert after == before


@pytest.mark.parametrize(
    "change",
    [
        {"algorithms": ["none"]},
        {"algorithms": ["HS256"]},
        {"algorithms": ["ES384", "HS384"]},
        {"algorithms": []},
        {"issuers": []},
        {"issuers": [{"iss": EC_ISSUER, "keys": [{"pem": "not a key"}]}]},
        {"issuers": [{"iss": EC_ISSUER, "keys": []}]},
        {"issuers": [{"iss": EC_ISSUER, "keys": [{"jwk": {"kty": "oct", "k": "c2VjcmV0"}}]}]},
        {"max_lifetime_seconds": 0},
        {"secret": "x"},
    ],
)
def test_a_bad_config_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ArgumentError):
        auth_from({**_config(), **change})


def test_a_private_jwk_is_refused() -> None:
    private = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(EC_KEY))
    with pytest.raises(ArgumentError):
        auth_from({"issuers": [{"iss": EC_ISSUER, "keys": [{"jwk": private}]}]})


def test_a_yaml_config_loads(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "auth.yaml"
    path.write_text(yaml.safe_dump(_config()))
    verifier = load_auth(path)
    assert sorted(verifier.issuers) == [EC_ISSUER, RSA_ISSUER]
    assert verifier.algorithms == ("ES384", "RS384")


def test_the_replay_store_refuses_when_full_of_live_tokens() -> None:
    from clinrules.service.auth import ReplayStore

    store = ReplayStore(capacity=2)
    now = time.time()
    assert store.first_use("i", "a", now + 60, now) is None
    assert store.first_use("i", "b", now - 120, now) is None
    assert store.first_use("i", "c", now + 60, now) is None  # b had expired: purged
    assert store.first_use("i", "d", now + 60, now) is not None
    assert store.first_use("i", "a", now + 60, now) is not None


def test_serve_with_a_bad_auth_config_exits_2_saying_what_where_and_how(tmp_path: Path) -> None:
    config = tmp_path / "auth.yaml"
    config.write_text("algorithms: [HS256]\nissuers: []\n")
    out, err = io.StringIO(), io.StringIO()
    code = main(["serve", str(RULESET), "--allow-draft", "--auth", str(config)], out, err)
    assert code == 2
    assert "HS256" in err.getvalue()  # what
    assert "auth.yaml" in err.getvalue()  # where
    assert "docs/integration.md" in err.getvalue()  # how
    assert "Traceback" not in err.getvalue()


def test_serve_with_a_missing_auth_config_exits_2(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["serve", str(RULESET), "--allow-draft", "--auth", str(tmp_path / "absent.yaml")], out, err)
    assert code == 2
    assert "absent.yaml" in err.getvalue()
    assert "Traceback" not in err.getvalue()
