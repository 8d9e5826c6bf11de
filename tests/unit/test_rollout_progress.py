"""An update under guardrails as the stage account tells it: DescribeEndpoint's PendingDeploymentSummary
becomes the record's `progress`, and on SageMaker's rollback the rollback alarms in ALARM are named (record,
audit, notification). The stage account is read only for a guarded stage, and a read that fails never
loses the event."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import botocore.session
import pytest

from govsync.adapters.rollouts import rollout_phase
from govsync.domain.audit import AuditEntry
from govsync.domain.deployment import Action, Deployment, DeployState, after_kick, kicked
from govsync.domain.endpoint_events import apply_endpoint_change, progress_check, still_updating
from govsync.domain.errors import RetryableError
from govsync.domain.events import EVENT_ID
from govsync.domain.guardrails import LONGEST_UPDATE, RolloutPhase, TrafficShift, rollout_words
from govsync.domain.kicks import KickResult
from govsync.domain.notifications import AUTO_ROLLED_BACK, notices
from govsync.services.deployment_status import DeploymentStatus
from govsync.settings import StatusSettings

from ..fakes import InMemoryStore
from .test_convergence import FakeDeadLetter
from .test_guardrails import change, kicked_record

CANARY = TrafficShift(mode="canary", percent=10, wait_seconds=600)
STARTED = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def summary(status: str, current: int, desired: int = 2) -> dict:
    return {
        "EndpointConfigName": "g-v2-production",
        "StartTime": STARTED,
        "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": current,
                                "DesiredInstanceCount": desired,
                                "VariantStatus": [{"Status": "Creating", "StartTime": STARTED},
                                                  {"Status": status, "StartTime": STARTED.replace(minute=5)}]}],
    }  # fmt: skip


def test_the_summary_read_is_the_shape_describe_endpoint_answers():
    """The fixture's keys are DescribeEndpoint's (botocore's model), so the parser reads what SageMaker sends."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("DescribeEndpoint").output_shape.members["PendingDeploymentSummary"]
    variant = shape.members["ProductionVariants"].member
    assert set(summary("Baking", 2)) <= set(shape.members)
    assert set(summary("Baking", 2)["ProductionVariants"][0]) <= set(variant.members)
    assert set(variant.members["VariantStatus"].member.members) >= {"Status", "StartTime"}
    assert {"Baking", "ActivatingTraffic", "Creating"} <= set(
        variant.members["VariantStatus"].member.members["Status"].enum
    )


def test_the_new_fleets_latest_status_is_the_phase():
    baking = RolloutPhase("Baking", "2026-12-06T10:05:00+00:00", 2, 2, config_name="g-v2-production")
    assert rollout_phase(summary("Baking", 2)) == baking
    assert rollout_phase(None) is None
    bare = rollout_phase({"EndpointConfigName": "c", "StartTime": STARTED})
    assert bare == RolloutPhase("Creating", "2026-12-06T10:00:00+00:00", config_name="c")


@pytest.mark.parametrize(
    ("phase", "traffic", "words"),
    [
        (RolloutPhase("Creating", None, 0, 2), CANARY, "provisioning the new fleet, 0 of 2 new instance(s) up"),
        (RolloutPhase("Baking", "t"), CANARY, "baking: a canary of 10% of the capacity on the new version (since t)"),
        (RolloutPhase("ActivatingTraffic", None, 1, 4), TrafficShift(mode="linear", instances=1),
         "shifting traffic: linear steps of 1 instance(s) (25% of the capacity), 1 of 4 new instance(s) up"),
        (RolloutPhase("Baking"), None, "baking: all traffic on the new version"),
        (RolloutPhase("Deleting"), CANARY, "retiring the old fleet"),
    ],
)  # fmt: skip
def test_progress_in_words(phase, traffic, words):
    assert rollout_words(phase, traffic) == words


def test_progress_follows_each_read_and_a_rollback_names_the_alarm_that_tripped():
    record = kicked_record()
    provisioning = apply_endpoint_change(record, replace(change("UPDATING", "g-v1-production"), rollout="provisioning"))
    assert provisioning.deployment.progress == "provisioning"
    baking = apply_endpoint_change(provisioning, replace(change("UPDATING", "g-v1-production"), rollout="baking"))
    assert (baking.deployment.progress, baking.deployment.status) == ("baking", "kicked")
    tripped = replace(change("IN_SERVICE", "g-v1-production"), tripped_alarms=("b",))
    back = apply_endpoint_change(baking, tripped).deployment
    assert (back.status, back.progress, back.tripped_alarms) == ("failed", "rolled back by b", ("b",))
    assert (
        back.error == "SageMaker rolled the update back to g-v1-production: alarm b went into ALARM during the update"
    )

    entry = AuditEntry("g", 2, 7, "e-1", "sagemaker", "rolled-back-by-sagemaker",
                       {"production": {"deployment": [baking.deployment.to_json(), back.to_json()]}}, "t",
                       "2026-12-06T10:00:00+00:00", "0" * 64, "a" * 64)  # fmt: skip
    [notice] = notices(entry)
    assert notice.type == AUTO_ROLLED_BACK and notice.detail["tripped_alarms"] == ["b"]


def test_an_update_reported_before_the_kicks_own_write_keeps_its_progress():
    """The endpoint may report UPDATING before the deploy function writes its kick: the stage account's
    report says the stage is guarded, the request takes the progress, and the kick's write keeps it."""
    requested = replace(kicked_record(), deployment=Deployment(status=DeployState.REQUESTED, account="444444444444"))
    early = apply_endpoint_change(requested, replace(change("UPDATING", "g-v1-production"), rollout="provisioning"))
    assert (early.deployment.status, early.deployment.progress) == ("requested", "provisioning")
    assert apply_endpoint_change(requested, change("UPDATING", "g-v1-production")) is None  # unguarded: nothing
    result = KickResult(endpoint_name="g-production", endpoint_config_name="g-v2-production", guardrails="canary")
    written = after_kick(early.deployment, result, action=Action.PROMOTE, now="t", event_id="e")
    assert (written.status, written.progress, written.guardrails) == ("kicked", "provisioning", "canary")
    # a deployment kicked again (not a fresh request) starts without an earlier one's progress
    again = kicked(replace(written, status=DeployState.BLOCKED), result, action=Action.PROMOTE, now="t", event_id="e")
    assert again.progress is None


class Sources:
    """The stage account's endpoints and alarms, as the read role would answer (or fail)."""

    def __init__(self, phase=None, firing=(), error=None):
        self.phase, self.firing, self.error, self.calls = phase, firing, error, []

    def pending(self, endpoint_name, *, role_arn, region, external_id):
        self.calls.append(("pending", endpoint_name, role_arn))
        if self.error:
            raise self.error
        return self.phase

    def in_alarm(self, names, *, role_arn, region, external_id):
        self.calls.append(("in_alarm", names, role_arn))
        if self.error:
            raise self.error
        return tuple(n for n in names if n in self.firing)


ENV = {"GOVSYNC_TABLE": "gov", "AWS_REGION": "us-east-1", "GOVSYNC_ACCOUNT_ID": "111111111111",
       "GOVSYNC_DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/111111111111/d"}  # fmt: skip


def status(sources: Sources, production: dict) -> DeploymentStatus:
    targets = {"test": {"account": "333333333333"}, "production": {"account": "444444444444", **production}}
    settings = StatusSettings.from_env({**ENV, "GOVSYNC_STAGE_TARGETS": json.dumps(targets)})
    return DeploymentStatus(settings=settings, store=None, dead_letter=None, rollouts=sources, alarms=sources)  # type: ignore[arg-type]


GUARDED = {"traffic": {"mode": "canary", "percent": 10}, "auto_rollback_alarms": "default"}
READ_ROLE = "arn:aws:iam::444444444444:role/govsync-metrics-read"


def test_a_guarded_stage_is_read_through_its_read_role():
    sources = Sources(phase=RolloutPhase("Baking", "t"), firing=("govsync-g-production-latency",))
    service = status(sources, GUARDED)
    updating = service.observed(change("UPDATING", "g-v1-production"))
    assert updating.rollout == "baking: a canary of 10% of the capacity on the new version (since t)"
    rolled = service.observed(change("ROLLING_BACK", "g-v2-production"))
    assert rolled.tripped_alarms == ("govsync-g-production-latency",)
    back_in_service = service.observed(change("IN_SERVICE", "g-v1-production"))  # another version's config
    assert back_in_service.tripped_alarms == ("govsync-g-production-latency",)
    assert [c[0] for c in sources.calls] == ["pending", "in_alarm", "in_alarm"]
    assert {c[2] for c in sources.calls} == {READ_ROLE}
    assert sources.calls[1][1] == ("govsync-g-production-5xx", "govsync-g-production-latency")


def test_nothing_is_read_where_nothing_is_guarded_or_the_update_completed():
    sources = Sources(phase=RolloutPhase("Baking"))
    assert status(sources, {}).observed(change("UPDATING", "g-v1-production")).rollout is None
    traffic_only = status(sources, {"traffic": {"mode": "canary", "percent": 10}})
    assert traffic_only.observed(change("ROLLING_BACK", "g-v2-production")).tripped_alarms == ()  # no alarms
    assert status(sources, GUARDED).observed(change("IN_SERVICE", "g-v2-production")) == change(
        "IN_SERVICE", "g-v2-production"
    )  # its own config: done, nothing rolled back
    assert [c[0] for c in sources.calls] == []


def test_a_stage_account_that_cannot_be_read_loses_nothing():
    sources = Sources(error=RetryableError("AssumeRole in 444444444444: AccessDenied"))
    service = status(sources, GUARDED)
    assert service.observed(change("ROLLING_BACK", "g-v2-production")) == change("ROLLING_BACK", "g-v2-production")
    back = apply_endpoint_change(kicked_record(), service.observed(change("ROLLING_BACK", "g-v2-production")))
    assert back.deployment.rolled_back_by == "sagemaker" and back.deployment.progress == "rolled back"


def test_the_stage_read_role_only_reads_and_lets_in_only_the_aggregator_and_the_status_function():
    """workload-account.yaml's read role: DescribeEndpoint on this account's endpoints and DescribeAlarms on
    its alarms beside the metrics reads, nothing that changes anything; trusted by the metrics aggregator and,
    with CentralStatusRoleArn, the deployment status function, whose role may assume it only in the deploy
    accounts (a policy of its own, so that the scanners still read the role's)."""
    from .test_template_security import actions, load, statements

    role = load("workload-account.yaml")["Resources"]["MetricsReadRole"]["Properties"]
    granted = {a for s in statements(role["Policies"]) for a in actions(s)}
    monitor = {"sagemaker:ListMonitoringSchedules", "sagemaker:ListMonitoringExecutions"}
    assert granted == {"cloudwatch:GetMetricData", *monitor, "sagemaker:DescribeEndpoint", "cloudwatch:DescribeAlarms"}
    by_sid = {s["Sid"]: s for s in statements(role["Policies"])}
    assert by_sid["EndpointUpdates"]["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:endpoint/*"
    }
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    both = [{"Ref": "CentralMetricsRoleArn"}, {"Ref": "CentralStatusRoleArn"}]
    assert trust["Principal"]["AWS"] == {"Fn::If": ["ReadsStatus", both, {"Ref": "CentralMetricsRoleArn"}]}
    central = load("template.yaml")["Resources"]
    reads = central["DeploymentStatusStageReads"]
    assert reads["Condition"] == "HasDeployAccounts" and reads["Properties"]["Roles"] == [
        {"Ref": "DeploymentStatusRole"}
    ]
    (assume,) = statements(reads["Properties"]["PolicyDocument"])
    assert actions(assume) == ["sts:AssumeRole"]
    assert assume["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MetricsRoleName}"}
    assert assume["Condition"] == {"StringEquals": {"aws:ResourceAccount": {"Ref": "DeployAccounts"}}}
    assert not any(
        "sts:AssumeRole" in actions(s) for s in statements(central["DeploymentStatusRole"]["Properties"]["Policies"])
    )


class LaterQueue:
    """The status function's own queue, as far as progress checks go: what was sent, with its delay."""

    def __init__(self, error=None):
        self.sent, self.error = [], error

    def send_later(self, body, delay_seconds):
        if self.error:
            raise self.error
        self.sent.append((body, delay_seconds))


def updating_report(version: int = 2, time: str = "2026-12-06T10:00:00Z") -> str:
    package = f"arn:aws:sagemaker:us-east-1:111111111111:model-package/g/{version}"
    return json.dumps({
        "id": "0f9e6d5c-1b2a-4c3d-8e7f-000000000002", "version": "0", "detail-type": "SageMaker Endpoint State Change",
        "source": "aws.sagemaker", "account": "444444444444", "region": "us-east-1", "time": time,
        "detail": {"EndpointName": "g-production", "EndpointConfigName": "g-v1-production",
                   "EndpointStatus": "UPDATING",
                   "Tags": {"govsync:model-package-arn": package, "govsync:stage": "production"}},
    })  # fmt: skip


def followed(sources: Sources, queue: LaterQueue, now: datetime) -> tuple[DeploymentStatus, InMemoryStore]:
    """A status service for a guarded production with version 2 kicked there, its clock at `now`."""
    store = InMemoryStore()
    store.records[("g", 2)] = {"production": replace(kicked_record(), model_group="g", model_version=2)}
    service = status(sources, GUARDED)
    service.store, service.dead_letter, service.checks, service.clock = store, FakeDeadLetter(), queue, lambda: now
    return service, store


def test_an_update_under_way_is_read_again_until_it_ends():
    """SageMaker reports an update once, as it starts: the report is read again, delayed on the function's own
    queue, while the stage account says this version's update is under way, so the record follows the bake."""
    sources = Sources(phase=RolloutPhase("Creating", "t0", 0, 2, config_name="g-v2-production"))
    queue = LaterQueue()
    service, store = followed(sources, queue, STARTED.replace(minute=1))
    # When the update starts
    assert service.handle_message(updating_report(), "m-1") == "updated"
    assert store.records[("g", 2)]["production"].deployment.progress.startswith("provisioning the new fleet, 0 of 2")
    # Then the report is sent again for a minute later, under an id of its own (the same for a redelivery)
    ((check, delay),) = queue.sent
    assert delay == 60 and json.loads(check)["id"] != json.loads(updating_report())["id"]
    assert EVENT_ID.fullmatch(json.loads(check)["id"]) and progress_check(updating_report()) == check
    assert {k: v for k, v in json.loads(check).items() if k != "id"} == {
        k: v for k, v in json.loads(updating_report()).items() if k != "id"}  # fmt: skip
    # When it comes back and the new fleet is baking, the record says so (audited) and it is read again
    sources.phase = RolloutPhase("Baking", "t1", 2, 2, config_name="g-v2-production")
    assert service.handle_message(check, "m-2") == "updated"
    assert store.records[("g", 2)]["production"].deployment.progress == (
        "baking: a canary of 10% of the capacity on the new version, 2 of 2 new instance(s) up (since t1)")  # fmt: skip
    assert [e.action for e in store.audit[("g", 2)]] == ["endpoint-updating", "endpoint-updating"]
    assert len(queue.sent) == 2 and queue.sent[1][0] != check
    # When nothing changed since, nothing is written, and it is still followed
    assert service.handle_message(queue.sent[1][0], "m-3") == "ignored"
    assert len(queue.sent) == 3
    # When the update is over (its IN_SERVICE report has its own way), the checks stop
    sources.phase = None
    service.handle_message(queue.sent[2][0], "m-4")
    assert len(queue.sent) == 3 and len(store.audit[("g", 2)]) == 2


def test_only_this_versions_update_is_followed_and_never_past_sagemakers_longest():
    reported = replace(change("UPDATING", "g-v1-production"), rollout="baking", rollout_config="g-v2-production")
    at = datetime.fromisoformat(reported.time)
    assert still_updating(reported, at + timedelta(hours=9, minutes=59))
    assert not still_updating(reported, at + timedelta(hours=10))
    assert still_updating(replace(reported, rollout_config="g-v2-production-shadow"), at)
    assert not still_updating(replace(reported, rollout_config="g-v3-production"), at)  # a later kick's
    assert not still_updating(replace(reported, rollout_config=None), at)  # no update under way
    assert not still_updating(replace(reported, status="IN_SERVICE"), at)
    # the service: another version's update in the stage account is not followed for this one
    sources = Sources(phase=RolloutPhase("Baking", "t", config_name="g-v3-production"))
    queue = LaterQueue()
    service, _ = followed(sources, queue, STARTED)
    service.handle_message(updating_report(), "m-1")
    assert queue.sent == []
    # nor a report older than the longest update
    service, _ = followed(Sources(phase=RolloutPhase("Baking", "t", config_name="g-v2-production")), queue,
                          STARTED + LONGEST_UPDATE)  # fmt: skip
    service.handle_message(updating_report(), "m-2")
    assert queue.sent == []


def test_a_check_that_cannot_be_sent_costs_the_report_nothing():
    sources = Sources(phase=RolloutPhase("Baking", "t", config_name="g-v2-production"))
    service, store = followed(sources, LaterQueue(error=RetryableError("SendMessage: AccessDenied")), STARTED)
    assert service.handle_message(updating_report(), "m-1") == "updated"
    assert store.records[("g", 2)]["production"].deployment.progress.startswith("baking")
    assert service.dead_letter.sent == []
