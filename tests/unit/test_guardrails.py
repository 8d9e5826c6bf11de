"""A stage's deployment guardrails as typed target options, and the requests they make: each traffic mode's
UpdateEndpoint and the default alarms' PutMetricAlarm, as SageMaker's and CloudWatch's API models accept
them (botocore's own validator), and the endpoint state changes that say how the update went."""

from __future__ import annotations

from dataclasses import replace

import botocore.session
import pytest
from botocore.validate import ParamValidator

from govsync.domain.audit import AuditEntry
from govsync.domain.deployment import Deployment, DeployState
from govsync.domain.endpoint_events import EndpointChange, apply_endpoint_change
from govsync.domain.guardrails import TrafficShift, deployment_config
from govsync.domain.notifications import AUTO_ROLLED_BACK, DEPLOYMENT_FAILED, notices
from govsync.domain.targets import StageTarget
from govsync.strategies.sagemaker_endpoint import SageMakerEndpoint

from .test_endpoint_hygiene import PACKAGE, targets
from .test_promotion import records_for

SESSION = botocore.session.get_session()


def accepted(service: str, operation: str, request: dict) -> None:
    shape = SESSION.get_service_model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()


MODES = {
    "all_at_once": ({"mode": "all_at_once", "wait_seconds": 0}, "ALL_AT_ONCE", None),
    "canary percent": (
        {"mode": "canary", "percent": 10, "wait_seconds": 600},
        "CANARY",
        ("CanarySize", {"Type": "CAPACITY_PERCENT", "Value": 10}),
    ),
    "canary instances": (
        {"mode": "canary", "instances": 1},
        "CANARY",
        ("CanarySize", {"Type": "INSTANCE_COUNT", "Value": 1}),
    ),
    "linear": (
        {
            "mode": "linear",
            "percent": 25,
            "wait_seconds": 300,
            "termination_wait_seconds": 120,
            "max_execution_timeout_seconds": 3600,
        },
        "LINEAR",
        ("LinearStepSize", {"Type": "CAPACITY_PERCENT", "Value": 25}),
    ),
}


@pytest.mark.parametrize("name", MODES)
def test_each_traffic_mode_is_an_update_sagemaker_accepts(name):
    traffic, kind, size = MODES[name]
    spec = SageMakerEndpoint.spec(
        PACKAGE, targets(production={"traffic": traffic, "auto_rollback_alarms": ["p90"]})["production"]
    ).parameters
    update = spec["deployment_config"]
    accepted(
        "sagemaker",
        "UpdateEndpoint",
        {"EndpointName": spec["endpoint_name"], "EndpointConfigName": "c", "DeploymentConfig": update},
    )
    routing = update["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing["Type"] == kind and routing["WaitIntervalInSeconds"] == traffic.get("wait_seconds", 600)
    if size:
        assert routing[size[0]] == size[1]
    assert update["AutoRollbackConfiguration"] == {"Alarms": [{"AlarmName": "p90"}]}
    assert spec["alarms"] == []  # named alarms are the team's: govsync creates none


def test_the_default_alarm_pair_is_what_cloudwatch_accepts():
    spec = SageMakerEndpoint.spec(
        PACKAGE, targets(production={"auto_rollback_alarms": "default", "rollback_latency_ms": 400})["production"]
    ).parameters
    errors, latency = spec["alarms"]
    for alarm in (errors, latency):
        accepted("cloudwatch", "PutMetricAlarm", alarm)
        assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
            "EndpointName": spec["endpoint_name"],
            "VariantName": "AllTraffic",
        }
    assert (errors["MetricName"], errors["Statistic"], errors["Threshold"]) == ("Invocation5XXErrors", "Sum", 0.0)
    assert (latency["MetricName"], latency["ExtendedStatistic"], latency["Threshold"]) == (
        "ModelLatency",
        "p90",
        400_000.0,
    )
    names = [a["AlarmName"] for a in spec["deployment_config"]["AutoRollbackConfiguration"]["Alarms"]]
    assert names == [errors["AlarmName"], latency["AlarmName"]]
    # alarms alone: SageMaker's all-at-once blue/green, watched
    assert spec["deployment_config"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "ALL_AT_ONCE"


def test_no_guardrails_asked_for_no_deployment_config():
    assert "deployment_config" not in SageMakerEndpoint.spec(PACKAGE, targets()["production"]).parameters
    assert deployment_config(None, ()) is None


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"traffic": {"mode": "canary"}}, "exactly one of percent or instances"),
        ({"traffic": {"mode": "canary", "percent": 60}}, "at most 50 percent"),
        ({"traffic": {"mode": "all_at_once", "percent": 10}}, "takes no percent"),
        ({"traffic": {"mode": "blue"}}, "traffic.mode"),
        ({"traffic": {"mode": "linear", "percent": 10, "wait_seconds": 4000}}, "wait_seconds"),
        ({"auto_rollback_alarms": []}, "1 to 10 alarm names"),
        ({"auto_rollback_alarms": ["bad\nname"]}, "not an alarm name"),
        ({"auto_rollback_alarms": "defaults"}, "auto_rollback_alarms"),
    ],
)
def test_a_guardrail_that_is_not_one_is_refused_when_the_settings_are_read(options, words):
    with pytest.raises(ValueError, match=words):
        StageTarget(account="444444444444", **options)


