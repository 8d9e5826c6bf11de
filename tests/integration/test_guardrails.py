"""Deployment guardrails against moto (with the local stack's SageMaker extension): a production update
shifts traffic as a canary watched by govsync's default alarm pair; an alarm during the bake makes
SageMaker roll it back, and the record, the audit trail and the notifications say so; a quiet bake
completes; a rollback that a rejection asks for moves at once, unwatched."""

import json
import time

import jsonschema
import pytest

from govsync import wiring
from govsync.adapters.aws import AssumedRoles
from govsync.domain.naming import endpoint_name, version_resource_name
from govsync.domain.targets import StageTarget, resolve_targets
from govsync.strategies.base import Clients
from govsync.strategies.sagemaker_endpoint import SageMakerEndpoint

from .conftest import GROUP, PROD_ACCOUNT, STAGE_TARGETS
from .test_notifications import SCHEMAS
from .test_promotion import lifecycle, promote_to_production, records
from .test_scheduled_jobs import client_in as client_in_account

ENDPOINT = endpoint_name(GROUP, "production")
CANARY = {"mode": "canary", "percent": 50, "wait_seconds": 600, "termination_wait_seconds": 300}


def client_in(service: str):
    return client_in_account(service, PROD_ACCOUNT)


def settled(timeout: float = 30.0) -> dict:
    """The production endpoint once its update (and bake) is over."""
    sm, deadline = client_in("sagemaker"), time.monotonic() + timeout
    while (described := sm.describe_endpoint(EndpointName=ENDPOINT))["EndpointStatus"] != "InService":
        assert time.monotonic() < deadline, f"endpoint still {described['EndpointStatus']}"
        time.sleep(0.05)
    return described


@pytest.fixture
def guarded(stack, monkeypatch):
    """Production shifts traffic as a canary watched by the default alarms; version 1 is live there."""
    production = {
        **STAGE_TARGETS["production"],
        "traffic": CANARY,
        "auto_rollback_alarms": "default",
        "rollback_latency_ms": 250,
    }
    stack.configure(StageTargets=json.dumps({**STAGE_TARGETS, "production": production}))
    promote_to_production(stack)
    assert records(1)["production"].deployment.status == "live"
    assert records(1)["production"].deployment.guardrails is None  # a first deployment creates the endpoint
    return stack


def test_an_alarm_during_the_canary_rolls_back_and_the_record_says_so(guarded, monkeypatch):
    stack = guarded
    monkeypatch.setenv("GOVSYNC_LOCAL_BAKE_SECONDS", "60")  # the alarm, not the clock, ends this bake
    # When version 2 goes to production: the update is a canary, baking, watched by the default pair
    second = promote_to_production(stack)
    sm, cloudwatch = client_in("sagemaker"), client_in("cloudwatch")
    described = sm.describe_endpoint(EndpointName=ENDPOINT)
    assert described["EndpointStatus"] == "Updating"
    assert described["PendingDeploymentSummary"]["EndpointConfigName"] == version_resource_name(GROUP, 2, "production")
    v2 = records(2)["production"].deployment
    # the deployment status function read the update in production (its read role): the new fleet provisioning
    assert (v2.status, v2.endpoint_status) == ("kicked", "UPDATING")
    assert v2.progress.startswith("provisioning the new fleet, 0 of 2 new instance(s) up (since 20"), v2.progress
    latency = f"govsync-{ENDPOINT}-latency"
    assert v2.rollback_alarms == (f"govsync-{ENDPOINT}-5xx", latency)
    assert v2.guardrails.startswith("canary 50%, bake 600 s; rolls back on ")
    alarm = cloudwatch.describe_alarms(AlarmNames=[latency])["MetricAlarms"][0]
    assert (alarm["MetricName"], alarm["ExtendedStatistic"], alarm["Threshold"]) == ("ModelLatency", "p90", 250000)
    # And latency goes over the threshold during the bake
    cloudwatch.set_alarm_state(AlarmName=latency, StateValue="ALARM", StateReason="p90 latency 303 ms over 250")
    described = settled()
    stack.run_deployments()
    # Then SageMaker rolled back: version 1's config serves, version 2 failed in production, and why
    assert described["EndpointConfigName"] == version_resource_name(GROUP, 1, "production")
    v2, v1 = records(2)["production"], records(1)["production"]
    assert (v2.deployment_status, v2.deployment.status, v2.deployment.rolled_back_by) == (
        "deploy_failed",
        "failed",
        "sagemaker",
    )
    assert latency in v2.deployment.error and "rolled the update back to" in v2.deployment.error
    # which alarm: read in production as the rollback was reported, not taken from SageMaker's words
    assert v2.deployment.tripped_alarms == (latency,) and v2.deployment.progress == f"rolled back by {latency}"
    assert (v1.deployment.status, v1.deployment_status) == ("live", "deployed")  # the previous version stays
    # audited as SageMaker's doing, told once as an automatic rollback
    entries = wiring.governance_store().audit_entries(GROUP, 2)
    by_sagemaker = [(e.actor, e.action) for e in entries if e.actor == "sagemaker"]
    assert by_sagemaker == [("sagemaker", "rolled-back-by-sagemaker")]
    heard = stack.notifications()
    for message in heard:
        jsonschema.validate(message, SCHEMAS[message["type"]], format_checker=jsonschema.FormatChecker())
    told = [n for n in heard if n["type"] == "auto-rolled-back"]
    assert len(told) == 1 and told[0]["model_version"] == 2 and told[0]["detail"]["rolled_back_by"] == "sagemaker"
    assert told[0]["actor"] == "sagemaker" and latency in told[0]["summary"]
    assert told[0]["detail"]["tripped_alarms"] == [latency]
    # And the strategy reads version 1 as what production serves (the endpoint's own tag names the kicked 2)
    strategy = SageMakerEndpoint(Clients(AssumedRoles("inspect", "us-east-1"), "us-east-1"))
    target = resolve_targets(
        {"production": StageTarget(account=PROD_ACCOUNT)},
        role_name="govsync-deploy",
        region="us-east-1",
        partition="aws",
        central_account=None,
    )["production"]
    assert strategy.serving(target, GROUP) == 1
    assert second.endswith("/2")


