"""A "Model Deployment Requested" event on the stage's bus, for teams that deploy with their own
pipelines (their endpoint, tagged like ours, reports back through its state changes)."""

from __future__ import annotations

from typing import ClassVar

from govsync.adapters.eventbus import EventPublisher
from govsync.domain.kicks import DeploySpec, KickResult
from govsync.domain.package import PackageSnapshot
from govsync.domain.record_facts import TeardownResult
from govsync.domain.targets import StageTarget, Target
from govsync.strategies.base import Clients, base_spec, owned_by_the_team

DEPLOYMENT_REQUESTED = "Model Deployment Requested"


class EventBus:
    name: ClassVar[str] = "event"

    def __init__(self, clients: Clients) -> None:
        self._publisher = EventPublisher(clients.region)

    @staticmethod
    def check_target(target: StageTarget) -> None:
        """Any target will do: the bus defaults to the central account's default bus."""

    @staticmethod
    def spec(pkg: PackageSnapshot, target: Target) -> DeploySpec:
        return base_spec(pkg, target, {"event_bus_arn": target.event_bus_arn})

    def kick(self, target: Target, spec: DeploySpec) -> KickResult:
        detail = {
            "ModelPackageArn": spec.package_arn,
            "ModelPackageGroupName": spec.group,
            "ModelPackageVersion": spec.version,
            "Stage": spec.stage,
            "Account": target.account,
            "Region": target.region,
            "Tags": {t["Key"]: t["Value"] for t in spec.tags},
            "Artifacts": [
                {"source_uri": a.source_uri, "central_uri": a.central_uri, "checksum": a.checksum}
                for a in spec.artifacts
            ],
        }
        event_id = self._publisher.publish(target.event_bus_arn, DEPLOYMENT_REQUESTED, detail, [spec.package_arn])
        return KickResult(details={"event_bus_arn": target.event_bus_arn, "event_id": event_id})

    def serving(self, target: Target, group: str) -> int | None:
        """The team's own pipeline owns the endpoint: the records say what it serves."""
        return None

    def tear_down(self, target: Target, group: str, version: int) -> TeardownResult:
        return owned_by_the_team(target)