def change(status: str, config: str, reason: str | None = None) -> EndpointChange:
    return EndpointChange(
        "e-1",
        "444444444444",
        "us-east-1",
        "2026-12-06T10:00:00+00:00",
        "g-production",
        "arn:aws:sagemaker:us-east-1:444444444444:endpoint/g-production",
        config,
        status,
        reason,
        "arn:aws:sagemaker:us-east-1:111111111111:model-package/g/2",
        "g",
        2,
        "production",
    )


def kicked_record():
    deployment = Deployment(
        status=DeployState.KICKED,
        account="444444444444",
        strategy="sagemaker-endpoint",
        endpoint_name="g-production",
        endpoint_config_name="g-v2-production",
        previous_endpoint_config_name="g-v1-production",
        previous_version=1,
        guardrails="canary 10%, bake 600 s; rolls back on a, b",
        rollback_alarms=("a", "b"),
    )
    return replace(records_for()["development"], model_stage="production", deployment=deployment)


def test_updating_says_shifting_once_and_in_service_on_the_old_config_is_sagemakers_rollback():
    record = kicked_record()
    shifting = apply_endpoint_change(record, change("UPDATING", "g-v1-production"))
    assert shifting.deployment.progress == "shifting" and shifting.deployment.status == "kicked"
    assert apply_endpoint_change(shifting, change("UPDATING", "g-v1-production")) is None  # told once
    # SageMaker may leave FailureReason empty: the record names the alarms it watched
    back = apply_endpoint_change(shifting, change("IN_SERVICE", "g-v1-production")).deployment
    assert (back.status, back.rolled_back_by, back.progress) == ("failed", "sagemaker", "rolled back")
    assert back.error == (
        "SageMaker rolled the update back to g-v1-production: an auto-rollback alarm went into "
        "ALARM during the bake (it watches a, b)"
    )
    # a ROLLING_BACK report is enough, with SageMaker's own reason when it gives one
    rolling = apply_endpoint_change(shifting, change("ROLLING_BACK", "g-v2-production", "alarm b")).deployment
    assert rolling.status == "failed" and rolling.error.endswith(": alarm b")
    # the new config in service: live, complete
    live = apply_endpoint_change(shifting, change("IN_SERVICE", "g-v2-production")).deployment
    assert (live.status, live.progress, live.rolled_back_by) == ("live", "complete", None)


