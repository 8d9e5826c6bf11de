"""The endpoint of every stage ends on the newest version the registry approves for it, whatever the
order events, deploy requests and endpoint state changes arrive in, with duplicates and redeliveries.

The real services (registry sync, deploy, deployment status) run against an in-memory store, a fake
registry, a fake deploy queue and a fake SageMaker endpoint strategy; hypothesis picks the
interleaving. Versions are registered from a dev account; the registry's decisions are made by an
officer of the central account or by the registrant herself (which counts for nothing), so the policy
gates hold every kick: none is ever sent while a gate fails at that moment. No sockets."""

from __future__ import annotations

import copy
import itertools
import json
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from govsync.adapters.described_package import snapshot_from_describe
from govsync.domain.endpoint_events import EndpointChange
from govsync.domain.errors import EndpointBusy, RetryableError
from govsync.domain.kicks import DeploySpec, KickResult
from govsync.domain.naming import endpoint_name
from govsync.domain.package import PackageSnapshot
from govsync.domain.promotion import deployable_in
from govsync.domain.targets import StageTarget, Target
from govsync.gates.policy import shipped_policy
from govsync.services.deploy import Deployments
from govsync.services.deployment_status import DeploymentStatus
from govsync.services.gate_checks import GateChecks
from govsync.services.registry_sync import RegistrySync
from govsync.settings import DeploySettings, StatusSettings, SyncSettings
from govsync.strategies.sagemaker_endpoint import SageMakerEndpoint
from govsync_local.emitter import MODEL_PACKAGE_STATE_CHANGE, delivered_event

from ..fakes import InMemoryStore

CENTRAL, DEV, REGION = "111111111111", "222222222222", "us-east-1"
REGISTRANT = f"arn:aws:sts::{DEV}:assumed-role/DataScientist/alice"
OFFICER = f"arn:aws:sts::{CENTRAL}:assumed-role/ModelRiskOfficer/oscar"
GOVSYNC_ROLE = f"arn:aws:sts::{CENTRAL}:assumed-role/govsync-DeployFunctionRole/govsync-deploy"
METADATA = {"UseCaseId": "uc-1", "UseCaseName": "Cards", "UseCaseStage": "poc", "ModelOwner": "alice",
            "ModelLoB": "cards", "ModelProject": "fraud", "ModelRisk": "Medium"}  # fmt: skip
ACCOUNTS = {"test": "333333333333", "production": "444444444444"}
DEPLOYING = tuple(ACCOUNTS)
GROUPS = ("fraud", "churn")
ENV = {
    "GOVSYNC_TABLE": "gov",
    "AWS_REGION": REGION,
    "GOVSYNC_ALLOWED_ACCOUNTS": CENTRAL,
    "GOVSYNC_ACCOUNT_ID": CENTRAL,
    "GOVSYNC_DEV_ACCOUNTS": DEV,
    "GOVSYNC_DEAD_LETTER_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{CENTRAL}/dlq",
    "GOVSYNC_DEPLOY_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{CENTRAL}/deploy",
    "GOVSYNC_STAGE_TARGETS": json.dumps(
        {s: {"account": a, "instance_type": "ml.m5.large"} for s, a in ACCOUNTS.items()}
    ),
}
SETTINGS = SyncSettings.from_env(ENV)  # the registry sync's; the deploy function's are a part of them
STATUS_SETTINGS = StatusSettings.from_env(ENV)
DEPLOY_SETTINGS = DeploySettings.from_env(ENV)
CONFIG = SETTINGS.stage_config
GATES = GateChecks(shipped_policy(), CONFIG, SETTINGS.approvals, SETTINGS.approvers)


