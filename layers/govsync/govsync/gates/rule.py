"""The protocol every rule follows: a policy entry (a pydantic model: its own options, checked when the
policy is read) that knows which deployments it applies to and checks one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from govsync.domain.gate_results import OnFail
from govsync.domain.identity import canonical

if TYPE_CHECKING:
    from govsync.gates import GateContext


@dataclass(frozen=True, slots=True)
class Check:
    """A rule's answer: passed or not, why (in words), and the value it saw."""

    passed: bool
    reason: str
    value: str | None = None


class Rule(BaseModel):
    """One entry of the policy's `rules`: `rule` names the module; `stages` and `risk_tiers` narrow the
    deployments it applies to (empty: all); `on_fail` is what a failure does."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # built when a policy is read

    rule: str  # each rule narrows it to its own name (the policy tells rules apart by it)
    stages: tuple[str, ...] = Field(default=(), description="the stages deployed into that it applies to")
    risk_tiers: tuple[str, ...] = Field(default=(), description="the risk tiers it applies to")
    on_fail: OnFail = OnFail.BLOCK

    def skipped(self, stage: str, tier: str | None) -> str | None:
        """Why the rule does not apply to a deployment into `stage` of a version of risk tier `tier`
        (None: it applies). A version whose risk names no tier (`tier` None) is never left out."""
        if self.stages and stage not in self.stages:
            return f"applies to deployments into {', '.join(self.stages)}, not {stage}"
        if self.risk_tiers and tier is not None and canonical(tier) not in {canonical(t) for t in self.risk_tiers}:
            return f"applies to risk tiers {', '.join(self.risk_tiers)}, not {tier}"
        return None

    def check(self, context: GateContext) -> Check:
        raise NotImplementedError
