"""The governance API on the local stack, with real Cognito tokens: the authorizer's checks (signature,
expiry, audience, token use), people deciding through the registry, the CLI's doors to the same rules."""

from __future__ import annotations

import base64
import csv
import io
import json
import socket
import time
import urllib.request

import pytest
from joserfc import jwk, jwt
from moto.utilities.utils import load_resource

from govsync.domain.export import CSV_HEADER
from govsync_local.api_client import GovernanceApi
from govsync_local.people import totp_code

from .conftest import wait_until
from .test_local_stack import METADATA, SPEC, new_group, record

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(local) -> GovernanceApi:
    return GovernanceApi(local.endpoint)


@pytest.fixture
def version(local) -> str:
    """A high-risk version of a group of its own, recorded; returns the group."""
    group = new_group(local)
    local.client("sagemaker").create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=SPEC, ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={**METADATA, "ModelRisk": "High"},
    )  # fmt: skip
    wait_until(lambda: record(local, group).get("development"), what="the development record")
    return group


def forged(api: GovernanceApi, **changes) -> str:
    """A genuine ID token's claims (with `changes`) signed with the private key moto publishes in its
    source, which anyone can download: the pool signs with a key of its own, so none of these passes."""
    key = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    payload = api.token("olivia").split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, {**claims, **changes}, key)


def test_local_info_gives_the_api_its_pool_and_the_demo_people(local):
    info = local.info
    assert info["api_url"].startswith("http://127.0.0.1:")
    assert set(info["cognito"]) == {"user_pool_id", "client_id"}
    assert {name: user["groups"] for name, user in info["users"].items()} == {
        "alice": ["approvers"], "olivia": ["approvers"], "oscar": ["approvers"], "audrey": ["auditors"],
        "victor": ["viewers"], "adam": ["admins"]}  # fmt: skip
    assert all(len(user["password"]) >= 14 for user in info["users"].values())


def test_the_dashboard_is_served_without_a_token_and_signs_in_against_the_local_cognito(local):
    # Given the dashboard's address, as `govsync local info --json` gives it
    assert local.info["dashboard_url"] == local.info["api_url"] + "/dashboard/index.html"
    # When a browser asks for the page and its settings, with no token
    with urllib.request.urlopen(local.info["dashboard_url"], timeout=10) as answer:
        page, policy = answer.read().decode(), answer.headers["Content-Security-Policy"]
    with urllib.request.urlopen(local.info["api_url"] + "/dashboard/config.json", timeout=10) as answer:
        config = json.load(answer)
    # Then the page comes, allowed to call the API and the local Cognito it signs in with
    assert '<script type="module" src="app.js"></script>' in page
    assert f"connect-src 'self' {local.endpoint};" in policy
    assert config["cognito"] == {"endpoint": local.endpoint, "region": "us-east-1",
                                 "client_id": local.info["cognito"]["client_id"]}  # fmt: skip


def test_the_authorizer_lets_only_genuine_unexpired_id_tokens_of_the_pools_client_through(api):
    assert api.call("victor", "GET", "/records?limit=1")[0] == 200
    assert api.call(None, "GET", "/records")[0] == 401
    token = api.token("victor")
    tampered = token[:-8] + ("A" * 8 if not token.endswith("A" * 8) else "B" * 8)
    for bad in (
        tampered,
        "not-a-token",
        forged(api),  # olivia's own claims, signed with moto's published key
        forged(api, **{"cognito:groups": ["admins"], "exp": int(time.time()) + 3600}),
    ):
        status, body = api.call(None, "GET", "/records", headers={"Authorization": bad})
        assert (status, body) == (401, {"message": "Unauthorized"})
    assert api.call(None, "GET", "/records", headers={"Authorization": f"Bearer {token}"})[0] == 200
    assert api.call("victor", "GET", "/nowhere")[0] == 403  # API Gateway: no such resource


def raw_request(url: str, lines: list[str], body: bytes = b"") -> tuple[bytes, float]:
    """A hand-written HTTP request (what a broken or hostile client sends); the answer and its time."""
    address = url.removeprefix("http://").split("/")[0]
    host, port = address.split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and answer.split(b"\r\n\r\n", 1)[1]:
                break
    return answer, time.monotonic() - started