class FakeRegistry:
    """Model packages as DescribeModelPackage answers them; every change puts an event."""

    def __init__(self) -> None:
        self.packages: dict[str, dict[str, Any]] = {}
        self.events: list[str] = []
        self._clock = itertools.count(1)
        self._versions: Counter[str] = Counter()
        self.officer_decided: set[str] = set()  # packages an officer made a decision on

    def _touch(self, arn: str) -> None:
        self.packages[arn]["LastModifiedTime"] = datetime(2026, 11, 23, tzinfo=UTC) + timedelta(
            seconds=next(self._clock)
        )
        self.events.append(arn)

    def register(self, group: str) -> str:
        self._versions[group] += 1
        version = self._versions[group]
        arn = f"arn:aws:sagemaker:{REGION}:{CENTRAL}:model-package/{group}/{version}"
        self.packages[arn] = {
            "ModelPackageGroupName": group,
            "ModelPackageVersion": version,
            "ModelPackageArn": arn,
            "CreationTime": datetime(2026, 11, 23, tzinfo=UTC),
            "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {"Containers": [{"Image": "i"}]},
            "CreatedBy": {"IamIdentity": {"Arn": REGISTRANT}},
            "CustomerMetadataProperties": dict(METADATA),
        }
        self._touch(arn)
        return arn

    def decide(self, arn: str, decision: str, by: str = OFFICER) -> None:
        package = self.packages[arn]
        package["LastModifiedBy"] = {"IamIdentity": {"Arn": by}}
        if by == OFFICER:
            self.officer_decided.add(arn)
        if decision in ("Approved", "Rejected"):
            package["ModelApprovalStatus"] = decision
        else:  # "<stage>/<status>" in ModelLifeCycle
            stage, status = decision.split("/")
            package["ModelLifeCycle"] = {"Stage": stage, "StageStatus": status}
        self._touch(arn)

    def describe_package(self, arn: str, region: str) -> PackageSnapshot:
        return snapshot_from_describe(copy.deepcopy(self.packages[arn]))

    def record_decision(self, arn: str, region: str, *, lifecycle_stage: str | None, status: str, comment: str) -> None:
        """A decision govsync makes (a gate's `on_fail: reject`), as the deploy function's role."""
        self.decide(arn, status if lifecycle_stage is None else f"{lifecycle_stage}/{status}", by=GOVSYNC_ROLE)
        key = "ApprovalDescription" if lifecycle_stage is None else "StageDescription"
        target = self.packages[arn] if lifecycle_stage is None else self.packages[arn]["ModelLifeCycle"]
        target[key] = comment

    def group_tags(self, group_arn: str, region: str) -> dict[str, str]:
        return {}

    def list_groups(self, region: str):  # not used here
        return iter(())

    def list_packages(self, group_arn: str, region: str):
        return iter(())


@dataclass
class FakeQueue:
    sent: list[str] = field(default_factory=list)
    fail_next: bool = False  # the next send fails (after the change committed)
    configured: ClassVar[bool] = True

    def send_json(self, body: dict[str, Any]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RetryableError("SendMessage: throttled")
        self.sent.append(json.dumps(body, sort_keys=True))


@dataclass
class Later:
    """The deploy queue as a waiting kick uses it: the copy joins the requests still to be taken."""

    pending: list[str]

    def send_later(self, body: str, delay_seconds: int) -> None:
        self.pending.append(body)


@dataclass
class FakeDeadLetter:
    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, body: str, *, reason: str, event_id: str | None, message_id: str) -> None:
        self.sent.append((body, reason))


