"""Stage promotion against moto: registry sync -> deploy requests -> deploy function -> endpoints in the
stage accounts -> endpoint state changes -> deployment status function, with the template's queues
and environments."""

import json
import uuid

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError

from govsync import wiring
from govsync.adapters.sqs import REASON_ATTRIBUTE
from govsync.domain.audit import verify_chain
from govsync.domain.naming import endpoint_name, version_resource_name

from ..unit.helpers import FULL_METADATA
from .conftest import CENTRAL_BUCKET, DEV_BUCKET, GROUP, MODEL_KEY, PROD_ACCOUNT, TEST_ACCOUNT, load_event, register


def event_for(arn: str, detail_type: str = "SageMaker Model Package State Change") -> dict:
    """The registry event of events/, aimed at `arn`, with its own id."""
    event = load_event("model-package-created")
    event["id"] = str(uuid.uuid4())
    event["detail"]["ModelPackageArn"] = arn
    event["detail"]["ModelPackageVersion"] = int(arn.rsplit("/", 1)[1])
    event["detail"]["ModelPackageGroupName"] = arn.rsplit("/", 2)[1]
    event["detail-type"] = detail_type
    return event


def records(version: int) -> dict:
    return wiring.governance_store().load_version(GROUP, version).records


def sagemaker_in(account: str):
    sts = boto3.client("sts", region_name="us-east-1")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/inspect", RoleSessionName="inspect")["Credentials"]
    return boto3.client(
        "sagemaker",
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def sync(stack, arn: str) -> None:
    assert stack.invoke(event_for(arn)) == {"batchItemFailures": []}


def approve(stack, arn: str) -> None:
    stack.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    sync(stack, arn)


def lifecycle(stack, arn: str, stage: str, status: str) -> None:
    stack.sagemaker.update_model_package(
        ModelPackageArn=arn, ModelLifeCycle={"Stage": stage, "StageStatus": status, "StageDescription": "by test"}
    )
    sync(stack, arn)


def promote_to_production(stack, **extra) -> str:
    """A medium-risk version (`extra`: more of create_model_package) approved in development and test:
    one approver each (a high-risk one's test approval takes two)."""
    arn = register(stack.sagemaker, metadata={**FULL_METADATA, "ModelRisk": "Medium"}, **extra)
    sync(stack, arn)
    approve(stack, arn)
    stack.run_deployments()
    lifecycle(stack, arn, "Staging", "Approved")
    stack.run_deployments()
    return arn


def test_approval_deploys_into_the_test_account_and_the_endpoint_event_marks_it_deployed(stack):
    # Given a registered, synced version
    arn = register(stack.sagemaker)
    sync(stack, arn)
    assert "test" not in records(1)
    # When the development stage is approved
    approve(stack, arn)
    # Then the test record is pending with a deploy request on the queue
    test = records(1)["test"]
    assert (test.model_status, test.deployment.status, test.deployment.account) == (
        "pending",
        "requested",
        TEST_ACCOUNT,
    )
    # When the deploy and status functions run
    stack.run_deployments()
    # Then model, endpoint config and endpoint exist in the test account, tagged, named deterministically
    sm = sagemaker_in(TEST_ACCOUNT)
    name, config = endpoint_name(GROUP, "test"), version_resource_name(GROUP, 1, "test")
    model = sm.describe_model(ModelName=config)
    assert model["PrimaryContainer"]["ModelPackageName"] == arn
    assert model["ExecutionRoleArn"] == f"arn:aws:iam::{TEST_ACCOUNT}:role/govsync-deploy-execution"
    described_config = sm.describe_endpoint_config(EndpointConfigName=config)
    variant = described_config["ProductionVariants"][0]
    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.m5.large", 1)
    # hardened by default: the stage's key on the config, network isolation, tags naming the group too
    assert described_config["KmsKeyId"] == "alias/govsync-endpoints" and model["EnableNetworkIsolation"] is True
    # a fifth of the requests and responses captured into the central bucket, under the central key
    capture = described_config["DataCaptureConfig"]
    assert capture["DestinationS3Uri"] == f"s3://{CENTRAL_BUCKET}/data-capture/{GROUP}/test"
    assert (capture["InitialSamplingPercentage"], capture["KmsKeyId"]) == (20, stack.key_arn)
    endpoint = sm.describe_endpoint(EndpointName=name)
    assert endpoint["EndpointConfigName"] == config
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]}
    assert tags["govsync:model-package-arn"] == arn and tags["govsync:stage"] == "test"
    assert (tags["govsync:model-group"], tags["govsync:model-version"]) == (GROUP, "1")
    # And the record is deployed, with the deployment it came from
    test = records(1)["test"]
    assert (test.model_status, test.deployment_status) == ("pending", "deployed")  # two facts
    assert test.deployment.status == "live" and test.deployment.endpoint_name == name
    assert test.deployment.endpoint_arn == endpoint["EndpointArn"]
    # And nothing was deployed in the central account; the audit chain verifies
    assert boto3.client("sagemaker", region_name="us-east-1").list_endpoints()["Endpoints"] == []
    store = wiring.governance_store()
    head = store.load_version(GROUP, 1).head
    entries = store.audit_entries(GROUP, 1)
    assert verify_chain(entries, int(head.audit_seq), head.audit_head).ok
    assert [e.action for e in entries][-2:] in (
        ["deploy-kicked", "endpoint-in_service"],
        ["endpoint-in_service", "deploy-kicked"],
    )


