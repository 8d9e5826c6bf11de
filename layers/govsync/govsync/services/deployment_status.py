"""Deployment status function's service: "SageMaker Endpoint State Change" events (forwarded from the
stage accounts) move the record they are tagged with: IN_SERVICE -> deployed, FAILED -> deploy_failed.

Correlation is by the endpoint's tags (package ARN and stage), checked against the stage's account
and the record's own deployment; an event for a deployment that is no longer current changes
nothing. Once a version is live, the versions it replaced on the endpoint are marked superseded.

In a stage with guardrails, the stage account is read as the event comes (its read role): an update's
progress from DescribeEndpoint, and on a rollback which rollback alarms are in ALARM. A read that fails
is logged and counted; the event is recorded without what it would have added. SageMaker reports an
update once, as it starts: while the read says it is under way, the report is read again every
`progress_check_seconds` (a copy of it, delayed, on the function's own queue), so that the record follows
the bake and the traffic shifting.
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
    progress_check,
    records_after_change,
    still_updating,
)
from govsync.domain.errors import GovsyncError
from govsync.domain.events import EventPolicy
from govsync.domain.guardrails import alarm_names, rollout_words
from govsync.domain.naming import version_resource_name
from govsync.domain.records import STATUSES, StageRecord
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.messages import Consumer, Message
from govsync.services.ports import AlarmSource, DelayedQueue, RolloutSource, Store
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
    rollouts: RolloutSource | None = None  # the stage accounts' endpoints and alarms (None: not read)
    alarms: AlarmSource | None = None
    checks: DelayedQueue | None = None  # the function's own queue: an update under way is read again later
    _policy: EventPolicy = field(init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._policy = self.settings.deploy_policy

    def handle_message(self, body: str, message_id: str, receive_count: int = 1) -> Outcome:
        def handle(message: Message) -> Outcome:
            change = self.observed(check_endpoint_event(message.envelope(), self._policy, self.targets))
            outcome = self.apply(change)
            if self.checks and still_updating(change, self.clock()):
                self._check_again(self.checks, message.body)
            return outcome

        return self.consume(
            Message(body, message_id, receive_count), handle, rejected=Outcome.REJECTED, what="endpoint event",
            metric="EndpointEventsRejected",
        )  # fmt: skip

    def observed(self, change: EndpointChange) -> EndpointChange:
        """The change with what the stage account says of an update under guardrails: its progress while
        UPDATING; on a rollback (ROLLING_BACK, or back in service on another version's config) the
        rollback alarms in ALARM."""
        target = self.targets[change.stage]
        alarms = alarm_names(target.auto_rollback_alarms, change.endpoint_name)
        own_config = version_resource_name(change.group, change.version, change.stage)
        back = change.status == "ROLLING_BACK" or (change.status == "IN_SERVICE" and change.endpoint_config_name
                                                   not in (None, own_config))  # fmt: skip
        reading_progress = change.status == "UPDATING" and (target.traffic or alarms) and self.rollouts
        if not (reading_progress or (back and alarms and self.alarms)):
            return change
        role_arn, external_id = (
            self.settings.stage_role_arn(target.account, self.settings.metrics_role_name),
            target.external_id,
        )
        try:
            if reading_progress and self.rollouts:
                phase = self.rollouts.pending(change.endpoint_name, role_arn=role_arn, region=change.region,
                                              external_id=external_id)  # fmt: skip
                if phase is None:  # no update under way (any more)
                    return change
                return replace(change, rollout=rollout_words(phase, target.traffic), rollout_config=phase.config_name)
            if self.alarms:
                tripped = self.alarms.in_alarm(alarms, role_arn=role_arn, region=change.region, external_id=external_id)
                return replace(change, tripped_alarms=tripped)
        except GovsyncError as exc:
            logger.warning("stage account not read: the event is recorded without it", error=str(exc))
            metrics.add_metric(name="StageReadsFailed", unit=MetricUnit.Count, value=1)
        return change

    def _check_again(self, checks: DelayedQueue, body: str) -> None:
        """The report again in `progress_check_seconds`; one that cannot be sent costs the event nothing."""
        seconds = self.settings.progress_check_seconds
        try:
            checks.send_later(progress_check(body), seconds)
            logger.info("update under way: read again later", in_seconds=seconds)
        except GovsyncError as exc:
            logger.warning("update under way: not read again (the next report will be)", error=str(exc))
            metrics.add_metric(name="ProgressChecksFailed", unit=MetricUnit.Count, value=1)

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