class FakeEndpoints(SageMakerEndpoint):
    """SageMaker endpoints as the kick sees them: created or updated to a config, InService later
    (when the test settles them); an endpoint still updating cannot be updated (retry later)."""

    def __init__(self, before_kick: Any = None) -> None:
        self.endpoints: dict[tuple[str, str], dict[str, Any]] = {}
        self.settling: list[tuple[str, str]] = []
        self.before_kick = before_kick
        self.kicks: list[tuple[str, int]] = []  # (stage, version) of every kick

    def kick(self, target: Target, spec: DeploySpec) -> KickResult:
        if self.before_kick is not None:
            self.before_kick(spec)
        self.kicks.append((spec.stage, spec.version))
        key = (target.account, spec.parameters["endpoint_name"])
        config = spec.parameters["endpoint_config"]["EndpointConfigName"]
        result = KickResult(endpoint_name=key[1], endpoint_config_name=config, role_arn=target.role_arn,
                            endpoint_arn=f"arn:aws:sagemaker:{REGION}:{target.account}:endpoint/{key[1]}")  # fmt: skip
        current = self.endpoints.get(key)
        if current is not None and current["config"] == config:
            return replace(result, endpoint_status=current["status"])
        if current is not None and current["status"] != "InService":
            raise EndpointBusy(f"endpoint {key[1]} is {current['status']}; cannot update it yet")
        if current is not None:
            result = replace(result, previous_version=current["version"])
        self.endpoints[key] = {"config": config, "version": spec.version, "package": spec.package_arn,
                               "stage": spec.stage, "status": "Updating" if current else "Creating"}  # fmt: skip
        self.settling.append(key)
        return result

    def serving(self, target: Target, group: str) -> int | None:
        current = self.endpoints.get((target.account, endpoint_name(group, target.stage)))
        return current["version"] if current else None