def test_lifecycle_approval_of_test_deploys_to_production(stack):
    promote_to_production(stack)
    prod = records(1)["production"]
    assert (prod.model_status, prod.deployment_status, prod.deployment.account) == (
        "pending",
        "deployed",
        PROD_ACCOUNT,
    )
    # validated in test, and still live there: the decision does not overwrite the deployment
    assert (records(1)["test"].model_status, records(1)["test"].deployment_status) == ("approved", "deployed")
    variant = sagemaker_in(PROD_ACCOUNT).describe_endpoint(EndpointName=endpoint_name(GROUP, "production"))[
        "ProductionVariants"
    ][0]
    assert variant["CurrentInstanceCount"] == 2
    assert prod.deployment.requested_by_event


def test_retried_kick_creates_nothing_twice(stack):
    # Given an approved version whose deploy request is delivered twice (and once more after it ran)
    arn = register(stack.sagemaker)
    sync(stack, arn)
    approve(stack, arn)
    request = stack.drain("DeployRequestsQueue")
    assert len(request) == 1
    creates = []
    original = botocore.client.BaseClient._make_api_call

    def spy(client, operation, params):
        if operation.startswith("Create") and client.meta.service_model.service_name == "sagemaker":
            creates.append(operation)
        return original(client, operation, params)

    stack.monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    # When the deploy function runs the same request twice in a batch, then again
    stack.invoke_function("DeployFunction", request[0], request[0])
    stack.invoke_function("DeployFunction", request[0])
    # Then one model, one config, one endpoint; and the same registry event again asks nothing new
    assert creates == ["CreateModel", "CreateEndpointConfig", "CreateEndpoint"]
    assert len(sagemaker_in(TEST_ACCOUNT).list_endpoints()["Endpoints"]) == 1
    stack.invoke(event_for(arn))
    assert records(1)["test"].deployment.status in ("kicked", "live")


def test_retried_kick_after_a_half_done_attempt_finishes_it(stack):
    # Given an earlier attempt that created the model and config, then failed before the endpoint
    arn = register(stack.sagemaker)
    sync(stack, arn)
    approve(stack, arn)
    sm = sagemaker_in(TEST_ACCOUNT)
    config = version_resource_name(GROUP, 1, "test")
    sm.create_model(ModelName=config, ExecutionRoleArn="arn:aws:iam::333333333333:role/x",
                    PrimaryContainer={"ModelPackageName": arn})  # fmt: skip
    # When the request is processed
    stack.run_deployments()
    # Then the existing model is used and the endpoint is created
    assert records(1)["test"].deployment_status == "deployed"
    assert len(sm.list_models()["Models"]) == 1