def test_an_automatic_rollback_is_told_as_such_not_as_a_plain_failure():
    before = kicked_record().deployment.to_json()
    after = apply_endpoint_change(kicked_record(), change("ROLLING_BACK", "g-v1-production")).deployment.to_json()
    entry = AuditEntry(
        "g",
        2,
        7,
        "e-1",
        "sagemaker",
        "rolled-back-by-sagemaker",
        {"production": {"deployment": [before, after]}},
        "t",
        "2026-12-06T10:00:00+00:00",
        "0" * 64,
        "a" * 64,
    )
    [notice] = notices(entry)
    assert notice.type == AUTO_ROLLED_BACK != DEPLOYMENT_FAILED and notice.actor == "sagemaker"
    assert notice.detail["rolled_back_by"] == "sagemaker" and notice.detail["rollback_alarms"] == ["a", "b"]
    assert notice.summary.startswith("production in 444444444444: SageMaker rolled the update back")


def test_traffic_in_words():
    linear = TrafficShift(mode="linear", instances=2, wait_seconds=60)
    assert linear.words() == "linear steps of 2 instance(s), bake 60 s"


class RecordingSageMaker:
    """A stage account's SageMaker with one endpoint serving v1, as the kick sees it: every request it
    makes is checked against SageMaker's API model (botocore's validator) and kept."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.live = {"EndpointConfigName": "fraud-detector-v1-production",
                     "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:444444444444:endpoint-config/v1",
                     "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "fraud-detector-v1-production",
                                             "InstanceType": "ml.m5.large", "InitialInstanceCount": 2,
                                             "InitialVariantWeight": 1.0}]}  # fmt: skip

    def __getattr__(self, operation: str):
        def call(**request):
            name = "".join(part.title() for part in operation.split("_"))
            accepted("sagemaker", name, request)
            self.calls.append((operation, request))
            if operation == "describe_endpoint":
                arn = "arn:aws:sagemaker:us-east-1:444444444444:endpoint/fraud-detector-production"
                return {"EndpointArn": arn, "EndpointConfigName": self.live["EndpointConfigName"],
                        "EndpointStatus": "InService"}  # fmt: skip
            if operation == "describe_endpoint_config":
                return self.live
            if operation == "list_tags":
                return {"Tags": [{"Key": "govsync:model-version", "Value": "1"}]}
            return {}

        return call


class Roles:
    def __init__(self, sm) -> None:
        self.sm = sm

    def client(self, service, *args):
        return self.sm


def test_a_shadow_kick_is_a_config_sagemaker_accepts_with_the_live_variant_and_the_new_one_as_its_shadow():
    from govsync.strategies.base import Clients

    sm = RecordingSageMaker()
    target = targets(production={"shadow": {"sampling_percent": 25}})["production"]
    second = replace(PACKAGE, version=2, arn=PACKAGE.arn[:-1] + "2")
    spec = SageMakerEndpoint.spec(second, target)
    result = SageMakerEndpoint(Clients(Roles(sm), "us-east-1")).kick(target, spec)
    [(_, shadow_config)] = [(op, r) for op, r in sm.calls if op == "create_endpoint_config"
                            and r["EndpointConfigName"].endswith("-shadow")]  # fmt: skip
    assert shadow_config["ProductionVariants"] == sm.live["ProductionVariants"]
    [copy] = shadow_config["ShadowProductionVariants"]
    assert (copy["VariantName"], copy["ModelName"], copy["InitialVariantWeight"]) == (
        "Shadow", "fraud-detector-v2-production", 0.25)  # fmt: skip
    assert {"Key": "govsync:shadow-version", "Value": "2"} in shadow_config["Tags"]
    assert ("update_endpoint", {"EndpointName": "fraud-detector-production",
                                "EndpointConfigName": shadow_config["EndpointConfigName"]}) in sm.calls  # fmt: skip
    assert (result.shadow_of, result.endpoint_config_name) == (1, shadow_config["EndpointConfigName"])
