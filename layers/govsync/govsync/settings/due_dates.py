"""The settings of due dates: how often live models are reviewed, how long ahead a review is marked due,
and how long an approval may wait before its approvers are reminded, per risk tier."""

from __future__ import annotations

from pydantic import field_validator

from govsync.domain.due_dates import DEFAULT_NOTICE_DAYS, DEFAULT_REVIEW_DAYS, DEFAULT_SLA_HOURS, Cadence
from govsync.settings.blocks import StageChain
from govsync.settings.declare import setting


class DueDateRules(StageChain):
    """Periodic review and approval reminders, per risk tier (a tier not named takes the shortest)."""

    review_days: dict[str, int] = setting(
        "GOVSYNC_REVIEW_EVERY_DAYS", "risk tier -> days between a live model's periodic reviews (JSON)",
        lambda: dict(DEFAULT_REVIEW_DAYS), reading="json",
    )  # fmt: skip
    review_notice_days: int = setting(
        "GOVSYNC_REVIEW_NOTICE_DAYS", "how many days before its date a review is marked due", DEFAULT_NOTICE_DAYS,
        ge=0, le=365,
    )  # fmt: skip
    approval_sla_hours: dict[str, int] = setting(
        "GOVSYNC_APPROVAL_SLA_HOURS",
        "risk tier -> hours an approval may wait before its approvers are reminded, once per such period (JSON)",
        lambda: dict(DEFAULT_SLA_HOURS), reading="json",
    )  # fmt: skip

    @field_validator("review_days", "approval_sla_hours")
    @classmethod
    def _per_tier(cls, value: dict[str, int]) -> dict[str, int]:
        if not value:
            raise ValueError("name at least one risk tier")
        bad = sorted(tier for tier, n in value.items() if isinstance(n, bool) or not isinstance(n, int) or n < 1)
        if bad:
            raise ValueError(f"tiers {bad}: each takes a whole number of at least 1")
        return value

    @property
    def cadence(self) -> Cadence:
        return Cadence(self.review_days, self.approval_sla_hours, self.review_notice_days)
