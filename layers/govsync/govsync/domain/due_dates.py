"""Due dates: the periodic review of every model live in the last stage, at a cadence set by its risk
tier, and reminders of approvals waiting longer than their tier's SLA.

- A record that goes live in the last stage is given its `review`: due `review_days[tier]` after it went
  live. The scheduled job marks it `due` from `notice_days` before that and `overdue` after; a review
  decision records who reviewed and why, and sets the next due date from then.
- A stage waiting for a decision longer than its tier's `sla_hours` is reminded once per SLA period
  (after 1x, 2x, ... the SLA), never twice for one period, however often the job runs.

A tier with no cadence of its own (an unrated version, a tier the settings leave out) takes the shortest
one configured: an unknown risk is treated as the highest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from govsync.domain.approvals import risk_tier
from govsync.domain.deployment import DeployState
from govsync.domain.record_facts import DUE, OVERDUE, SCHEDULED, Reminder, Review
from govsync.domain.records import PENDING, StageRecord

DEFAULT_REVIEW_DAYS: dict[str, int] = {"high": 90, "medium": 180, "low": 365}
DEFAULT_SLA_HOURS: dict[str, int] = {"high": 24, "medium": 72, "low": 168}
DEFAULT_NOTICE_DAYS = 14


@dataclass(frozen=True, slots=True)
class Cadence:
    """How often live models are reviewed and how long an approval may wait, per risk tier."""

    review_days: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_REVIEW_DAYS))
    sla_hours: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_SLA_HOURS))
    notice_days: int = DEFAULT_NOTICE_DAYS

    @staticmethod
    def _for(table: Mapping[str, int], risk: str | None) -> int:
        """The tier's value (tiers compared as `approvals.risk_tier` compares them), else the shortest."""
        tier = risk_tier(risk, tuple(table))
        return table[tier] if tier is not None else min(table.values())

    def review_every(self, risk: str | None) -> int:
        return self._for(self.review_days, risk)

    def sla(self, risk: str | None) -> int:
        return self._for(self.sla_hours, risk)


def waiting_since(record: StageRecord) -> str:
    """When the stage began to wait: its deployment's request (promoted into it), else the registry's last
    change of the version."""
    return record.deployment.requested_at or record.registry_last_modified


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def review_state(due: str, now: datetime, notice_days: int) -> str:
    """Where a review due at `due` stands at `now`."""
    at = _at(due)
    if now > at:
        return OVERDUE
    return DUE if now >= at - timedelta(days=notice_days) else SCHEDULED


def reviewed_by_due_date(record: StageRecord, final_stage: str) -> bool:
    """Whether the record is one that periodic review covers: live in the last stage."""
    return record.model_stage == final_stage and record.deployment.status is DeployState.LIVE


def schedule_review(record: StageRecord, cadence: Cadence, final_stage: str, now: datetime) -> StageRecord:
    """The record with its first review scheduled, when it is live in the last stage and has none yet:
    due one cadence after it went live."""
    if record.review is not None or not reviewed_by_due_date(record, final_stage):
        return record
    every = cadence.review_every(record.model_risk)
    live_since = _at(record.deployment.deployed_at) if record.deployment.deployed_at else now
    due = (live_since + timedelta(days=every)).isoformat()
    return replace(record, review=Review(due, review_state(due, now, cadence.notice_days), every))


def advance_review(record: StageRecord, cadence: Cadence, final_stage: str, now: datetime) -> StageRecord | None:
    """The record with its review scheduled (if missing) and its state at `now`; None when nothing moves."""
    scheduled = schedule_review(record, cadence, final_stage, now)
    review = scheduled.review
    if review is None or not reviewed_by_due_date(record, final_stage):
        return None
    state = review_state(review.next_review_due, now, cadence.notice_days)
    updated = scheduled if state == review.state else replace(scheduled, review=replace(review, state=state))
    return None if updated == record else updated


def review_done(record: StageRecord, cadence: Cadence, by: str, comment: str, now: datetime) -> StageRecord:
    """A review decision: who reviewed, their words, and the next due date one cadence from now."""
    every = cadence.review_every(record.model_risk)
    due = (now + timedelta(days=every)).isoformat()
    review = Review(due, review_state(due, now, cadence.notice_days), every, now.isoformat(), by, comment)
    return replace(record, review=review)


def remind(record: StageRecord, cadence: Cadence, now: datetime) -> StageRecord | None:
    """The record with one more reminder, when it has waited into an SLA period not reminded yet; None
    otherwise (not waiting, within its SLA, or this period reminded already)."""
    if record.model_status != PENDING:
        return None
    since = waiting_since(record)
    try:
        waited = now - _at(since)
    except ValueError:
        return None
    hours = cadence.sla(record.model_risk)
    periods = int(waited / timedelta(hours=hours))
    sent = record.approval_reminder.count if record.approval_reminder and record.approval_reminder.since == since else 0
    if periods <= sent:
        return None
    return replace(record, approval_reminder=Reminder(since, periods, now.isoformat(), hours))
