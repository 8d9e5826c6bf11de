"""Retiring a version's stage: a person's retirement through the API or the CLI (the registry's own, an
`Archived` lifecycle, comes through the registry sync), and the teardown the deploy function does in the
stage's account. The endpoint goes only while it still serves the retired version; the record keeps what
became of it, audited and told (`retired`); a use case whose models are all retired is retired too."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from govsync.domain.deploy_requests import DeployRequest, open_requests
from govsync.domain.deployment import Action
from govsync.domain.errors import PermanentAwsError, Refused
from govsync.domain.people import DECIDE, Person
from govsync.domain.record_facts import Teardown, TeardownResult
from govsync.domain.records import StageRecord
from govsync.domain.retirement import retire, torn_down
from govsync.domain.targets import Target
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.decisions import required_comment
from govsync.services.ports import Deployer, Queue, Store, utc_now
from govsync.services.updates import Audit, update_stage_record

ACTOR = "govsync-deploy"


class UseCaseRetirement(Protocol):
    """What retiring needs of the use-case lifecycle (`services.use_cases.UseCaseLifecycle`)."""

    def retire_if_all_retired(self, use_case_id: str, *, trigger: str, actor: str) -> object: ...


@dataclass
class Teardowns:
    """The deploy function's side: tear down what a retired stage serves, once."""

    store: Store
    strategies: Mapping[str, Deployer]
    targets: Mapping[str, Target]
    clock: Callable[[], datetime] = utc_now

    def tear_down(self, request: DeployRequest) -> bool:
        """The request's stage torn down (or found serving another version, or with nothing deployed); False
        when no teardown waits on the record (done already: a redelivery)."""
        group, version, stage = request.model_group, request.model_version, request.stage
        record = self.store.load_version(group, version).records.get(stage)
        if record is None or record.retirement is None or record.retirement.teardown is not Teardown.REQUESTED:
            logger.info("teardown already done", model_group=group, model_version=version, stage=stage)
            return False
        target = self.targets.get(stage)
        strategy = self.strategies.get(target.strategy) if target else None
        if target is None or strategy is None:
            result = TeardownResult(Teardown.NOT_SUPPORTED, f"stage {stage} has no deployment target")
        else:
            try:
                result = strategy.tear_down(target, group, version)
            except PermanentAwsError as exc:  # a transient error raises: the message is retried
                result = TeardownResult(Teardown.FAILED, f"the teardown in {target.account} failed: {exc}")
        now = self.clock().isoformat()
        audit = Audit(request.event_id or f"teardown-{now}", ACTOR, "teardown", now)
        update_stage_record(self.store, (group, version, stage), lambda r: torn_down(r, result, now), audit)
        logger.info("retired stage torn down", model_group=group, model_version=version, stage=stage,
                    teardown=result.state.value, result=result.words)  # fmt: skip
        metrics.add_metric(name=f"Teardown{result.state.value.title().replace('_', '')}", unit=MetricUnit.Count,
                           value=1)  # fmt: skip
        return True


@dataclass
class Retirements:
    """A person's retirement of one stage of a version, for every door (API, CLI)."""

    stages: tuple[str, ...]
    store: Store
    deploy_requests: Queue
    use_cases: UseCaseRetirement | None = None
    clock: Callable[[], datetime] = utc_now

    def retire(self, person: Person, group: str, version: int, stage: str, comment: str) -> dict[str, Any]:
        """Retire the stage (its teardown asked of the deploy function). Raises Refused: 403 not an approver,
        400 no comment, 404 no such stage or record, 409 retired already (a teardown still waiting is asked
        for again)."""
        if (refusal := person.refusal(DECIDE)) is not None:
            raise Refused(403, refusal)
        comment = required_comment(comment)
        if stage not in self.stages:
            raise Refused(404, f"no stage {stage!r} (stages: {', '.join(self.stages)})")
        record = self.store.load_version(group, version).records.get(stage)
        if record is None:
            raise Refused(404, f"no {stage} record for {group} version {version}")
        retired = record.retirement
        if retired is not None and retired.teardown is not Teardown.REQUESTED:
            raise Refused(409, f"{group} version {version} is retired in {stage} already (by {retired.by} at "
                               f"{retired.at}; teardown: {retired.result or retired.teardown.value})")  # fmt: skip
        if retired is None:
            now = self.clock().isoformat()
            event_id = f"retire-{group}-{version}-{stage}-{now}"
            audit = Audit(event_id, person.name, "retired", now)
            written = update_stage_record(
                self.store, (group, version, stage),
                lambda r: None if r.retirement else retire(r, by=person.name, at=now, door="govsync",
                                                           comment=comment, event_id=event_id, message_id=None),
                audit,
            )  # fmt: skip
            record = (written or self.store.load_version(group, version).records)[stage]
            if written is not None:  # (None: a concurrent retirement got there first; its own stands)
                logger.info("stage retired", model_group=group, model_version=version, stage=stage, by=person.name)
                metrics.add_metric(name="Retirements", unit=MetricUnit.Count, value=1)
                self._retire_use_case(record, event_id, person.name)
        self._send_teardown(record)
        assert record.retirement is not None
        return {"model_group": group, "model_version": version, "stage": stage,
                "retirement": record.retirement.to_json()}  # fmt: skip

    def _send_teardown(self, record: StageRecord) -> None:
        """Ask the deploy function for the teardown the record waits on (a repeat is skipped there)."""
        for request in open_requests({record.model_stage: record}):
            if request.action is Action.RETIRE and self.deploy_requests.configured:
                self.deploy_requests.send_json(request.to_json())

    def _retire_use_case(self, record: StageRecord, trigger: str, actor: str) -> None:
        if self.use_cases is not None and record.use_case_id:
            self.use_cases.retire_if_all_retired(record.use_case_id, trigger=trigger, actor=actor)
