"""What the services need of the world, as protocols: the governance store (the PynamoDB adapter
implements it, and so does the tests' in-memory fake), the registry, queues, a stage's deployer (each
deploy strategy of `govsync.strategies` is one)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from govsync.domain.audit import AuditEntry, StoredEntry
from govsync.domain.endpoint_metrics import MonitorStatus
from govsync.domain.guardrails import RolloutPhase
from govsync.domain.lineage_keys import LineageKey
from govsync.domain.monitoring import MetricsPoint, Window
from govsync.domain.package import ListedGroup, ListedPackage, PackageSnapshot
from govsync.domain.record_facts import TeardownResult
from govsync.domain.records import StageRecord
from govsync.domain.targets import Target
from govsync.domain.usecases import ModelTally, UseCase
from govsync.domain.version_state import Applied, VersionState

if TYPE_CHECKING:  # what a strategy is given and reports: only the deploy path loads it
    from govsync.domain.kicks import DeploySpec, KickResult


def utc_now() -> datetime:
    """The services' default clock."""
    return datetime.now(UTC)


class Store(Protocol):
    """The governance table."""

    def load_version(self, group: str, version: int) -> VersionState: ...

    def commit(
        self, state: VersionState, records: Iterable[StageRecord], entry: AuditEntry | None, source_version: str | None
    ) -> None:
        """Stage records + audit entry + head in one transaction, conditional on the head read in
        `state` (raise ConcurrentChange when someone wrote since). No entry: the head's mark moves, its
        chain stays."""
        ...

    def applied_versions(
        self, versions: Iterable[tuple[str, int]], first_stage: str
    ) -> dict[tuple[str, int], Applied]: ...
    def audit_entries(self, group: str, version: int) -> list[AuditEntry]: ...
    def audit_items(self, group: str, version: int, limit: int | None = None) -> list[StoredEntry]: ...
    def records_by_stage_status(self, stage: str, status: str, group: str | None = None) -> Iterator[StageRecord]: ...
    def records_by_use_case(self, use_case_id: str) -> Iterator[StageRecord]: ...
    def group_records_in_stage(
        self, group: str, stage: str, statuses: Iterable[str], versions: range, *, newest_first: bool = False
    ) -> Iterator[StageRecord]:
        """The group's records in `stage` with one of `statuses`, of `versions`, in version order, read
        lazily (a caller that stops early reads little)."""
        ...

    def all_records(self, stages: Iterable[str], group: str | None = None) -> Iterator[StageRecord]: ...
    def live_versions(self, stage: str) -> Iterator[tuple[str, int]]:
        """(group, version) of every live deployment in `stage`: O(live), not O(records)."""
        ...

    def records_at(self, keys: Iterable[tuple[str, int, str]]) -> list[StageRecord]: ...
    def versions_built_from(self, key: LineageKey) -> Iterator[tuple[str, int]]:
        """(group, version) of every version whose lineage ever held `key` (its records say if it still does)."""
        ...

    def use_case_tallies(self, use_case_id: str) -> list[ModelTally]:
        """The use case's tallies (written with the records: O(groups x stages), not O(versions))."""
        ...

    def count_record(self, record: StageRecord) -> bool:
        """Count a record written before the tallies existed (False: it was counted meanwhile)."""
        ...

    def load_use_case(self, use_case_id: str) -> UseCase | None: ...
    def save_use_case(self, use_case: UseCase, expected_seq: int | None) -> None:
        """Write the use case if nobody did since it was read (raise ConcurrentChange otherwise)."""
        ...

    def use_cases(self) -> Iterator[UseCase]: ...
    def use_case_stages(self, use_case_ids: Iterable[str]) -> dict[str, str]: ...
    def save_metrics_point(self, point: MetricsPoint, expires_at: datetime) -> None: ...
    def metrics_history(self, group: str, version: int, stage: str, since: str | None = None) -> list[MetricsPoint]: ...


class Registry(Protocol):
    """SageMaker Model Registry."""

    def describe_package(self, arn: str, region: str) -> PackageSnapshot: ...
    def group_tags(self, group_arn: str, region: str) -> dict[str, str]: ...
    def list_groups(self, region: str) -> Iterator[ListedGroup]: ...
    def list_packages(
        self, group_arn: str, region: str, start: str | None = None
    ) -> Iterator[tuple[list[ListedPackage], str | None]]:
        """Pages of the group's versions from `start`, each with the token of the next page."""
        ...


class RegistryDecisions(Protocol):
    """SageMaker Model Registry, where people's decisions are made."""

    def describe_package(self, arn: str, region: str) -> PackageSnapshot: ...
    def record_decision(self, arn: str, region: str, *, lifecycle_stage: str | None, status: str, comment: str) -> None:
        """Approve or reject (`status`: Approved | Rejected) the package's first stage (ModelApprovalStatus,
        `lifecycle_stage` None) or a later one (ModelLifeCycle), with the comment as its description."""
        ...


class MetricsSource(Protocol):
    """CloudWatch in the stage accounts."""

    calls: int  # GetMetricData calls made so far

    def latest_values(
        self, queries: list[dict[str, Any]], window: Window, *, role_arn: str, region: str, external_id: str | None
    ) -> dict[str, float]: ...


class MonitorSource(Protocol):
    """Model Monitor in the stage accounts."""

    def on_endpoints(
        self, endpoint_names: set[str], since: datetime, *, role_arn: str, region: str, external_id: str | None
    ) -> dict[str, list[MonitorStatus]]: ...


class RolloutSource(Protocol):
    """SageMaker endpoints in the stage accounts: the update under way on one."""

    def pending(
        self, endpoint_name: str, *, role_arn: str, region: str, external_id: str | None
    ) -> RolloutPhase | None: ...


class AlarmSource(Protocol):
    """CloudWatch alarms in the stage accounts."""

    def in_alarm(
        self, names: tuple[str, ...], *, role_arn: str, region: str, external_id: str | None
    ) -> tuple[str, ...]: ...


class DeadLetter(Protocol):
    def send(self, body: str, *, reason: str, event_id: str | None, message_id: str) -> None: ...


class Queue(Protocol):
    @property
    def configured(self) -> bool: ...

    def send_json(self, body: dict[str, Any]) -> None: ...


class DelayedQueue(Protocol):
    """A queue that takes a message to deliver later (SQS's DelaySeconds)."""

    def send_later(self, body: str, delay_seconds: int) -> None: ...


class Deployer(Protocol):
    """What the deploy service asks of a deploy strategy (`govsync.strategies.base.DeployStrategy`)."""

    def spec(self, pkg: PackageSnapshot, target: Target) -> DeploySpec:
        """The kick's parameters (pure: no AWS call)."""
        ...

    def kick(self, target: Target, spec: DeploySpec) -> KickResult:
        """Start the deployment; what it reports goes on the record's deployment."""
        ...

    def serving(self, target: Target, group: str) -> int | None:
        """The version the group's endpoint in the target serves now, where the strategy can tell."""
        ...

    def tear_down(self, target: Target, group: str, version: int) -> TeardownResult:
        """Delete what the stage serves, only while it serves `version` (domain.retirement)."""
        ...