def test_the_gateway_answers_400_to_a_bad_content_length_without_waiting_or_a_traceback(local, api):
    token = api.token("olivia")
    head = ["POST /usecases HTTP/1.1", "Host: x", f"Authorization: {token}", "Content-Type: application/json"]
    not_a_number, _ = raw_request(api.url, [*head, "Content-Length: abc"], b"{}")
    assert not_a_number.startswith(b"HTTP/1.0 400") or not_a_number.startswith(b"HTTP/1.1 400"), not_a_number[:200]
    assert b"Content-Length must be a number" in not_a_number
    short, took = raw_request(api.url, [*head, "Content-Length: 100"], b'{"id": "x"}')
    assert b" 400 " in short.split(b"\r\n")[0] and b"shorter than its Content-Length" in short, short[:300]
    assert took < 15
    assert "Traceback" not in (local.workdir / "local-up.log").read_text()
    assert api.call("olivia", "GET", "/records?limit=1")[0] == 200  # and it goes on serving


def test_roles_decide_who_exports_and_who_decides(api, version):
    assert api.call("victor", "GET", "/export?format=csv")[0] == 403
    status, text = api.call("audrey", "GET", "/export?format=csv")
    assert status == 200 and tuple(next(csv.reader(io.StringIO(text)))) == CSV_HEADER
    path = f"/models/{version}/versions/1/stages/development/decisions"
    status, body = api.call("audrey", "POST", path, {"decision": "approve", "comment": "fine"})
    assert status == 403 and "may not decide" in body["message"]


def test_an_officer_approves_through_the_api_and_the_record_names_her(local, api, version):
    path = f"/models/{version}/versions/1/stages/development/decisions"
    status, body = api.call("olivia", "POST", path, {"decision": "approve", "comment": "Validated on hold-out"})
    assert status == 202 and body["state"] == "sent"
    development = wait_until(
        lambda: (r := record(local, version).get("development")) and r["model_status"] == "approved" and r,
        what="the approval on the record",
    )
    assert development["model_audit_user"] == "olivia@example.com"
    assert development["stage_description"] == "Validated on hold-out"
    trail = api.call("victor", "GET", f"/models/{version}/versions/1/audit")[1]
    assert trail["verification"]["verified"] and any(e["actor"] == "olivia@example.com" for e in trail["entries"])
    # the test stage of a high-risk version takes two officers
    path = f"/models/{version}/versions/1/stages/test/decisions"
    assert api.call("olivia", "POST", path, {"decision": "approve", "comment": "ok in test"})[1]["state"] == "collected"
    pending = json.loads(local.govsync("pending", "--json").stdout)
    row = next(r for r in pending if r["model_group"] == version and r["stage"] == "test")
    assert (row["approvals_collected"], row["approvals_required"]) == (1, 2)
    assert api.call("oscar", "POST", path, {"decision": "approve", "comment": "ok in test"})[1]["state"] == "sent"
    test = wait_until(lambda: (r := record(local, version).get("test")) and r["model_status"] == "approved" and r,
                      what="the test approval")  # fmt: skip
    assert test["model_audit_user"] == "olivia@example.com, oscar@example.com"


def _iam_user(local, name: str) -> dict[str, str]:
    iam = local.client("iam")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def test_the_cli_decides_with_the_callers_iam_identity_under_the_same_rules(local, version):
    # the identity that registered the version (the local stack's default one) may not approve it
    refused = local.govsync("approve", version, "1", "--stage", "development", "--comment", "mine")
    assert refused.returncode == 2 and "separation of duties" in refused.stderr
    officer = _iam_user(local, f"officer-{version}")
    done = local.govsync("approve", version, "1", "--stage", "development", "--comment", "reviewed", "--json",
                         env=officer)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "sent"
    development = wait_until(
        lambda: (r := record(local, version).get("development")) and r["model_status"] == "approved" and r,
        what="the CLI's approval on the record",
    )
    assert development["model_audit_user"].endswith(f":user/officer-{version}")
    again = local.govsync("approve", version, "1", "--stage", "development", "--comment", "again", env=officer)
    assert again.returncode == 2 and "already approved" in again.stderr
    missing = local.govsync("reject", version, "7", "--stage", "development", "--comment", "x", env=officer)
    assert missing.returncode == 1 and "no governance record" in missing.stderr


