"""Deployment status function's service: "SageMaker Endpoint State Change" events (forwarded from the
stage accounts) move the record they are tagged with: IN_SERVICE -> deployed, FAILED -> deploy_failed.

Correlation is by the endpoint's tags (package ARN and stage), checked against the stage's account
and the record's own deployment; an event for a deployment that is no longer current changes
nothing. Once a version is live, the versions it replaced on the endpoint are marked superseded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from govsync.domain.deployment import DeployState, superseded
from govsync.domain.due_dates import schedule_review
from govsync.domain.endpoint_events import (
    SAGEMAKER,
    EndpointChange,
    check_endpoint_event,
    records_after_change,
)
from govsync.domain.events import EventPolicy
from govsync.domain.records import STATUSES, StageRecord
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.messages import Consumer, Message
from govsync.services.ports import Store
from govsync.services.updates import Audit, update_records
from govsync.settings import StatusSettings

ACTOR = "govsync-deployment-status"


class Outcome(StrEnum):
    UPDATED = "updated"
    IGNORED = "ignored"
    REJECTED = "rejected"


@dataclass(kw_only=True)
class DeploymentStatus(Consumer):
    settings: StatusSettings
    _policy: EventPolicy = field(init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._policy = self.settings.deploy_policy

    def handle_message(self, body: str, message_id: str, receive_count: int = 1) -> Outcome:
        def handle(message: Message) -> Outcome:
            return self.apply(check_endpoint_event(message.envelope(), self._policy, self.targets))

        return self.consume(
            Message(body, message_id, receive_count), handle, rejected=Outcome.REJECTED, what="endpoint event",
            metric="EndpointEventsRejected",
        )  # fmt: skip

    def apply(self, change: EndpointChange) -> Outcome:
        logger.append_keys(model_group=change.group, model_version=change.version, stage=change.stage,
                           endpoint_status=change.status)  # fmt: skip

        now = self.now()

        def audit(after: dict[str, StageRecord]) -> Audit:
            if after[change.stage].deployment.rolled_back_by == SAGEMAKER:  # SageMaker did it, not govsync
                return Audit(change.event_id, SAGEMAKER, "rolled-back-by-sagemaker", now)
            return Audit(change.event_id, ACTOR, f"endpoint-{change.status.lower()}", now)

        after = update_records(self.store, change.group, change.version, lambda r: self._after(r, change), audit)
        if after is None:
            logger.info("endpoint event changes nothing", endpoint_name=change.endpoint_name)
            return Outcome.IGNORED
        record = after[change.stage]
        logger.info(
            "deployment status updated", model_status=record.model_status, deployment_status=record.deployment_status
        )
        metrics.add_metric(name=f"Endpoint{change.status.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
        if record.deployment.status is DeployState.LIVE:
            self._supersede(change, record.deployment.previous_version)
        return Outcome.UPDATED

    def _after(self, records: dict[str, StageRecord], change: EndpointChange) -> dict[str, StageRecord] | None:
        """The records after the endpoint's change; live in the last stage, with its first review scheduled."""
        after = records_after_change(records, change)
        final = self.settings.stages[-1]
        if after is None or change.stage != final:
            return after
        return {**after, final: schedule_review(after[final], self.settings.cadence, final, self.clock())}

    def _supersede(self, change: EndpointChange, previous: int | None) -> None:
        replaced = Replacement(change.endpoint_name, previous, change.version)
        supersede_previous(self.store, change.group, change.stage, replaced, event_id=change.event_id, actor=ACTOR,
                           now=self.now())  # fmt: skip


@dataclass(frozen=True, slots=True)
class Replacement:
    """`by_version` went live on `endpoint_name`, replacing `previous` there."""

    endpoint_name: str
    previous: int | None  # what the endpoint ran when `by_version` was kicked, if anything
    by_version: int


def supersede_previous(
    store: Store, group: str, stage: str, replaced: Replacement, *, event_id: str, actor: str, now: str
) -> None:
    """Once a version is live on the endpoint, every older version still live there is superseded: the
    one it replaced, and any that went live while it was being deployed (in a burst, a version kicked
    before an earlier one was live names the one before that as replaced). Their decisions stand (they
    stay rollback candidates)."""

    def retire(records: dict[str, StageRecord]) -> dict[str, StageRecord] | None:
        record = records.get(stage)
        if record is None or record.deployment.endpoint_name != replaced.endpoint_name:
            return None
        updated = superseded(record.deployment, replaced.by_version, now)
        return None if updated is None else {**records, stage: replace(record, deployment=updated)}

    # the version it replaced superseded every older one when it went live: only versions from it on can
    # still be live there (all of them on an endpoint's first deployment)
    live = {
        record.model_version
        for record in store.group_records_in_stage(
            group, stage, STATUSES, range(replaced.previous or 0, replaced.by_version)
        )
        if record.deployment.status is DeployState.LIVE and record.deployment.endpoint_name == replaced.endpoint_name
    }
    replaced_versions = live | ({replaced.previous} if replaced.previous is not None else set())
    for version in sorted(replaced_versions - {replaced.by_version}):  # (a shadow's removal: the same version)
        update_records(store, group, version, retire, Audit(event_id, actor, "superseded", now))
