"""The local API gateway's Cognito authorizer checks what API Gateway's does: signature against the
pool's keys, expiry, issuer, audience and token use (tokens signed here with a key of the test's own)."""

import time

import pytest
from joserfc import jwk, jwt
from joserfc.jwk import KeySet

from govsync_local.api_gateway import CognitoAuthorizer, Unauthorized

POOL, CLIENT = "us-east-1_TestPool", "client-1"
KEY = jwk.RSAKey.generate_key(2048, {"kid": "k1"}, private=True)
OTHER = jwk.RSAKey.generate_key(2048, {"kid": "k1"}, private=True)


def authorizer() -> CognitoAuthorizer:
    return CognitoAuthorizer("http://unused", "us-east-1", POOL, (CLIENT,), KeySet([KEY]))


def token(key=KEY, **changes) -> str:
    claims = {"iss": f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}", "aud": CLIENT, "token_use": "id",
              "exp": int(time.time()) + 600, "cognito:username": "olivia",
              "cognito:groups": ["approvers", "auditors"]}  # fmt: skip
    return jwt.encode({"alg": "RS256", "kid": "k1"}, {**claims, **changes}, key)


def test_a_genuine_token_gives_its_claims_as_api_gateway_hands_them_on():
    claims = authorizer().claims(f"Bearer {token()}")
    assert claims["cognito:username"] == "olivia" and claims["cognito:groups"] == "approvers,auditors"


@pytest.mark.parametrize(
    "bad",
    [
        {"exp": int(time.time()) - 60},
        {"aud": "another-client"},
        {"token_use": "access"},
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/another-pool"},
    ],
    ids=["expired", "another client", "access token", "another pool"],
)
def test_every_claim_api_gateway_checks_is_checked(bad):
    with pytest.raises(Unauthorized):
        authorizer().claims(token(**bad))


@pytest.mark.parametrize("header", ["", "Bearer ", "not-a-token", None])
def test_no_token_or_garbage_is_unauthorized(header):
    with pytest.raises(Unauthorized):
        authorizer().claims(header)


def test_a_token_signed_with_any_other_key_is_unauthorized():
    with pytest.raises(Unauthorized):
        authorizer().claims(token(key=OTHER))