def test_the_cli_records_use_cases_and_exports(local, tmp_path):
    use_case = f"uc-cli-{int(time.time() * 1000) % 10**8}"
    created = local.govsync("usecases", "create", use_case, "--name", "Credit", "--owner", "dana@example.com",
                            "--lob", "retail", "--json")  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["use_case_stage"] == "poc"
    moved = local.govsync("usecases", "advance", use_case, "--comment", "feasible", "--from", "poc")
    assert moved.returncode == 0 and "poc -> development" in moved.stdout
    replayed = local.govsync("usecases", "advance", use_case, "--comment", "feasible", "--from", "poc")
    assert replayed.returncode == 2 and "is in development, not poc" in replayed.stderr
    back = local.govsync("usecases", "reject", use_case, "--comment", "not yet")
    assert back.returncode == 0 and "development -> poc" in back.stdout
    assert local.govsync("usecases", "reject", use_case, "--comment", "x").returncode == 2
    bad = local.govsync("usecases", "create", "bad id", "--name", "n", "--owner", "o", "--lob", "l")
    assert bad.returncode == 2 and "USE_CASE_ID" in bad.stderr
    out = tmp_path / "inventory.csv"
    exported = local.govsync("export", "--format", "csv", "-o", str(out))
    assert exported.returncode == 0 and "records" in exported.stderr
    assert out.read_text().splitlines()[0] == ",".join(CSV_HEADER)
    pack = local.govsync("export", "--since", "2020-01-01")
    assert pack.returncode == 0 and json.loads(pack.stdout)["verified"] is True


def test_deciders_sign_in_with_their_authenticator_code_and_the_cli_gives_it(local, api):
    # Given the demo's approvers have MFA set up, and the viewer has not
    users = local.info["users"]
    assert {name for name, user in users.items() if user.get("totp_secret")} == {"alice", "olivia", "oscar", "adam"}
    # When the CLI is asked for olivia's code, it is what her authenticator app shows
    shown = local.govsync("local", "mfa-code", "olivia", "--json")
    assert shown.returncode == 0, shown.stderr
    code = json.loads(shown.stdout)["code"]
    assert code in {totp_code(users["olivia"]["totp_secret"], time.time() + drift) for drift in (-30, 0, 30)}
    # and a user without MFA, or no such user, is a usage error naming them
    for name, said in (("victor", "victor has no MFA set up"), ("nobody", "no demo user 'nobody'")):
        refused = local.govsync("local", "mfa-code", name)
        assert refused.returncode == 2 and said in refused.stderr, refused.stderr
    # Then the pool asks olivia for her code when she signs in, and refuses a wrong one
    cognito = local.client("cognito-idp")
    client_id = local.info["cognito"]["client_id"]
    olivia = users["olivia"]
    asked = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "olivia", "PASSWORD": olivia["password"]})  # fmt: skip
    assert asked["ChallengeName"] == "SOFTWARE_TOKEN_MFA" and "AuthenticationResult" not in asked
    near = {totp_code(olivia["totp_secret"], time.time() + drift) for drift in (-60, -30, 0, 30, 60)}
    wrong = next(code for code in (str(n).zfill(6) for n in range(7)) if code not in near)
    with pytest.raises(cognito.exceptions.CodeMismatchException):
        cognito.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=asked["Session"],
            ChallengeResponses={"USERNAME": "olivia", "SOFTWARE_TOKEN_MFA_CODE": wrong},
        )  # fmt: skip
    # and takes the code her app showed in the period before, as a code read at a period's end arrives
    asked = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "olivia", "PASSWORD": olivia["password"]})  # fmt: skip
    late = totp_code(olivia["totp_secret"], time.time() - 30)
    signed_in = cognito.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=asked["Session"],
        ChallengeResponses={"USERNAME": "olivia", "SOFTWARE_TOKEN_MFA_CODE": late},
    )  # fmt: skip
    assert "IdToken" in signed_in["AuthenticationResult"]
    # and her token, signed in with her code, is one the API takes
    assert api.call("olivia", "GET", "/me")[0] == 200
