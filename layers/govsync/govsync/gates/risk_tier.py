"""Risk tier: the version's ModelRisk names one of the configured tiers, compared after Unicode NFKC
normalisation and case folding. Anything else (a homoglyph, an invisible character, nothing) fails with
the value shown as it is, escapes and all: it is never taken for a lower tier."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from govsync.gates.rule import Check, Rule

if TYPE_CHECKING:
    from govsync.gates import GateContext


class RiskTier(Rule):
    rule: Literal["risk_tier"] = "risk_tier"

    def check(self, context: GateContext) -> Check:
        value, tier = context.risk_value, context.risk_tier
        tiers = ", ".join(context.approvals.risk_tiers)
        if tier is None:
            shown = ascii(value) if value else "nothing"
            return Check(False, f"ModelRisk {shown} is not one of the risk tiers ({tiers})", value=shown)
        return Check(True, f"ModelRisk names the risk tier {tier}", value=tier)
