"""Model card: the package links a model card, and its status is `Approved`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from govsync.gates.rule import Check, Rule

if TYPE_CHECKING:
    from govsync.gates import GateContext


class ModelCard(Rule):
    rule: Literal["model_card"] = "model_card"

    def check(self, context: GateContext) -> Check:
        status = context.package.model_card_status
        if status is None:
            return Check(False, "the package links no model card", value="none")
        if status != "Approved":
            return Check(False, f"the model card is {status}, not Approved", value=status)
        return Check(True, "the model card is Approved", value=status)