def test_a_version_not_approved_is_never_deployed(stack):
    # Given a deploy request for a version the registry has not approved (forged, or approval withdrawn)
    arn = register(stack.sagemaker)
    sync(stack, arn)
    approve(stack, arn)
    stack.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="PendingManualApproval")
    # When the deploy function takes it
    stack.run_deployments()
    # Then nothing is deployed and the record says why
    assert sagemaker_in(TEST_ACCOUNT).list_endpoints()["Endpoints"] == []
    test = records(1)["test"]
    assert test.deployment.status == "refused"
    assert "not approved in development" in test.deployment.error
    assert (test.model_status, test.deployment_status) == ("pending", "blocked")


def test_registration_alone_deploys_nothing(stack):
    arn = register(stack.sagemaker)
    sync(stack, arn)
    assert stack.drain("DeployRequestsQueue") == []
    assert set(records(1)) == {"development"}


def test_endpoint_failed_marks_deploy_failed_with_the_reason(stack):
    # Given a version whose model data is gone by the time SageMaker downloads it
    arn = register(stack.sagemaker)
    sync(stack, arn)
    stack.s3.delete_object(Bucket="dev-models-111111111111", Key=MODEL_KEY)
    approve(stack, arn)
    # When it is deployed
    stack.run_deployments()
    # Then the endpoint FAILED and the record is deploy_failed with SageMaker's reason
    test = records(1)["test"]
    assert (test.model_status, test.deployment_status) == ("pending", "deploy_failed")
    assert test.deployment.status == "failed"
    assert "Failed to download model data" in test.deployment.error


def test_rejection_in_production_rolls_back_to_the_previous_version(stack):
    # Given version 1 then version 2 promoted to production (2 replaced 1 on the endpoint)
    first = promote_to_production(stack)
    second = promote_to_production(stack)
    # v1's deployment is superseded; its approval stands (it stays a rollback target)
    assert (records(1)["production"].model_status, records(1)["production"].deployment_status) == (
        "pending",
        "superseded",
    )
    assert records(1)["production"].deployment.superseded_by == 2
    sm = sagemaker_in(PROD_ACCOUNT)
    name = endpoint_name(GROUP, "production")
    assert sm.describe_endpoint(EndpointName=name)["EndpointConfigName"] == version_resource_name(
        GROUP, 2, "production"
    )
    # When version 2 is rejected in production
    lifecycle(stack, second, "Production", "Rejected")
    stack.run_deployments()
    # Then the endpoint runs version 1 again, and both records and audit trails say so
    assert sm.describe_endpoint(EndpointName=name)["EndpointConfigName"] == version_resource_name(
        GROUP, 1, "production"
    )
    v2, v1 = records(2)["production"], records(1)["production"]
    assert v2.model_status == "rejected"
    assert v2.deployment.status == "rolled_back" and v2.deployment.rollback.to_version == 1
    assert v1.deployment_status == "deployed" and v1.deployment.status == "live"
    assert v1.deployment.action == "rollback" and v1.deployment.rolled_back_from == 2
    assert "rolled-back" in [e.action for e in wiring.governance_store().audit_entries(GROUP, 2)]
    assert "rollback-requested" in [e.action for e in wiring.governance_store().audit_entries(GROUP, 1)]
    assert first != second


def test_rejection_with_no_earlier_version_says_so(stack):
    arn = promote_to_production(stack)
    lifecycle(stack, arn, "Production", "Rejected")
    stack.run_deployments()
    rollback = records(1)["production"].deployment.rollback
    assert rollback.status == "none" and "no earlier version" in rollback.reason


def test_use_case_advances_when_all_its_models_are_approved(stack):
    # Given two model groups in one use case (starting in development)
    stack.sagemaker.create_model_package_group(ModelPackageGroupName="fraud-explainer")
    first = register(stack.sagemaker)
    second = register(stack.sagemaker, group="fraud-explainer")
    sync(stack, first)
    sync(stack, second)
    # When only one is approved in development, the use case stays
    approve(stack, first)
    use_case = wiring.governance_store().load_use_case("uc-fraud")
    assert use_case.stage == "development" and use_case.history == ()
    # When the other is approved too, it advances to qa, audited
    approve(stack, second)
    use_case = wiring.governance_store().load_use_case("uc-fraud")
    assert use_case.stage == "qa"
    assert use_case.history[-1]["from"] == "development" and use_case.history[-1]["to"] == "qa"
    assert use_case.history[-1]["models"] == [GROUP, "fraud-explainer"]