def test_a_quiet_bake_completes_and_supersedes_the_previous_version(guarded, monkeypatch):
    monkeypatch.setenv("GOVSYNC_LOCAL_BAKE_SECONDS", "0.2")
    promote_to_production(guarded)
    described = settled()
    guarded.run_deployments()
    assert described["EndpointConfigName"] == version_resource_name(GROUP, 2, "production")
    assert described["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "CANARY"
    v2 = records(2)["production"].deployment
    assert (v2.status, v2.progress, v2.rolled_back_by) == ("live", "complete", None)
    assert records(1)["production"].deployment.status == "superseded"


def test_while_the_update_runs_the_record_follows_it_until_it_completes(guarded, monkeypatch):
    """SageMaker reports UPDATING once: the status function reads the update again on its own queue, delayed,
    while production says it is under way (the new fleet Creating for a third of the local bake, then Baking)."""
    stack = guarded
    # the new fleet provisions for the first 4 s of the bake, longer than the kick takes to be reported, and
    # bakes until the check is read (the test then ends the bake)
    monkeypatch.setenv("GOVSYNC_LOCAL_BAKE_SECONDS", "12")
    monkeypatch.setenv("GOVSYNC_PROGRESS_CHECK_SECONDS", "5")
    stack.configure()  # the functions read their settings again
    promote_to_production(stack)
    assert records(2)["production"].deployment.progress.startswith("provisioning the new fleet, 0 of 2")
    # Then the report waits on the status function's queue, delayed, and comes back while the fleet bakes
    check = wait_for_check(stack, timeout=15)
    stack.invoke_function("DeploymentStatusFunction", check)
    v2 = records(2)["production"].deployment
    assert (v2.status, v2.endpoint_status) == ("kicked", "UPDATING")
    assert v2.progress.startswith("baking: a canary of 50% of the capacity on the new version, 2 of 2"), v2.progress
    entries = [e.action for e in wiring.governance_store().audit_entries(GROUP, 2)]
    assert entries[-2:] == ["endpoint-updating", "endpoint-updating"]
    # When the bake is over, the endpoint reports IN_SERVICE, and the next check finds no update: no more checks
    monkeypatch.setenv("GOVSYNC_LOCAL_BAKE_SECONDS", "0")
    settled()
    stack.run_deployments()
    assert records(2)["production"].deployment.progress == "complete"
    stack.invoke_function("DeploymentStatusFunction", wait_for_check(stack, timeout=15))
    assert records(2)["production"].deployment.progress == "complete"
    time.sleep(6)
    assert stack.drain("EndpointEventsQueue") == []


def wait_for_check(stack, timeout: float, queue: str = "EndpointEventsQueue") -> str:
    """The one message a function sent itself for later (a progress check, a waiting kick), once it is due."""
    deadline = time.monotonic() + timeout
    while not (bodies := stack.drain(queue)):
        assert time.monotonic() < deadline, f"nothing came back on {queue}"
        time.sleep(0.5)
    (body,) = bodies
    return body


def test_a_version_approved_while_an_update_bakes_waits_for_it_then_is_kicked(guarded, monkeypatch):
    """A bake under guardrails can outlast the deploy queue's deliveries: the kick that finds the endpoint
    updating comes back later on the deploy queue (a delayed copy saying since when it waits), not to the
    dead-letter queue, and is kicked once the update is over."""
    stack = guarded
    monkeypatch.setenv("GOVSYNC_LOCAL_BAKE_SECONDS", "60")  # the test ends it (a bake reads the cap as it goes)
    monkeypatch.setenv("GOVSYNC_UPDATE_WAIT_SECONDS", "5")
    stack.configure()
    promote_to_production(stack)  # version 2's canary bakes
    sm = client_in("sagemaker")
    assert sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointStatus"] == "Updating"
    # When version 3 is approved for production meanwhile
    promote_to_production(stack)
    # Then its kick waits: the request is still open, and it comes back on its own, still waiting
    assert records(3)["production"].deployment.status == "requested"
    first = json.loads(wait_for_check(stack, timeout=20, queue="DeployRequestsQueue"))
    assert (first["model_version"], first["stage"], first["action"]) == (3, "production", "promote")
    stack.invoke_function("DeployFunction", json.dumps(first))
    assert records(3)["production"].deployment.status == "requested"
    # When version 2's bake is over (its IN_SERVICE recorded), the next return kicks version 3
    monkeypatch.setenv("GOVSYNC_LOCAL_BAKE_SECONDS", "0")
    settled()
    stack.run_deployments()
    assert records(2)["production"].deployment.status == "live"
    second = json.loads(wait_for_check(stack, timeout=20, queue="DeployRequestsQueue"))
    assert second["waiting_since"] == first["waiting_since"]
    stack.invoke_function("DeployFunction", json.dumps(second))
    assert records(3)["production"].deployment.status == "kicked"
    assert settled()["EndpointConfigName"] == version_resource_name(GROUP, 3, "production")
    assert stack.drain("DeployRequestsDLQ") == []


def test_a_rejection_rolls_back_at_once_without_the_canary(guarded, monkeypatch):
    monkeypatch.setenv("GOVSYNC_LOCAL_BAKE_SECONDS", "0.2")
    second = promote_to_production(guarded)
    settled()
    guarded.run_deployments()
    # When version 2 is rejected in production, the rollback to version 1 is an update of its own
    lifecycle(guarded, second, "Production", "Rejected")
    guarded.run_deployments()
    described = client_in("sagemaker").describe_endpoint(EndpointName=ENDPOINT)
    # Then it went all at once (no bake: in service at once), and version 1 is live again
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == version_resource_name(GROUP, 1, "production")
    v1 = records(1)["production"].deployment
    assert (v1.status, v1.action, v1.guardrails) == ("live", "rollback", None)


@pytest.fixture
def shadowed(stack, monkeypatch):
    """Production tests a new version as a shadow of the live one (a fifth of its requests); v2 runs so."""
    monkeypatch.setenv("GOVSYNC_LOCAL_BAKE_SECONDS", "0")
    production = {**STAGE_TARGETS["production"], "shadow": {"sampling_percent": 20}}
    stack.configure(StageTargets=json.dumps({**STAGE_TARGETS, "production": production}))
    promote_to_production(stack)
    assert records(1)["production"].deployment.status == "live"  # nothing to shadow: it serves at once
    second = promote_to_production(stack)
    stack.run_deployments()
    return stack, second


def test_a_new_version_runs_as_a_shadow_beside_the_live_one(shadowed):
    sm = client_in("sagemaker")
    described = sm.describe_endpoint(EndpointName=ENDPOINT)
    config = sm.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
    assert described["EndpointConfigName"] == f"{GROUP}-v2-production-shadow"
    assert [v["ModelName"] for v in config["ProductionVariants"]] == [version_resource_name(GROUP, 1, "production")]
    [shadow] = config["ShadowProductionVariants"]
    assert (shadow["ModelName"], shadow["InitialVariantWeight"]) == (version_resource_name(GROUP, 2, "production"), 0.2)
    v2, v1 = records(2)["production"], records(1)["production"]
    assert (v2.deployment_status, v2.deployment.status, v2.deployment.shadow_of) == ("shadow", "shadow", 1)
    assert (v1.deployment_status, v1.deployment.status) == ("deployed", "live")  # v1 still answers
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=config["EndpointConfigArn"])["Tags"]}
    assert (tags["govsync:model-version"], tags["govsync:shadow-version"]) == ("1", "2")


