"""The governance API's routes against moto: REST proxy events as API Gateway sends them, the claims
its Cognito authorizer puts in `requestContext.authorizer.claims`, the registry and table of the stack."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import boto3
import pytest

from govsync import wiring
from govsync.api.routes import SIGNED_IN
from govsync.domain.export import BLOG_ATTRIBUTES, CSV_HEADER
from govsync.domain.people import PERMISSIONS
from govsync_local import people
from govsync_local import template as tpl
from govsync_local.api_gateway import Route, rest_event

from ..unit.helpers import FULL_METADATA
from .conftest import GROUP, load_handler, register, registrant_client, use_function_environment
from .test_promotion import event_for, records

# name -> (email, group)
PEOPLE = {
    "alice": ("alice@example.com", "approvers"),  # registers the versions (IdentityMap below)
    "olivia": ("olivia@example.com", "approvers"),
    "Olivia": ("Olivia@Example.com", "approvers"),  # a second Cognito user of the same person
    "oscar": ("oscar@example.com", "approvers"),
    "adam": ("adam@example.com", "admins"),
    "audrey": ("audrey@example.com", "auditors"),
    "victor": ("victor@example.com", "viewers"),
}
SPEC = tpl.function_specs(tpl.load())["GovernanceApiFunction"]
ROUTES = SPEC.routes  # behind the authorizer; SPEC.public_routes: the dashboard's files
REGISTRANT_MAP = json.dumps({"arn:aws:*::111111111111:*": "alice@example.com"})


def claims(user: str) -> dict[str, str]:
    email, group = PEOPLE[user]
    return {"cognito:username": user, "email": email, "cognito:groups": group, "token_use": "id"}


def api(stack, user: str | None, method: str, path: str, body: Any = None, headers: dict | None = None) -> tuple:
    """One request through the API function as API Gateway hands it over; (status, body, headers)."""
    if stack.current != "GovernanceApiFunction":
        use_function_environment(stack.monkeypatch, "GovernanceApiFunction", stack.ctx)
        stack.current = "GovernanceApiFunction"
    handler, context = load_handler("GovernanceApiFunction")
    bare = path.split("?")[0]
    route = next(Route.of(m, r, public) for routes, public in ((ROUTES, False), (SPEC.public_routes, True))
                 for m, r in routes if m == method and Route.of(m, r).pattern.match(bare))  # fmt: skip
    params = route.pattern.match(bare).groupdict()
    event = rest_event(route, params, method, path, dict(headers or {}),
                       json.dumps(body) if body is not None else None, claims(user) if user else {})  # fmt: skip
    answer = handler(event, context)
    sent = {**answer.get("headers", {}), **{k: ", ".join(v) for k, v in answer.get("multiValueHeaders", {}).items()}}
    text = answer["body"]
    return answer["statusCode"], (json.loads(text) if "json" in sent.get("Content-Type", "") and text else text), sent


def sync(stack, arn: str) -> None:
    assert stack.invoke(event_for(arn)) == {"batchItemFailures": []}


def decision(stack, user, version, stage, verdict="approve", comment="looks right", headers=None) -> tuple:
    body = {"decision": verdict, "comment": comment}
    return api(stack, user, "POST", f"/models/{GROUP}/versions/{version}/stages/{stage}/decisions", body, headers)


def described(stack, arn: str) -> dict:
    return stack.sagemaker.describe_model_package(ModelPackageName=arn)


@pytest.fixture
def registered(stack) -> str:
    """A high-risk version registered (by alice, through the identity map) and synced."""
    stack.configure(IdentityMap=REGISTRANT_MAP)
    arn = register(stack.sagemaker)
    sync(stack, arn)
    return arn


# ---------------------------------------------------------------------------------------- access
SAMPLE_PATHS = {
    "/records": ("/records", None),
    "/models/{group}/versions/{version}": (f"/models/{GROUP}/versions/1", None),
    "/models/{group}/versions/{version}/audit": (f"/models/{GROUP}/versions/1/audit", None),
    "/approvals/pending": ("/approvals/pending", None),
    "/models/{group}/versions/{version}/stages/{stage}/decisions": (
        f"/models/{GROUP}/versions/1/stages/development/decisions", {"decision": "reject", "comment": "not yet"}),
    "/usecases": ("/usecases", {"id": "uc-matrix", "name": "Matrix", "owner": "o@example.com", "lob": "risk"}),
    "/usecases/{use_case_id}": ("/usecases/uc-fraud", None),
    "/usecases/{use_case_id}/decisions": (
        "/usecases/uc-none/decisions",
        {"decision": "advance", "comment": "go", "from_stage": "poc"},
    ),
    "/export": ("/export?format=json", None),
    "/openapi.json": ("/openapi.json", None),
    "/me": ("/me", None),
    "/lineage": ("/lineage?commit=3f2a9c1d4e5b6a7f8091a2b3c4d5e6f708192a3b", None),
    "/models/{group}/versions/{version}/metrics": (f"/models/{GROUP}/versions/1/metrics?stage=test", None),
    "/models/{group}/versions/{version}/gates": (f"/models/{GROUP}/versions/1/gates", None),
    "/models/{group}/versions/{version}/reviews": (f"/models/{GROUP}/versions/1/reviews", {"comment": "fine"}),
    "/models/{group}/versions/{version}/stages/{stage}/retirement": (
        f"/models/{GROUP}/versions/1/stages/nosuch/retirement", {"comment": "gone"}),
}  # fmt: skip
PERMISSION_OF = {
    ("POST", "/models/{group}/versions/{version}/stages/{stage}/decisions"): "decide",
    ("POST", "/models/{group}/versions/{version}/reviews"): "decide",
    ("POST", "/models/{group}/versions/{version}/stages/{stage}/retirement"): "decide",
    ("POST", "/usecases"): "manage-use-cases",
    ("POST", "/usecases/{use_case_id}/decisions"): "manage-use-cases",
    ("GET", "/export"): "export",
    ("GET", "/me"): SIGNED_IN,
}


def test_every_route_of_the_template_is_in_the_matrix_and_in_the_openapi_document(stack):
    status, document, _ = api(stack, "victor", "GET", "/openapi.json")
    assert status == 200
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert documented | {("GET", "/openapi.json")} == set(ROUTES)
    assert {r for _, r in ROUTES} == set(SAMPLE_PATHS)
    assert document["components"]["securitySchemes"]["cognito"]["scheme"] == "bearer"


def test_route_by_role(registered, stack):
    """Every route of the template, without a token and as each group (one stack for the whole matrix)."""
    for method, resource in sorted(ROUTES):
        path, body = SAMPLE_PATHS[resource]
        permission = PERMISSION_OF.get((method, resource), "read")
        status, answer, _ = api(stack, None, method, path, body)
        assert status == 401 and "token" in answer["message"], (method, resource, answer)
        for user in ("victor", "olivia", "audrey", "adam"):
            group = PEOPLE[user][1]
            status, answer, _ = api(stack, user, method, path, body)
            if permission == SIGNED_IN or group in PERMISSIONS[permission]:
                assert status not in (401, 403), (user, method, resource, answer)
            else:
                assert status == 403, (user, method, resource, answer)
                assert f"may not {permission.replace('-', ' ')}" in answer["message"] and group in answer["message"]


def test_the_registry_is_untouched_by_a_refused_role(registered, stack):
    status, _, _ = decision(stack, "victor", 1, "development")
    assert status == 403
    assert described(stack, registered)["ModelApprovalStatus"] == "PendingManualApproval"


# ---------------------------------------------------------------------------------------- decisions
def test_an_approval_goes_through_the_registry_and_the_record_names_the_person(registered, stack):
    status, answer, _ = decision(stack, "olivia", 1, "development", comment="Validated on the hold-out set")
    assert status == 202 and answer["state"] == "sent" and answer["approvers"] == ["olivia@example.com"]
    package = described(stack, registered)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ApprovalDescription"] == "Validated on the hold-out set"
    assert records(1)["development"].model_status == "pending"  # until the registry's event arrives
    # the registry is read, not the record: a second approval on its way is refused at once
    status, answer, _ = decision(stack, "oscar", 1, "development")
    assert status == 409 and "already approved in the registry" in answer["message"]
    sync(stack, registered)
    record = records(1)["development"]
    assert record.model_status == "approved" and record.model_audit_user == "olivia@example.com"
    assert record.stage_description == "Validated on the hold-out set"
    assert [d.state for d in record.decisions] == ["applied"]
    entry = wiring.governance_store().audit_entries(GROUP, 1)[-1]
    assert entry.actor == "olivia@example.com"
    assert entry.changes["development"]["model_status"] == ["pending", "approved"]


def test_a_decision_made_with_boto3_is_attributed_to_its_iam_identity_and_judged_through_the_map(registered, stack):
    stack.sagemaker.update_model_package(ModelPackageArn=registered, ModelApprovalStatus="Approved")
    sync(stack, registered)
    record = records(1)["development"]
    assert record.model_audit_user.startswith("arn:aws:") and record.registry_decision.by == (record.model_audit_user,)
    # the identity map names alice, the registrant, behind every identity of this account: it counts for nothing
    assert not record.registry_decision.authorized and "separation of duties" in record.registry_decision.reason
    assert (record.registry_status, record.model_status) == ("approved", "pending")


def test_the_registrant_may_not_approve_and_the_refusal_is_audited(registered, stack):
    status, answer, _ = decision(stack, "alice", 1, "development")
    assert status == 403
    assert (
        "separation of duties" in answer["message"] and "alice@example.com registered this version" in answer["message"]
    )
    assert described(stack, registered)["ModelApprovalStatus"] == "PendingManualApproval"
    entry = wiring.governance_store().audit_entries(GROUP, 1)[-1]
    assert entry.action == "decision-refused" and entry.actor == "alice@example.com"
    assert entry.changes["development"]["refused_decision"][1]["reason"] == answer["message"]
    # her rejection is not an approval: separation of duties does not stop it
    assert decision(stack, "alice", 1, "development", "reject", "found a leak")[0] == 202


def _approve_development(stack, arn: str) -> None:
    assert decision(stack, "olivia", 1, "development")[0] == 202
    sync(stack, arn)
    stack.run_deployments()


def test_a_high_risk_test_approval_takes_two_distinct_approvers(registered, stack):
    _approve_development(stack, registered)
    status, answer, _ = decision(stack, "olivia", 1, "test", comment="latency within bounds")
    assert status == 202 and answer["state"] == "collected" and answer["approvals_required"] == 2
    assert "ModelLifeCycle" not in described(stack, registered)
    _, waiting, _ = api(stack, "victor", "GET", "/approvals/pending")
    row = next(r for r in waiting["pending"] if r["stage"] == "test")
    assert (row["approvals_collected"], row["approvals_required"], row["model_risk"]) == (1, 2, "high")
    assert row["approvals"][0]["by"] == "olivia@example.com" and row["waited_seconds"] >= 0
    status, answer, _ = decision(stack, "olivia", 1, "test", comment="again")
    assert status == 409 and "already approved test" in answer["message"]
    status, answer, _ = decision(stack, "oscar", 1, "test", comment="second review")
    assert status == 202 and answer["state"] == "sent"
    assert answer["approvers"] == ["olivia@example.com", "oscar@example.com"]
    lifecycle = described(stack, registered)["ModelLifeCycle"]
    assert (lifecycle["Stage"], lifecycle["StageStatus"], lifecycle["StageDescription"]) == (
        "test", "Approved", "second review")  # fmt: skip
    sync(stack, registered)
    record = records(1)["test"]
    assert record.model_status == "approved"
    assert record.model_audit_user == "olivia@example.com, oscar@example.com"
    assert {d.state for d in record.decisions} == {"applied"}
    assert not [r for r in api(stack, "victor", "GET", "/approvals/pending")[1]["pending"] if r["stage"] == "test"]


def test_risk_tiers_match_whatever_their_case_and_rules_are_configurable(stack):
    stack.configure(ApprovalRules=json.dumps({"HIGH": {"development": 2}}))
    arn = register(stack.sagemaker, metadata={"ModelRisk": "High"})
    sync(stack, arn)
    assert decision(stack, "olivia", 1, "development")[1]["state"] == "collected"
    assert decision(stack, "oscar", 1, "development")[1]["state"] == "sent"


def test_one_rejection_rejects_whatever_was_collected(registered, stack):
    _approve_development(stack, registered)
    assert decision(stack, "olivia", 1, "test")[1]["state"] == "collected"
    status, answer, _ = decision(stack, "oscar", 1, "test", "reject", "drift on the shadow traffic")
    assert status == 202 and answer["state"] == "sent"
    assert described(stack, registered)["ModelLifeCycle"]["StageStatus"] == "Rejected"
    sync(stack, registered)
    record = records(1)["test"]
    assert record.model_status == "rejected" and record.model_audit_user == "oscar@example.com"
    assert {d.by: d.state for d in record.decisions} == {
        "olivia@example.com": "superseded", "oscar@example.com": "applied"}  # fmt: skip


def test_a_stale_decision_is_refused_with_409_and_sends_nothing(registered, stack):
    before = records(1)["development"].registry_last_modified
    # someone changes the package after the officer read the record
    stack.sagemaker.update_model_package(ModelPackageArn=registered, CustomerMetadataProperties={"Note": "x"})
    status, answer, _ = decision(stack, "olivia", 1, "development", headers={"If-Match": before})
    assert status == 409 and "changed since" in answer["message"]
    assert described(stack, registered)["ModelApprovalStatus"] == "PendingManualApproval"
    current = described(stack, registered)["LastModifiedTime"].isoformat()
    assert decision(stack, "olivia", 1, "development", headers={"If-Match": current})[0] == 202


DEV = f"/models/{GROUP}/versions/1/stages/development/decisions"
OK = {"decision": "approve", "comment": "x"}


BAD_REQUESTS = [
    (DEV, {"decision": "approve"}, 400, "comment: Field required"),
    (DEV, {**OK, "comment": "  "}, 400, "comment"),
    (DEV, {**OK, "decision": "maybe"}, 400, "decision: Input should be 'approve' or 'reject'"),
    (DEV, {**OK, "by": "me"}, 400, "by: Extra inputs"),
    (DEV.replace("/1/", "/0/"), OK, 400, "version: Input should be greater than or equal to 1"),
    (DEV.replace("development", "staging-x"), OK, 404, "no stage 'staging-x'"),
    (DEV.replace("/1/", "/9/"), OK, 404, "no governance record"),
    (DEV.replace("development", "production"), OK, 409, "test is not recorded"),
    ("/usecases", {"id": "has space", "name": "n", "owner": "o", "lob": "l"}, 400, "id: String should match"),
    (
        "/usecases/uc-none/decisions",
        {"decision": "advance", "comment": "go", "from_stage": "poc"},
        404,
        "no use case 'uc-none'",
    ),
    ("/usecases/uc-none/decisions", {"decision": "advance", "comment": "go"}, 400, "from_stage: Field required"),
    (
        "/usecases/uc-none/decisions",
        {"decision": "advance", "comment": "go", "from_stage": "pilot"},
        400,
        "from_stage: not a use-case stage",
    ),
]


def test_bad_requests_name_what_is_wrong(registered, stack):
    """Each bad request (one stack for them all): its status, the words naming what is wrong, nothing sent."""
    for path, body, status, words in BAD_REQUESTS:
        got, answer, _ = api(stack, "adam", "POST", path, body)
        assert got == status and words in answer["message"], (path, body, answer)
    assert described(stack, registered)["ModelApprovalStatus"] == "PendingManualApproval"


def test_if_match_must_be_a_timestamp(registered, stack):
    status, answer, _ = decision(stack, "olivia", 1, "development", headers={"If-Match": "yesterday"})
    assert status == 400 and "If-Match" in answer["message"]


def test_a_repeated_decision_is_409(registered, stack):
    assert decision(stack, "olivia", 1, "development")[0] == 202
    sync(stack, registered)
    status, answer, _ = decision(stack, "oscar", 1, "development")
    assert status == 409 and "already approved" in answer["message"]


# ---------------------------------------------------------------------------------------- reads
def test_records_filter_and_page_through_the_indexes(registered, stack):
    sync(stack, register(stack.sagemaker, metadata={"ModelRisk": "Low", "UseCaseId": "uc-other"}))
    status, answer, _ = api(stack, "victor", "GET", "/records?risk=HIGH")
    assert status == 200 and [r["model_version"] for r in answer["records"]] == [1]
    status, first, _ = api(stack, "victor", "GET", "/records?stage=development&limit=1")
    assert [r["model_version"] for r in first["records"]] == [1] and first["next"]
    status, second, _ = api(stack, "victor", "GET", f"/records?stage=development&limit=1&next={first['next']}")
    assert [r["model_version"] for r in second["records"]] == [2] and second["next"] is None
    assert api(stack, "victor", "GET", "/records?use_case=uc-other")[1]["records"][0]["model_version"] == 2
    assert api(stack, "victor", "GET", "/records?status=approved")[1]["records"] == []
    assert api(stack, "victor", "GET", "/records?next=garbage")[0] == 400
    status, answer, _ = api(stack, "victor", "GET", "/records?status=done&account=12")
    assert status == 400 and "status" in answer["message"] and "account" in answer["message"]
    assert "scan" not in {op.lower() for op in stack.aws_calls("dynamodb")}


def test_a_version_and_its_audit_trail_with_the_chain_verified(registered, stack):
    status, version, _ = api(stack, "victor", "GET", f"/models/{GROUP}/versions/1")
    assert status == 200 and set(version["stages"]) == {"development"}
    status, trail, _ = api(stack, "victor", "GET", f"/models/{GROUP}/versions/1/audit")
    assert status == 200 and trail["verification"]["verified"] is True
    assert trail["head"] == {"seq": len(trail["entries"]), "hash": trail["entries"][-1]["hash"]}
    assert api(stack, "victor", "GET", f"/models/{GROUP}/versions/7/audit")[0] == 404


# ---------------------------------------------------------------------------------------- use cases
def test_a_use_case_is_recorded_in_poc_advanced_and_rejected_back(stack):
    new = {"id": "uc-credit", "name": "Credit risk", "owner": "dana@example.com", "lob": "retail",
           "description": "Score loan applications"}  # fmt: skip
    status, created, _ = api(stack, "olivia", "POST", "/usecases", new)
    assert (
        status == 201 and created["use_case_stage"] == "poc" and created["history"][0]["actor"] == "olivia@example.com"
    )
    assert api(stack, "olivia", "POST", "/usecases", new)[0] == 409
    path = "/usecases/uc-credit/decisions"
    feasible = {"decision": "advance", "comment": "feasible", "from_stage": "poc"}
    assert api(stack, "oscar", "POST", path, feasible)[1]["use_case_stage"] == "development"
    # the same decision sent again (a replay, a double click) finds the use case moved: 409, nothing moves
    status, replayed, _ = api(stack, "oscar", "POST", path, feasible)
    assert status == 409 and replayed["message"] == (
        "use case uc-credit is in development, not poc: it moved since you looked"
    )
    built = {"decision": "advance", "comment": "built", "from_stage": "development"}
    assert api(stack, "oscar", "POST", path, built)[1]["use_case_stage"] == "qa"
    missing = {"decision": "reject", "comment": "missing documentation", "from_stage": "qa"}
    status, back, _ = api(stack, "olivia", "POST", path, missing)
    assert status == 200 and back["use_case_stage"] == "development"
    assert (
        back["history"][-1]["comment"] == "missing documentation"
        and back["history"][-1]["actor"] == "olivia@example.com"
    )
    status, shown, _ = api(stack, "victor", "GET", "/usecases/uc-credit")
    assert status == 200 and shown["use_case_stage"] == "development" and len(shown["history"]) == 4
    assert api(stack, "victor", "GET", "/usecases")[1]["usecases"][0]["use_case_id"] == "uc-credit"
    api(stack, "olivia", "POST", path, {"decision": "reject", "comment": "back", "from_stage": "development"})
    status, answer, _ = api(
        stack, "olivia", "POST", path, {"decision": "reject", "comment": "again", "from_stage": "poc"}
    )
    assert status == 409 and "the first stage" in answer["message"]


# ---------------------------------------------------------------------------------------- export
def test_the_csv_export_is_the_blogs_15_attributes_then_ours(registered, stack):
    status, text, headers = api(stack, "audrey", "GET", "/export?format=csv")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0][:15]) == BLOG_ATTRIBUTES == (
        "use_case_id", "use_case_name", "use_case_stage", "model_group", "model_version", "model_owner", "model_lob",
        "model_project", "model_stage", "model_status", "model_risk", "model_validation_metrics",
        "model_monitoring_metrics", "model_audit_timestamp", "model_audit_user")  # fmt: skip
    assert tuple(rows[0]) == CSV_HEADER and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["model_group"], row["model_version"], row["model_stage"], row["model_risk"]) == (
        GROUP,
        "1",
        "development",
        "high",
    )


def test_the_json_pack_holds_records_entries_of_the_window_and_chain_proofs(registered, stack):
    assert decision(stack, "olivia", 1, "development")[0] == 202
    sync(stack, registered)
    status, pack, _ = api(stack, "audrey", "GET", "/export?format=json")
    assert status == 200 and pack["verified"] and pack["generated_by"] == "audrey@example.com"
    assert set(BLOG_ATTRIBUTES) <= set(pack["records"][0])
    assert len(pack["audit_entries"]) == pack["chains"][0]["head_seq"] == 3
    assert pack["chains"][0]["head_hash"] == pack["audit_entries"][-1]["hash"]
    assert api(stack, "audrey", "GET", "/export?format=json&from=2999-01-01")[1]["audit_entries"] == []
    status, answer, _ = api(stack, "audrey", "GET", "/export?format=json&from=2026-02-01&to=2026-01-01")
    assert status == 400 and "must be before" in answer["message"]
    assert api(stack, "audrey", "GET", "/export?format=json&from=soon")[0] == 400
    assert api(stack, "audrey", "GET", "/export?format=xml")[0] == 400


def test_the_registrants_own_registry_approval_deploys_nothing_until_an_approver_decides(stack):
    # Given a version the data scientist registered (no identity map: she is her role's session)
    arn = register(stack.sagemaker, metadata={**FULL_METADATA, "ModelRisk": "Medium"})
    sync(stack, arn)
    # When she approves it in the registry herself, with her own keys
    registrant_client(stack).update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    sync(stack, arn)
    stack.run_deployments()
    # Then nothing is promoted or deployed, and the record says why
    development = records(1)["development"]
    assert "test" not in records(1)
    assert not development.registry_decision.authorized and development.registry_decision.door == "registry"
    assert "separation of duties" in development.registry_decision.reason
    # and the stage still waits for a decision: in the approval queue, its governance decision pending
    assert development.model_status == "pending" and development.registry_status == "approved"
    waiting = api(stack, "olivia", "GET", "/approvals/pending")[1]["pending"]
    assert [(r["model_version"], r["stage"]) for r in waiting] == [(1, "development")]
    # and the gates route tells a viewer the same, changing nothing
    status, body, _ = api(stack, "victor", "GET", f"/models/{GROUP}/versions/1/gates")
    assert status == 200 and body["stage"] == "test" and body["blocked"]
    assert [r["outcome"] for r in body["results"]][:3] == ["pass", "fail", "fail"]
    assert body["recorded"] is None and "approvers: the approval of development counts for nothing" in body["reasons"]
    assert api(stack, "victor", "GET", f"/models/{GROUP}/versions/1/gates?stage=qa")[0] == 400
    assert api(stack, "victor", "GET", f"/models/{GROUP}/versions/9/gates")[0] == 404
    # When an approver approves it through govsync, her approval counts: it deploys, once
    status, body, _ = decision(stack, "olivia", 1, "development")
    assert (status, body["state"]) == (202, "sent")
    sync(stack, arn)
    stack.run_deployments()
    assert records(1)["test"].deployment_status == "deployed" and records(1)["test"].gates.passed
    assert records(1)["development"].registry_decision.by == ("olivia@example.com",)
    assert records(1)["development"].model_status == "approved"
    assert api(stack, "victor", "GET", f"/models/{GROUP}/versions/1/gates?stage=test")[1]["blocked"] is False


def test_two_cognito_users_of_one_person_count_once_and_a_homoglyph_risk_holds_the_version(stack):
    # Given a high-risk version, approved in development, its test stage waiting for two approvers
    stack.configure(IdentityMap=REGISTRANT_MAP)
    arn = register(stack.sagemaker)
    sync(stack, arn)
    _approve_development(stack, arn)
    # When olivia approves test, then her second user (another case, the same email) does
    assert decision(stack, "olivia", 1, "test")[1]["state"] == "collected"
    status, answer, _ = decision(stack, "Olivia", 1, "test")
    # Then the second counts for nothing: one person, one vote
    assert status == 409 and "already approved test: it takes 2 distinct approvers (1 so far)" in answer["message"]
    assert "ModelLifeCycle" not in described(stack, arn)
    # Given a version whose ModelRisk is "High" spelled with a Greek capital Eta
    homoglyph = register(stack.sagemaker, metadata={**FULL_METADATA, "ModelRisk": "\u0397igh"})
    sync(stack, homoglyph)
    # Then it cannot be approved through the API, and the gates name the value, escaped
    status, answer, _ = decision(stack, "olivia", 2, "development")
    assert status == 409 and "'\u0397igh' is not one of high, medium, low" in answer["message"]
    report = api(stack, "victor", "GET", f"/models/{GROUP}/versions/2/gates")[1]
    risk = next(r for r in report["results"] if r["rule"] == "risk_tier")
    assert risk["outcome"] == "fail" and risk["value"] == "'\\u0397igh'"


def test_bad_input_is_a_4xx_in_one_shape_and_changes_nothing(registered, stack):
    decide = f"/models/{GROUP}/versions/1/stages/development/decisions"
    entries = len(wiring.governance_store().audit_entries(GROUP, 1))
    # a JSON array is not a body, even when its first element is one
    status, answer, _ = api(stack, "olivia", "POST", decide, [{"decision": "reject", "comment": "x"}, "ignored"])
    assert status == 400 and answer["message"] == "body: want a JSON object, not a JSON list"
    # a body that is not JSON: 415 in the same {"message"} shape
    status, answer, _ = api(stack, "olivia", "POST", decide, {"decision": "reject", "comment": "x"},
                            {"Content-Type": "text/plain"})  # fmt: skip
    assert status == 415 and answer == {"message": "Content-Type: send application/json, not text/plain"}
    # versions are digits, at most ten of them; a version with no record is 404 on every route
    for version in ("%201", "+1", "1234567890123456789012345", "0"):
        status, answer, _ = api(stack, "victor", "GET", f"/models/{GROUP}/versions/{version}")
        assert status == 400 and answer["message"].startswith("invalid request: version"), (version, answer)
    for route in ("", "/audit", "/metrics?stage=test", "/gates"):
        assert api(stack, "victor", "GET", f"/models/{GROUP}/versions/7{route}")[0] == 404, route
    # a cursor this API did not write is 400, whatever it holds
    for cursor in ("eyJ4IjoxfQ", "WyJnIiwgMWU5OTksIDBd", "!!", "W10"):
        status, answer, _ = api(stack, "victor", "GET", f"/records?next={cursor}")
        assert (status, answer["message"]) == (400, "next: not a cursor this API returned"), cursor
    # nothing was written by any of them; every answer is neither sniffed nor cached
    assert len(wiring.governance_store().audit_entries(GROUP, 1)) == entries
    assert described(stack, registered)["ModelApprovalStatus"] == "PendingManualApproval"
    _, _, headers = api(stack, "victor", "GET", f"/models/{GROUP}/versions/1")
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-store"


# ---------------------------------------------------------------------------------------- MFA
def test_with_decider_mfa_required_only_a_decider_with_mfa_set_up_decides(stack, registered):
    # Given the stack requires MFA of deciders, olivia has an authenticator app set up and oscar has not
    stack.configure(DeciderMfa="required")
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool, client_id = stack.ctx.refs["UserPool"], stack.ctx.refs["UserPoolClient"]
    flows = ["ALLOW_USER_PASSWORD_AUTH"]
    app_client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="dashboard", ExplicitAuthFlows=flows)
    app_client = app_client["UserPoolClient"]
    for name in ("olivia", "oscar"):
        cognito.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=pool, Username=name, Password="Passw0rd!Passw0rd", Permanent=True)
    secret = people.set_up_mfa(cognito, app_client["ClientId"], "olivia", "Passw0rd!Passw0rd")
    assert secret and client_id
    # /me tells the dashboard who has it (deciders only are looked up)
    mfa = {name: api(stack, name, "GET", "/me")[1]["mfa"] for name in ("olivia", "oscar", "victor")}
    assert mfa == {"olivia": {"required": True, "set_up": True}, "oscar": {"required": True, "set_up": False},
                   "victor": {"required": True, "set_up": None}}  # fmt: skip
    # When oscar decides, he is refused and told what to do; nothing is stored
    status, body, _ = decision(stack, "oscar", 1, "development")
    assert status == 403 and "MFA" in body["message"] and "authenticator app" in body["message"], body
    assert api(stack, "oscar", "POST", "/usecases", {"id": "uc-mfa", "name": "M", "owner": "o", "lob": "l"})[0] == 403
    # Then olivia decides
    status, body, _ = decision(stack, "olivia", 1, "development")
    assert status == 202, body
    # and with DeciderMfa=optional oscar decides too
    stack.configure(DeciderMfa="optional")
    wiring.reset()
    assert api(stack, "oscar", "GET", "/me")[1]["mfa"] == {"required": False, "set_up": None}
    assert decision(stack, "oscar", 1, "test", verdict="reject", comment="not yet")[0] in (202, 409), "not refused"