def test_endpoint_event_from_the_wrong_account_is_dead_lettered(stack):
    # Given a version deployed to test
    arn = register(stack.sagemaker)
    sync(stack, arn)
    approve(stack, arn)
    stack.run_deployments()
    # When an endpoint event tagged for the test stage arrives from the production account
    endpoint = sagemaker_in(TEST_ACCOUNT).describe_endpoint(EndpointName=endpoint_name(GROUP, "test"))
    endpoint["Tags"] = {"govsync:model-package-arn": arn, "govsync:stage": "test"}
    from .conftest import endpoint_event

    forged = endpoint_event(endpoint, "FAILED", PROD_ACCOUNT)
    result = stack.invoke_function("DeploymentStatusFunction", forged)
    # Then it is acknowledged into the dead-letter queue with the reason, and the record is unchanged
    assert result == {"batchItemFailures": []}
    messages = stack.sqs.receive_message(QueueUrl=stack.queues["EndpointEventsDLQ"], MessageAttributeNames=["All"])[
        "Messages"
    ]
    reason = messages[0]["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]
    assert f"from account {PROD_ACCOUNT}, but stage test deploys to {TEST_ACCOUNT}" in reason
    assert records(1)["test"].deployment_status == "deployed"


def test_deploy_role_assumption_denied_is_a_clear_failure(stack):
    # Given the test account's deploy role does not trust us
    arn = register(stack.sagemaker)
    sync(stack, arn)
    approve(stack, arn)
    original = botocore.client.BaseClient._make_api_call

    def deny(client, operation, params):
        if operation == "AssumeRole" and params["RoleArn"].endswith(":role/govsync-deploy"):
            raise ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "not authorized to perform: sts:AssumeRole"}},
                "AssumeRole",
            )
        return original(client, operation, params)

    stack.monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", deny)
    # When the deploy function runs
    stack.run_deployments()
    # Then the record is deploy_failed naming the role, and the request waits in the dead-letter queue
    test = records(1)["test"]
    assert test.deployment_status == "deploy_failed"
    assert "AssumeRole arn:aws:iam::333333333333:role/govsync-deploy: AccessDenied" in test.deployment.error
    dead = stack.sqs.receive_message(QueueUrl=stack.queues["DeployRequestsDLQ"], MessageAttributeNames=["All"])
    assert json.loads(dead["Messages"][0]["Body"])["stage"] == "test"