def decided(shadowed, decision: str):
    """Production's decision on the shadow (v2): the endpoint after it, then v2's and v1's records."""
    stack, second = shadowed
    lifecycle(stack, second, "Production", decision)
    stack.run_deployments()
    described = client_in("sagemaker").describe_endpoint(EndpointName=ENDPOINT)
    assert "ShadowProductionVariants" not in described
    return described, records(2)["production"], records(1)["production"]


def test_the_stages_approval_promotes_the_shadow(shadowed):
    described, v2, v1 = decided(shadowed, "Approved")
    assert described["EndpointConfigName"] == version_resource_name(GROUP, 2, "production")
    assert (v2.model_status, v2.deployment.status, v2.deployment.approved_in) == ("approved", "live", "production")
    assert v1.deployment.status == "superseded" and v1.deployment.superseded_by == 2


def test_rejecting_the_shadow_removes_it_and_leaves_the_live_version(shadowed):
    described, v2, v1 = decided(shadowed, "Rejected")
    assert described["EndpointConfigName"] == version_resource_name(GROUP, 1, "production")
    assert (v2.model_status, v2.deployment.status, v2.deployment.rollback.to_version) == ("rejected", "rolled_back", 1)
    assert (v1.deployment.status, v1.deployment.action) == ("live", "rollback")
