"""DueDatesFunction's service: on its schedule, approvals waiting past their risk tier's SLA are reminded
(once per period) and live models' periodic reviews are marked due and overdue (once each); and the review
decision people make through the API and the CLI.

Each change is the record's own, with its audit entry, so a re-run finds it made and tells nothing twice;
the notifications it implies (`approval-reminder`, `review-due`, `review-overdue`) are read off those
entries (`services.notifications`). Reads go through the table's indexes (pending records by stage and
status, live deployments by stage), never a Scan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import batched
from typing import Any

from govsync.domain import due_dates
from govsync.domain.due_dates import Cadence
from govsync.domain.errors import GovsyncError, Refused
from govsync.domain.identity import is_registrant
from govsync.domain.people import DECIDE, Person
from govsync.domain.records import PENDING, StageRecord
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.decisions import required_comment
from govsync.services.ports import Registry, Store, utc_now
from govsync.services.updates import Audit, update_stage_record

ACTOR = "govsync-due-dates"
READ_BATCH = 100  # live records read at a time (one BatchGetItem)


@dataclass
class DueDates:
    cadence: Cadence
    stages: tuple[str, ...]
    store: Store
    clock: Callable[[], datetime] = utc_now

    def run(self, now: datetime | None = None) -> dict[str, Any]:
        """One pass: remind what waits past its SLA, move live models' reviews on; what it did, counted."""
        now = now or self.clock()
        counts: Counter[str] = Counter()
        failures: list[dict[str, Any]] = []
        for stage in self.stages:
            for record in self.store.records_by_stage_status(stage, PENDING):
                counts["waiting"] += 1
                self._apply(record, "approval-reminder", lambda r: due_dates.remind(r, self.cadence, now), now,
                            counts, failures, counted="reminded")  # fmt: skip
        for record in self._live_in_final_stage():
            counts["live"] += 1
            before = record.review.state if record.review else None
            after = self._apply(record, "review-schedule", lambda r: self._advance(r, now), now, counts, failures)
            if after is not None and after.review is not None and after.review.state != before:
                counts[f"reviews_{after.review.state}"] += 1
        for name, value in counts.items():
            metrics.add_metric(name=f"DueDates{name.title().replace('_', '')}", unit=MetricUnit.Count, value=value)
        return {"as_of": now.isoformat(), **{k: counts[k] for k in COUNTS}, "failed": len(failures),
                "failures": failures}  # fmt: skip

    def _advance(self, record: StageRecord, now: datetime) -> StageRecord | None:
        return due_dates.advance_review(record, self.cadence, self.stages[-1], now)

    def _live_in_final_stage(self) -> Iterator[StageRecord]:
        final = self.stages[-1]
        for keys in batched(self.store.live_versions(final), READ_BATCH, strict=False):
            yield from self.store.records_at([(group, version, final) for group, version in keys])

    def _apply(
        self,
        record: StageRecord,
        action: str,
        change: Callable[[StageRecord], StageRecord | None],
        now: datetime,
        counts: Counter[str],
        failures: list[dict[str, Any]],
        counted: str = "",
    ) -> StageRecord | None:
        """Apply `change` to the record as the table holds it now (a decision may have come in since it
        was listed), where it changes the record as listed (most do not: no read, no write); one failure
        is counted and the pass goes on."""
        if change(record) is None:
            return None
        where = (record.model_group, record.model_version, record.model_stage)
        # judged as of `now` (a rehearsal's later time too); the entry is stamped with when it was written
        audit = Audit(f"{action}-{now.isoformat()}", ACTOR, action, self.clock().isoformat())
        try:
            written = update_stage_record(self.store, where, change, audit)
        except GovsyncError as exc:
            failures.append({"model_group": where[0], "model_version": where[1], "stage": where[2], "error": str(exc)})
            logger.error("due date not recorded", model_group=where[0], model_version=where[1], error=str(exc))
            return None
        if written is None:
            return None
        if counted:
            counts[counted] += 1
        return written[where[2]]


COUNTS = ("waiting", "reminded", "live", "reviews_scheduled", "reviews_due", "reviews_overdue")


@dataclass
class Reviews:
    """A person's periodic review of a live model, for every door (API, CLI)."""

    cadence: Cadence
    stages: tuple[str, ...]
    store: Store
    registry: Registry
    region: str
    identity_map: dict[str, str]
    clock: Callable[[], datetime] = utc_now

    def review(self, person: Person, group: str, version: int, comment: str) -> dict[str, Any]:
        """Record the review: who, their words, the next due date. Raises Refused: 403 not an approver or the
        version's registrant, 404 no such record, 409 not live in the last stage."""
        if (refusal := person.refusal(DECIDE)) is not None:
            raise Refused(403, refusal)
        comment = required_comment(comment)
        final = self.stages[-1]
        state = self.store.load_version(group, version)
        record = state.records.get(final)
        if record is None:
            raise Refused(404, f"no {final} record for {group} version {version}")
        if not due_dates.reviewed_by_due_date(record, final):
            raise Refused(409, f"{group} version {version} is not live in {final}: only a live model is reviewed")
        pkg = self.registry.describe_package(record.model_package_arn, self.region)
        if is_registrant(person, pkg.created_by, self.identity_map):
            raise Refused(403, f"separation of duties: {person.name} registered this version (CreatedBy "
                               f"{pkg.created_by}) and cannot review it")  # fmt: skip
        now = self.clock()
        audit = Audit(f"review-{now.isoformat()}", person.name, "review", now.isoformat())
        written = update_stage_record(
            self.store, (group, version, final),
            lambda r: due_dates.review_done(r, self.cadence, person.name, comment, now), audit,
        )  # fmt: skip
        review = (written or state.records)[final].review
        assert review is not None
        logger.info(
            "reviewed", model_group=group, model_version=version, by=person.name, next_review_due=review.next_review_due
        )
        metrics.add_metric(name="Reviews", unit=MetricUnit.Count, value=1)
        return {"model_group": group, "model_version": version, "stage": final, "review": review.to_json()}