def test_malformed_deploy_request_is_dead_lettered(stack):
    result = stack.invoke_function("DeployFunction", {"action": "promote", "model_group": "../x", "model_version": 0})
    assert result == {"batchItemFailures": []}
    dead = stack.sqs.receive_message(QueueUrl=stack.queues["DeployRequestsDLQ"], MessageAttributeNames=["All"])
    assert "malformed deploy request" in dead["Messages"][0]["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]


@pytest.mark.parametrize("strategy", ["codepipeline", "event"])
def test_other_strategies_kick_their_pipeline_or_event(stack, strategy):
    # Given the test stage deploys through a pipeline in its account, or an event on the central bus
    targets = {"test": {"account": TEST_ACCOUNT, "strategy": strategy}}
    if strategy == "codepipeline":
        targets["test"]["pipeline_name"] = "model-deploy"
        _create_pipeline(TEST_ACCOUNT, "model-deploy")
    else:
        capture_central_events(stack)
    stack.monkeypatch.setenv("GOVSYNC_STAGE_TARGETS", json.dumps(targets))
    stack.ctx.parameters["StageTargets"] = json.dumps(targets)
    stack.current = ""
    arn = register(stack.sagemaker)
    sync(stack, arn)
    approve(stack, arn)
    # When the deploy function runs
    request = stack.drain("DeployRequestsQueue")
    stack.invoke_function("DeployFunction", request[0])
    test = records(1)["test"]
    assert (test.deployment_status, test.deployment.status, test.deployment.strategy) == (
        "deploying",
        "kicked",
        strategy,
    )
    if strategy == "codepipeline":
        # Then one execution was started with the package, stage and account as variables
        assert (
            test.deployment.details["pipeline_name"] == "model-deploy"
            and test.deployment.details["pipeline_execution_id"]
        )
    else:
        # Then a "Model Deployment Requested" event names the package, stage, account and central copies
        events = [json.loads(body) for body in stack.drain("CentralEvents")]
        requested = [e for e in events if e["detail-type"] == "Model Deployment Requested"]
        assert len(requested) == 1, events  # (the bus also carries the notifications, docs/notifications.md)
        detail = requested[0]["detail"]
        assert (detail["ModelPackageArn"], detail["Stage"], detail["Account"]) == (arn, "test", TEST_ACCOUNT)
        assert detail["Artifacts"][0]["central_uri"].startswith("s3://govsync-artifacts-")
    # And the team's endpoint, tagged as govsync tags its own, reports back through the same path
    sm = sagemaker_in(TEST_ACCOUNT)
    sm.create_model(ModelName="team-model", ExecutionRoleArn="arn:aws:iam::333333333333:role/x",
                    PrimaryContainer={"ModelPackageName": arn})  # fmt: skip
    variant = {"VariantName": "a", "ModelName": "team-model", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    sm.create_endpoint_config(EndpointConfigName="team-config", ProductionVariants=[variant])
    tags = [{"Key": "govsync:model-package-arn", "Value": arn}, {"Key": "govsync:stage", "Value": "test"}]
    sm.create_endpoint(EndpointName="team-endpoint", EndpointConfigName="team-config", Tags=tags)
    stack.run_deployments()
    test = records(1)["test"]
    assert (test.deployment_status, test.deployment.endpoint_name) == ("deployed", "team-endpoint")


def _create_pipeline(account: str, name: str) -> None:
    sts = boto3.client("sts", region_name="us-east-1")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/setup", RoleSessionName="setup")["Credentials"]
    keys = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"},
                            "Action": "sts:AssumeRole"}]}  # fmt: skip
    boto3.client("iam", region_name="us-east-1", **keys).create_role(
        RoleName="pipeline", AssumeRolePolicyDocument=json.dumps(trust)
    )
    client = boto3.client("codepipeline", region_name="us-east-1", **keys)
    stage = {"name": "Source", "actions": [{"name": "a", "actionTypeId": {"category": "Source", "owner": "AWS",
             "provider": "S3", "version": "1"}, "configuration": {}}]}  # fmt: skip
    client.create_pipeline(
        pipeline={
            "name": name,
            "roleArn": f"arn:aws:iam::{account}:role/pipeline",
            "artifactStore": {"type": "S3", "location": "bucket"},
            "stages": [stage, {**stage, "name": "Deploy"}],
        }
    )