class Burst(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.registry = FakeRegistry()
        self.store = InMemoryStore()
        self.queue = FakeQueue()
        self.dead = FakeDeadLetter()
        self.endpoints = FakeEndpoints(before_kick=self._check_gates)
        self.sync = RegistrySync(settings=SETTINGS, registry=self.registry, store=self.store,
                                 dead_letter=self.dead, deploy_requests=self.queue)  # fmt: skip
        self.pending_deploys: list[str] = []
        # a kick that finds its endpoint updating comes back later: a copy of its request, to be taken again
        self.deploy = Deployments(settings=DEPLOY_SETTINGS, registry=self.registry, store=self.store,
                                  strategies={"sagemaker-endpoint": self.endpoints}, dead_letter=self.dead,
                                  gates=GATES, waits=Later(self.pending_deploys))  # fmt: skip
        self.status = DeploymentStatus(settings=STATUS_SETTINGS, store=self.store, dead_letter=self.dead)
        self.messages = itertools.count(1)
        self.failed: list[tuple[str, str]] = []  # (message id, body) of deliveries that failed, for SQS to retry
        self.taken = 0  # deploy requests sent so far that were put on the pending list

    # ------------------------------------------------------------------ the registry
    @rule(group=st.sampled_from(GROUPS))
    def register(self, group: str) -> None:
        self.registry.register(group)

    @precondition(lambda self: self.registry.packages)
    @rule(data=st.data(), decision=st.sampled_from(
        ["Approved", "Rejected", "Staging/Approved", "test/Rejected", "Production/Rejected", "Approved"]),
        by=st.sampled_from([OFFICER, OFFICER, REGISTRANT]))  # fmt: skip
    def decide(self, data: st.DataObject, decision: str, by: str) -> None:
        arn = data.draw(st.sampled_from(sorted(self.registry.packages)))
        self.registry.decide(arn, decision, by)

    # ------------------------------------------------------------------ deliveries, in any order
    @precondition(lambda self: self.registry.events)
    @rule(data=st.data(), duplicate=st.booleans())
    def deliver_event(self, data: st.DataObject, duplicate: bool) -> None:
        index = data.draw(st.integers(0, len(self.registry.events) - 1))
        arn = self.registry.events[index] if duplicate else self.registry.events.pop(index)
        self._deliver(arn)

    @precondition(lambda self: self.registry.events)
    @rule(data=st.data())
    def deliver_event_and_fail_to_send(self, data: st.DataObject) -> None:
        """The change commits, then handing on its deploy request fails: SQS will hand the message again."""
        self.queue.fail_next = True
        self._deliver(self.registry.events.pop(data.draw(st.integers(0, len(self.registry.events) - 1))))
        self.queue.fail_next = False

    @precondition(lambda self: self.failed)
    @rule(data=st.data())
    def redeliver_failed_message(self, data: st.DataObject) -> None:
        """SQS hands a failed message again, the same message (its earlier attempt may have committed)."""
        message_id, body = self.failed.pop(data.draw(st.integers(0, len(self.failed) - 1)))
        self._handle(body, message_id, receive_count=2)

    @precondition(lambda self: self.pending_deploys)
    @rule(data=st.data())
    def run_deploy_request(self, data: st.DataObject) -> None:
        self._run_deploy(data.draw(st.integers(0, len(self.pending_deploys) - 1)))

    @precondition(lambda self: self.endpoints.settling)
    @rule(data=st.data())
    def endpoint_in_service(self, data: st.DataObject) -> None:
        self._settle(data.draw(st.integers(0, len(self.endpoints.settling) - 1)))

    # ------------------------------------------------------------------ helpers
    def _gates(self, arn: str, stage: str) -> Any:
        """The gates' report on deploying the package into `stage`, from the records and registry now."""
        pkg = self.registry.describe_package(arn, REGION)
        return GATES.report(pkg, self.store.records.get((pkg.group, pkg.version), {}), stage, datetime.now(UTC))

    def _check_gates(self, spec: DeploySpec) -> None:
        """Every kick: each gate passes at that moment, and an officer decided on the package."""
        report = self._gates(spec.package_arn, spec.stage)
        assert report.passed, (spec.package_arn, spec.stage, report.reasons())
        assert spec.package_arn in self.registry.officer_decided, spec.package_arn

    def _deliver(self, arn: str) -> None:
        package = self.registry.packages[arn]
        detail = {"ModelPackageGroupName": package["ModelPackageGroupName"],
                  "ModelPackageVersion": package["ModelPackageVersion"], "ModelPackageArn": arn}  # fmt: skip
        body = json.dumps(
            delivered_event(MODEL_PACKAGE_STATE_CHANGE, detail, account=CENTRAL, region=REGION, resources=[arn])
        )
        self._handle(body, f"m-{next(self.messages)}", receive_count=1)

    def _handle(self, body: str, message_id: str, receive_count: int) -> None:
        try:
            self.sync.handle_message(body, message_id, receive_count)
        except RetryableError:
            self.failed.append((message_id, body))
        self._collect()

    def _collect(self) -> None:
        self.pending_deploys.extend(self.queue.sent[self.taken :])
        self.taken = len(self.queue.sent)

    def _run_deploy(self, index: int) -> None:
        body = self.pending_deploys.pop(index)
        try:
            self.deploy.handle_message(body, f"d-{next(self.messages)}")
        except RetryableError:
            self.pending_deploys.append(body)  # SQS hands it again after its visibility timeout

    def _settle(self, index: int) -> None:
        key = self.endpoints.settling.pop(index)
        endpoint = self.endpoints.endpoints[key]
        endpoint["status"] = "InService"
        group = endpoint["package"].split("/")[-2]
        self.status.apply(EndpointChange(
            event_id=f"e-{next(self.messages)}", account=key[0], region=REGION, time="2026-11-23T12:00:00+00:00",
            endpoint_name=key[1], endpoint_arn=None, endpoint_config_name=endpoint["config"], status="IN_SERVICE",
            failure_reason=None, package_arn=endpoint["package"], group=group, version=endpoint["version"],
            stage=endpoint["stage"], variants=("AllTraffic",),
        ))  # fmt: skip

    def drain(self) -> None:
        for _ in range(200):
            if self.registry.events:
                self._deliver(self.registry.events.pop(0))
            elif self.failed:
                self._handle(*reversed(self.failed.pop(0)), receive_count=2)
            elif self.endpoints.settling:
                self._settle(0)
            elif self.pending_deploys:
                self._run_deploy(0)
            else:
                return
        raise AssertionError("the burst did not drain")

    def teardown(self) -> None:
        self.drain()
        by_group: dict[str, list[dict[str, Any]]] = {}
        for package in self.registry.packages.values():
            by_group.setdefault(package["ModelPackageGroupName"], []).append(package)
        for group, packages in by_group.items():
            for stage in DEPLOYING:
                allowed = [p["ModelPackageVersion"] for p in packages
                           if deployable_in(snapshot_from_describe(p), stage, CONFIG)
                           and self._gates(p["ModelPackageArn"], stage).passed]  # fmt: skip
                served = self.endpoints.endpoints.get((ACCOUNTS[stage], endpoint_name(group, stage)))
                deployed = sorted(
                    v
                    for (g, v), records in self.store.records.items()
                    if g == group and stage in records and records[stage].deployment_status == "deployed"
                )
                if allowed:
                    # the endpoint serves the newest version the registry and the gates allow there (or a
                    # newer one the registry still allows, kicked while its gates passed), and its record says so
                    assert served is not None and served["version"] >= max(allowed), (group, stage, allowed, served)
                    assert served["version"] in allowed or any(
                        p["ModelPackageVersion"] == served["version"]
                        and deployable_in(snapshot_from_describe(p), stage, CONFIG)
                        for p in packages
                    ), (group, stage, served)
                    assert served["status"] == "InService"
                    assert deployed == [served["version"]], (group, stage, deployed)
                else:
                    assert len(deployed) <= 1, (group, stage, deployed)
        # one deploy request per decision
        assert not [body for body, n in Counter(self.queue.sent).items() if n > 1], self.queue.sent
        # one audit entry per real change of governance state, every chain whole
        for key, entries in self.store.audit.items():
            assert all(entry.changes for entry in entries), [e.action for e in entries if not e.changes]
            assert [e.seq for e in entries] == list(range(1, len(entries) + 1)), key
        assert not self.dead.sent, self.dead.sent


Burst.TestCase.settings = settings(
    max_examples=3000 if os.environ.get("GOVSYNC_EXPLORE") else 300,  # make explore: ten times as many
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestBurst = Burst.TestCase


def test_the_fake_strategy_is_the_real_one_but_for_its_calls():
    # the fake inherits the real spec and target checks: only kick and serving are replaced
    assert FakeEndpoints.spec is SageMakerEndpoint.spec
    assert FakeEndpoints.check_target is SageMakerEndpoint.check_target
    SageMakerEndpoint.check_target(StageTarget(account="333333333333"))


def test_a_repeated_rejection_after_the_stage_was_reopened_still_rolls_it_back():
    """A sequence the randomized burst found: v4 rejected in test, then production (the lifecycle moves
    on), then approved again in development (test reopens: a deployment is requested and kicked),
    then rejected in test once more. That last rejection is a new decision: test must not serve v4."""
    burst = Burst()
    fraud = [burst.registry.register("fraud") for _ in range(2)]

    def deliver(fail_to_send: bool = False) -> None:
        burst.queue.fail_next = fail_to_send
        burst._deliver(burst.registry.events.pop(0))
        burst.queue.fail_next = False

    def redeliver_failed() -> None:
        while burst.failed:
            message_id, body = burst.failed.pop(0)
            burst._handle(body, message_id, receive_count=2)

    deliver(fail_to_send=True), deliver(fail_to_send=True)
    burst.registry.decide(fraud[0], "Approved"), deliver(), redeliver_failed()
    burst.registry.decide(fraud[1], "Approved"), deliver()
    fraud += [burst.registry.register("fraud") for _ in range(2)]
    deliver(), deliver()
    while burst.pending_deploys:
        burst._run_deploy(0)
    burst.registry.decide(fraud[3], "test/Rejected"), deliver(fail_to_send=True)
    while burst.endpoints.settling:
        burst._settle(0)
    burst.registry.decide(fraud[3], "Production/Rejected"), deliver()
    burst.registry.decide(fraud[3], "Approved"), deliver(), redeliver_failed()
    burst._run_deploy(0)
    burst.registry.decide(fraud[3], "test/Rejected"), deliver()
    # every delivery drained, the endpoints serve what the registry allows (teardown checks it all)
    burst.teardown()
    assert burst.endpoints.endpoints[(ACCOUNTS["test"], endpoint_name("fraud", "test"))]["version"] == 2
