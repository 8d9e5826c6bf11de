"""Use-case lifecycle service: after an approval, advance the use case if all its models allow it; and
the people's side: record a use case (in POC), advance or reject it by hand."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from govsync.domain.errors import ConcurrentChange, Refused
from govsync.domain.people import MANAGE_USE_CASES, Person
from govsync.domain.records import StageRecord
from govsync.domain.retirement import version_retired
from govsync.domain.usecases import UseCase, advance, all_models_retired, decided, initial_stage, recorded
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.decisions import required_comment
from govsync.services.ports import Store
from govsync.services.updates import retry_on_conflict


@dataclass
class UseCaseLifecycle:
    store: Store
    stage_map: dict[str, str]
    clock: Callable[[], datetime]

    def evaluate(self, record: StageRecord, *, trigger: str, actor: str) -> UseCase | None:
        """Create the use case on first sight, advance it as far as its models' approvals allow."""
        use_case_id = record.use_case_id
        if not use_case_id:
            return None

        def attempt() -> UseCase:
            current = self.store.load_use_case(use_case_id)
            base = current or UseCase(use_case_id, record.use_case_name, initial_stage(record.use_case_stage))
            tallies = self.store.use_case_tallies(use_case_id)
            after = advance(base, tallies, self.stage_map, trigger=trigger, actor=actor, at=self.clock().isoformat())
            if current is not None and after == current:
                return current
            self.store.save_use_case(after, None if current is None else current.seq)
            if after.stage != base.stage:
                logger.info("use case advanced", use_case_id=use_case_id, stage_from=base.stage, stage_to=after.stage)
                metrics.add_metric(name="UseCasesAdvanced", unit=MetricUnit.Count, value=1)
            return after

        return retry_on_conflict(attempt, what=f"use case {use_case_id}")

    def retire_if_all_retired(self, use_case_id: str, *, trigger: str, actor: str) -> UseCase | None:
        """Retire the use case once every version of its models is retired (read through its index)."""
        versions: dict[tuple[str, int], list[StageRecord]] = defaultdict(list)
        for record in self.store.records_by_use_case(use_case_id):
            versions[(record.model_group, record.model_version)].append(record)
        if not versions or not all(version_retired(records) for records in versions.values()):
            return None
        groups = [group for group, _ in versions]

        def attempt() -> UseCase | None:
            current = self.store.load_use_case(use_case_id)
            after = current and all_models_retired(current, groups, trigger=trigger, actor=actor,
                                                   at=self.clock().isoformat())  # fmt: skip
            if current is None or after is None:
                return current
            self.store.save_use_case(after, current.seq)
            logger.info("use case retired", use_case_id=use_case_id, stage_from=current.stage)
            metrics.add_metric(name="UseCasesRetired", unit=MetricUnit.Count, value=1)
            return after

        return retry_on_conflict(attempt, what=f"use case {use_case_id}")

    def record(
        self, person: Person, use_case_id: str, name: str, *, owner: str | None, lob: str | None,
        description: str | None,
    ) -> UseCase:  # fmt: skip
        """A new use case, in POC, its creation the first entry of its history."""
        if (refusal := person.refusal(MANAGE_USE_CASES)) is not None:
            raise Refused(403, refusal)
        use_case = recorded(use_case_id, name, owner=owner, lob=lob, description=description, actor=person.name,
                            at=self.clock().isoformat())  # fmt: skip
        try:
            self.store.save_use_case(use_case, None)
        except ConcurrentChange:
            raise Refused(409, f"use case {use_case_id} already exists") from None
        logger.info("use case recorded", use_case_id=use_case_id, by=person.name)
        return use_case

    def decide(
        self, person: Person, use_case_id: str, decision: str, comment: str, *, from_stage: str | None = None
    ) -> UseCase:
        """`advance` to the next stage or `reject` back to the one before, with the person's words.
        `from_stage`: the stage the person decided on; when the use case is no longer in it (the same
        decision sent twice, or someone else's first) the decision is refused with 409."""
        if (refusal := person.refusal(MANAGE_USE_CASES)) is not None:
            raise Refused(403, refusal)
        comment = required_comment(comment)

        def attempt() -> UseCase:
            current = self.store.load_use_case(use_case_id)
            if current is None:
                raise Refused(404, f"no use case {use_case_id!r}")
            if from_stage is not None and current.stage != from_stage:
                raise Refused(
                    409, f"use case {use_case_id} is in {current.stage}, not {from_stage}: it moved since you looked"
                )
            after = decided(current, decision, comment, actor=person.name, at=self.clock().isoformat())
            self.store.save_use_case(after, current.seq)
            logger.info("use case decided", use_case_id=use_case_id, decision=decision, stage_from=current.stage,
                        stage_to=after.stage, by=person.name)  # fmt: skip
            return after

        return retry_on_conflict(attempt, what=f"use case {use_case_id}")