def capture_central_events(stack) -> None:
    sqs, events = stack.sqs, boto3.client("events", region_name="us-east-1")
    url = sqs.create_queue(QueueName="central-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="deployment-requests", EventPattern=json.dumps({"source": ["govsync"]}))
    events.put_targets(Rule="deployment-requests", Targets=[{"Id": "q", "Arn": queue_arn}])
    stack.queues["CentralEvents"] = url


def test_the_endpoint_event_file_marks_the_kicked_deployment_deployed(stack):
    # Given version 1 kicked into test (its own endpoint events not delivered yet)
    arn = register(stack.sagemaker)
    sync(stack, arn)
    approve(stack, arn)
    stack.invoke_function("DeployFunction", *stack.drain("DeployRequestsQueue"))
    stack.endpoint_changes.clear()
    assert records(1)["test"].deployment_status == "deploying"
    # When events/endpoint-in-service.json (as forwarded from the test account) arrives
    result = stack.invoke_function("DeploymentStatusFunction", load_event("endpoint-in-service"))
    # Then the record is deployed, with the time the event carries
    assert result == {"batchItemFailures": []}
    test = records(1)["test"]
    assert test.deployment_status == "deployed" and test.deployment.deployed_at == "2026-11-23T10:15:00+00:00"


def test_a_policy_kept_in_ssm_rejects_a_version_whose_metric_falls_short(stack):
    # Given the gate policy in an SSM parameter (as docs/gates.md puts it there): auc at least 0.8, reject
    policy = ("version: strict-2026\nrules:\n  - rule: approvers\n  - rule: validation_metric\n    metric: auc\n"
              "    at_least: 0.8\n    on_fail: reject\n")  # fmt: skip
    boto3.client("ssm", region_name="us-east-1").put_parameter(Name="/govsync/gate-policy", Type="String",
                                                                Value=policy)  # fmt: skip
    stack.configure(GatePolicyParameter="/govsync/gate-policy")
    # When a version without a statistics report is approved in development
    arn = register(stack.sagemaker)
    sync(stack, arn)
    approve(stack, arn)
    stack.run_deployments()
    # Then nothing is deployed, the record says which rule of which policy, and the registry is set back
    test = records(1)["test"]
    assert test.deployment_status == "blocked" and test.gates.policy_version == "strict-2026"
    assert [(r.rule, r.outcome) for r in test.gates.results] == [
        ("records_current", "pass"),
        ("approvers", "pass"),
        ("validation_metric", "fail"),
    ]
    described = stack.sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Rejected"
    assert described["ApprovalDescription"].startswith("govsync policy gates: validation_metric: the validation")
    # and once its event is back, the development record is rejected, by the deploy function's role
    sync(stack, arn)
    development = records(1)["development"]
    assert development.model_status == "rejected" and development.registry_decision.authorized
    assert sagemaker_in(TEST_ACCOUNT).list_endpoints()["Endpoints"] == []


def test_a_gate_policy_that_cannot_be_used_keeps_every_deploy_request_for_a_redrive(stack):
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name="/govsync/gate-policy", Type="String", Value="version: 1\nrules:\n  - rule: nope\n")
    stack.configure(GatePolicyParameter="/govsync/gate-policy")
    arn = register(stack.sagemaker)
    sync(stack, arn)
    approve(stack, arn)
    stack.run_deployments()
    kept = stack.drain("DeployRequestsDLQ")
    assert len(kept) == 1 and records(1)["test"].deployment.status == "requested"
    assert sagemaker_in(TEST_ACCOUNT).list_endpoints()["Endpoints"] == []


def test_a_metric_below_its_threshold_blocks_production_and_a_better_version_goes_through(stack):
    # Given a policy holding production deployments to auc >= 0.8 (block), kept in SSM
    policy = ("version: metric-gate\nrules:\n  - rule: approvers\n  - rule: validation_metric\n    metric: auc\n"
              "    at_least: 0.8\n    stages: [production]\n")  # fmt: skip
    boto3.client("ssm", region_name="us-east-1").put_parameter(Name="/govsync/gates", Type="String", Value=policy)
    stack.configure(GatePolicyParameter="/govsync/gates")

    def promoted(auc: float) -> str:
        """A version with a statistics report of `auc`, approved in development and test."""
        key = f"reports/auc-{auc}.json"
        report = {"binary_classification_metrics": {"auc": {"value": auc, "standard_deviation": 0.01}}}
        stack.s3.put_object(
            Bucket=DEV_BUCKET, Key=key, Body=json.dumps(report).encode(), ContentType="application/json"
        )
        metrics = {
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": f"s3://{DEV_BUCKET}/{key}"}}
        }
        return promote_to_production(stack, ModelMetrics=metrics)

    # When version 1, whose report says auc 0.72, is approved into production
    promoted(0.72)
    # Then it is live in test (the rule is for production) but production waits, and the record says why
    assert records(1)["test"].deployment_status == "deployed"
    production = records(1)["production"]
    assert production.deployment_status == "blocked" and "auc is 0.72, want >= 0.8" in production.deployment.error
    assert sagemaker_in(PROD_ACCOUNT).list_endpoints()["Endpoints"] == []
    # When version 2 comes with a better report, it goes all the way
    promoted(0.86)
    assert records(2)["production"].deployment_status == "deployed" and records(2)["production"].gates.passed
    served = sagemaker_in(PROD_ACCOUNT).describe_endpoint(EndpointName=endpoint_name(GROUP, "production"))
    assert served["EndpointConfigName"] == version_resource_name(GROUP, 2, "production")
