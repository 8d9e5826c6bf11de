"""Policy gates at the deploy boundary: AWS calls and handler time per kick with the shipped policy and
with every rule on, against a floor measured in the same run: the same deploy function with an empty
policy (what every kick needs whatever the rules: the version's records, the package, the endpoint's
state, the kick). The rules read only what the deploy function has read already, so the goal is
calls = floor and time <= 1.3x. Each version is its own model group (every request kicks a new
endpoint); the three policies take turns request by request, so they see the same table and machine."""

from __future__ import annotations

import json
from typing import Any

import boto3

from benchmarks.bench_registry_sync import Context, _event, _quiet, _sqs_event
from benchmarks.harness import CallCounter, measured, median, report

REGION, ACCOUNT, TEST_ACCOUNT = "us-east-1", "111111111111", "333333333333"
PARAMETERS = {
    "StageTargets": json.dumps({"test": {"account": TEST_ACCOUNT, "instance_type": "ml.m5.large"}}),
    "DeployAccounts": TEST_ACCOUNT,
}
METADATA = {"UseCaseId": "uc", "UseCaseName": "n", "UseCaseStage": "development", "ModelOwner": "o",
            "ModelLoB": "l", "ModelProject": "p", "ModelRisk": "low"}  # fmt: skip
STATISTICS = {"binary_classification_metrics": {"auc": {"value": 0.91}, "f1": {"value": 0.8}}}
POLICIES = {
    "floor": "version: floor\nrules: []\n",
    "shipped": None,  # gates/policy.yaml
    "every rule": """version: every-rule
rules:
  - rule: separation_of_duties
  - rule: approvers
  - rule: risk_tier
  - rule: metadata_complete
  - rule: model_card
  - rule: validation_metric
    metric: auc
    at_least: 0.8
  - rule: reports
    reports: [bias, explainability]
  - rule: lineage
  - rule: no_open_alert
""",
}


def _registrant(endpoint: str) -> Any:
    """The data scientist's SageMaker client (she registers; the default identity approves)."""
    sts = boto3.client("sts", region_name=REGION, endpoint_url=endpoint)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/DataScientist", RoleSessionName="alice")
    keys = creds["Credentials"]
    signed = {"aws_access_key_id": keys["AccessKeyId"], "aws_secret_access_key": keys["SecretAccessKey"],
              "aws_session_token": keys["SessionToken"]}  # fmt: skip
    return boto3.client("sagemaker", region_name=REGION, endpoint_url=endpoint, **signed)


def _reports(endpoint: str, bucket: str) -> dict[str, Any]:
    """ModelMetrics naming a statistics report, a bias and an explainability report in the dev bucket."""
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
    metrics: dict[str, Any] = {}
    for path, name, body in ((("ModelQuality", "Statistics"), "statistics.json", STATISTICS),
                             (("Bias", "Report"), "bias.json", {"ok": True}),
                             (("Explainability", "Report"), "explainability.json", {"ok": True})):  # fmt: skip
        s3.put_object(
            Bucket=bucket, Key=f"gates/{name}", Body=json.dumps(body).encode(), ContentType="application/json"
        )
        metrics.setdefault(path[0], {})[path[1]] = {
            "ContentType": "application/json",
            "S3Uri": f"s3://{bucket}/gates/{name}",
        }
    return metrics


def _registered(endpoint: str, sync: Any, groups: list[str], dev_bucket: str) -> None:
    """One version per group, registered by the data scientist with everything every rule asks for,
    approved in development by another person, synced: its test deployment requested."""
    sm, scientist, metrics = boto3.client("sagemaker", region_name=REGION, endpoint_url=endpoint), _registrant(
        endpoint), _reports(endpoint, dev_bucket)  # fmt: skip
    for group in groups:
        sm.create_model_package_group(ModelPackageGroupName=group)
        arn = scientist.create_model_package(
            ModelPackageGroupName=group, ModelApprovalStatus="PendingManualApproval", ModelMetrics=metrics,
            InferenceSpecification={"Containers": [{"Image": "img"}], "SupportedContentTypes": ["text/csv"],
                                    "SupportedResponseMIMETypes": ["text/csv"],
                                    "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"]},
            CustomerMetadataProperties=METADATA, SourceUri=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/t",
            ModelCard={"ModelCardContent": "{}", "ModelCardStatus": "Approved"},
        )["ModelPackageArn"]  # fmt: skip
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
        sync(_sqs_event(_event(arn, group, 1)), Context())


def run(stack: Any, use_function: Any, dev_bucket: str, versions: int = 40) -> list[str]:
    from govsync import wiring
    from govsync.domain.deploy_requests import DeployRequest
    from govsync.domain.deployment import Action
    from govsync.gates.policy import parse_policy, shipped_policy
    from govsync.services.gate_checks import GateChecks

    groups = {name: [f"gates-{i}-{n}" for i in range(versions + 1)] for n, name in enumerate(POLICIES)}
    _registered(stack.endpoint, _quiet(stack.handler), [g for names in groups.values() for g in names], dev_bucket)
    deploy = _quiet(use_function("DeployFunction"))
    service = wiring.deployments()
    settings = service.settings
    checks = {name: GateChecks(parse_policy(text) if text else shipped_policy(), settings.stage_config,
                               settings.approvals, settings.approvers) for name, text in POLICIES.items()}  # fmt: skip

    def request(group: str) -> dict[str, Any]:
        body = DeployRequest(Action.PROMOTE, group, 1, "test", f"e-{group}").to_json()
        return {"Records": [{**_sqs_event(body)["Records"][0], "body": json.dumps(body)}]}

    times: dict[str, list[float]] = {name: [] for name in POLICIES}
    calls: dict[str, list[int]] = {name: [] for name in POLICIES}
    with CallCounter() as counter:
        for index in range(versions + 1):
            for name in POLICIES:
                service.gates = checks[name]
                event = request(groups[name][index])
                seconds, count = measured(counter, lambda event=event: deploy(event, Context()))
                if index:  # the first kick of each policy warms the function: not measured
                    times[name].append(seconds)
                    calls[name].append(count)
    store = wiring.governance_store()
    kicked = {name: sum(store.load_version(g, 1).records["test"].deployment.status in ("kicked", "live")
                        for g in names) for name, names in groups.items()}  # fmt: skip
    floor_time, floor_calls = median(times["floor"]), max(calls["floor"])
    lines = [f"policy gates ({versions} kicks per policy, each a new endpoint in the test account; medians; "
             "server: moto in a child process)",
             report("kicks that went ahead, every policy (of 3 x versions+1)", sum(kicked.values()),
                    f"= {3 * (versions + 1)}", sum(kicked.values()) == 3 * (versions + 1)),
             report("AWS calls per kick, floor (max)", floor_calls, "(floor)", True)]  # fmt: skip
    for name in ("shipped", "every rule"):
        most, ratio = max(calls[name]), median(times[name]) / floor_time
        lines.append(report(f"AWS calls per kick, {name} policy (max)", most, f"<= {floor_calls}", most <= floor_calls))
        lines.append(report(f"handler time per kick, {name} policy / floor (ratio)", ratio, "<= 1.3", ratio <= 1.3))
    return lines
