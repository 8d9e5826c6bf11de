"""What the policy gates said about a deployment into a stage (the rules themselves: `govsync.gates`):
each rule's outcome (pass, fail, skip), the value it saw and why, and the policy version that held.
Kept on the stage record the deployment goes to, in its audit entry, and answered by the API and CLI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class GateOutcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"  # the rule does not apply to this stage or risk tier


class OnFail(StrEnum):
    BLOCK = "block"  # the deployment waits until the cause is fixed
    REJECT = "reject"  # and govsync sets the registry's decision back to Rejected, with the reasons


@dataclass(frozen=True, slots=True)
class GateResult:
    rule: str
    outcome: GateOutcome
    reason: str  # in words a person reads: why it passed, failed or was skipped
    value: str | None = None  # the value the rule saw (a risk tier, a metric, the approvers)
    on_fail: OnFail = OnFail.BLOCK

    @property
    def failed(self) -> bool:
        return self.outcome is GateOutcome.FAIL

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rule": self.rule, "outcome": self.outcome.value, "reason": self.reason}
        if self.value is not None:
            data["value"] = self.value
        if self.failed:
            data["on_fail"] = self.on_fail.value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GateResult:
        value = data.get("value")
        return cls(
            rule=str(data["rule"]),
            outcome=GateOutcome(data["outcome"]),
            reason=str(data.get("reason") or ""),
            value=None if value is None else str(value),
            on_fail=OnFail(data.get("on_fail") or OnFail.BLOCK),
        )


# the check every policy starts with (govsync.gates.records_current): the records hold the registry's last change
RECORDS_CURRENT = "records_current"


@dataclass(frozen=True, slots=True)
class GateReport:
    """Every rule's result for one deployment into `stage`, under one policy version."""

    stage: str
    policy_version: str
    evaluated_at: str
    results: tuple[GateResult, ...] = field(default_factory=tuple)

    @property
    def failures(self) -> list[GateResult]:
        return [r for r in self.results if r.failed]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def waits_for_event(self) -> bool:
        """Only `records_current` fails: the version's last registry change is on its way (transient)."""
        return bool(self.failures) and all(r.rule == RECORDS_CURRENT for r in self.failures)

    @property
    def rejects(self) -> bool:
        """A failing rule asks for the registry's decision to be set back to Rejected."""
        return any(r.on_fail is OnFail.REJECT for r in self.failures)

    def reasons(self) -> str:
        """The failures in one sentence each, for a refusal, a log line or the registry's description."""
        return "; ".join(f"{r.rule}: {r.reason}" for r in self.failures)

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "policy_version": self.policy_version,
            "evaluated_at": self.evaluated_at,
            "passed": self.passed,
            "results": [r.to_json() for r in self.results],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> GateReport | None:
        if not data or not data.get("stage"):
            return None
        return cls(
            stage=str(data["stage"]),
            policy_version=str(data.get("policy_version") or ""),
            evaluated_at=str(data.get("evaluated_at") or ""),
            results=tuple(GateResult.from_json(r) for r in data.get("results") or ()),
        )
