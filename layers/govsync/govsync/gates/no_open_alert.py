"""No open alert: the version has no open monitoring alert in the stage it was approved in (the stage
below the one it is deployed into)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from govsync.gates.rule import Check, Rule

if TYPE_CHECKING:
    from govsync.gates import GateContext


class NoOpenAlert(Rule):
    rule: Literal["no_open_alert"] = "no_open_alert"

    def check(self, context: GateContext) -> Check:
        record = context.records.get(context.approved_in)
        alert = record.monitoring_alert if record else None
        if alert is not None:
            breaches = "; ".join(f"{b.metric} {b.value} over {b.threshold}" for b in alert.breaches)
            return Check(False, f"an alert is open in {context.approved_in} since {alert.since}: {breaches}",
                         value=breaches)  # fmt: skip
        return Check(True, f"no alert is open in {context.approved_in}")
