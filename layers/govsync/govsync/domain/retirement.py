"""Retirement: a version taken out of service in a stage. It comes from the registry (the package's
ModelLifeCycle stage set to `Archived`: every stage of the version) or from a person (the API or the
CLI: one stage). The stage's decision becomes `retired` at once; what it serves is then torn down by the
deploy function in the stage's account (its endpoint deleted with its config and model, **only while the
endpoint still serves this version**), and the record keeps the teardown's result.

The teardown request rides on the record as deploy requests do (`domain.deploy_requests`): it is sent
by whoever made the change, again on a redelivery, and taken once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from govsync.domain.deployment import DeployState
from govsync.domain.package import PackageSnapshot
from govsync.domain.record_facts import Retirement, Teardown, TeardownResult
from govsync.domain.records import REJECTED, RETIRED, StageRecord

ARCHIVED = "archived"  # the ModelLifeCycle stage that retires the whole version (compared case-insensitively)


def archived(pkg: PackageSnapshot) -> bool:
    """Whether the registry retires the version: its ModelLifeCycle stage is `Archived`."""
    return pkg.lifecycle is not None and pkg.lifecycle.stage.strip().casefold() == ARCHIVED


def retire(
    record: StageRecord, *, by: str, at: str, door: str, comment: str | None, event_id: str, message_id: str | None
) -> StageRecord:
    """The stage retired: its decision `retired`, its teardown requested where anything was deployed."""
    deployed = record.deployment.status is not None and record.deployment.status is not DeployState.REFUSED
    retirement = Retirement(
        by, at, door, comment, Teardown.REQUESTED if deployed else Teardown.NOTHING_DEPLOYED,
        result=None if deployed else f"nothing was deployed in {record.model_stage}",
        done_at=None if deployed else at,
        requested_by_event=event_id if deployed else None, requested_by_message=message_id if deployed else None,
    )  # fmt: skip
    return replace(record, model_status=RETIRED, retirement=retirement)


def retire_archived(
    records: Mapping[str, StageRecord], pkg: PackageSnapshot, *, at: str, event_id: str, message_id: str | None
) -> dict[str, StageRecord]:
    """Every stage of an archived version retired (those retired already keep their retirement)."""
    words = pkg.lifecycle.stage_description if pkg.lifecycle else None
    return {
        stage: record if record.retirement is not None else retire(
            record, by=pkg.actor, at=at, door="registry", comment=words, event_id=event_id, message_id=message_id
        )
        for stage, record in records.items()
    }  # fmt: skip


def torn_down(record: StageRecord, result: TeardownResult, now: str) -> StageRecord | None:
    """The record after its teardown (None: no teardown waits on it). Torn down, its deployment is
    `retired` (no longer live, so no longer measured or reviewed)."""
    retirement = record.retirement
    if retirement is None or retirement.teardown is not Teardown.REQUESTED:
        return None
    done = replace(retirement, teardown=result.state, result=result.words, done_at=now,
                   endpoint_name=result.endpoint_name)  # fmt: skip
    deployment = record.deployment
    if result.state is Teardown.TORN_DOWN:
        deployment = replace(deployment, status=DeployState.RETIRED, endpoint_status="DELETED")
    return replace(record, retirement=done, deployment=deployment)


def version_retired(records: Iterable[StageRecord]) -> bool:
    """A version counts as retired when each of its stages is retired or rejected, and one at least retired."""
    statuses = {record.model_status for record in records}
    return RETIRED in statuses and statuses <= {RETIRED, REJECTED}
