"""Use-case lifecycle service: after an approval, advance the use case if all its models allow it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from govsync.domain.records import StageRecord
from govsync.domain.usecases import UseCase, advance, initial_stage
from govsync.observability import MetricUnit, logger, metrics
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
            records = list(self.store.records_by_use_case(use_case_id))
            after = advance(base, records, self.stage_map, trigger=trigger, actor=actor, at=self.clock().isoformat())
            if current is not None and after == current:
                return current
            self.store.save_use_case(after, None if current is None else current.seq)
            if after.stage != base.stage:
                logger.info("use case advanced", use_case_id=use_case_id, stage_from=base.stage, stage_to=after.stage)
                metrics.add_metric(name="UseCasesAdvanced", unit=MetricUnit.Count, value=1)
            return after

        return retry_on_conflict(attempt, what=f"use case {use_case_id}")
