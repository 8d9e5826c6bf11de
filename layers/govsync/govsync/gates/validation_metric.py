"""Validation metric: a metric of the package's model-quality statistics report (ModelMetrics, as copied
to the central bucket and read into `model_validation_metrics`) is within its threshold, e.g.
`metric: auc, at_least: 0.8`. A metric the report does not have fails."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Self

from pydantic import Field, model_validator

from govsync.gates.rule import Check, Rule

if TYPE_CHECKING:
    from govsync.gates import GateContext


class ValidationMetric(Rule):
    rule: Literal["validation_metric"] = "validation_metric"
    metric: str = Field(min_length=1, max_length=200, description="the metric's name in the report")
    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _bound(self) -> Self:
        if self.at_least is None and self.at_most is None:
            raise ValueError("a validation_metric rule takes at_least, at_most or both")
        return self

    def bounds(self) -> str:
        parts = [f">= {self.at_least:g}" if self.at_least is not None else "",
                 f"<= {self.at_most:g}" if self.at_most is not None else ""]  # fmt: skip
        return " and ".join(p for p in parts if p)

    def check(self, context: GateContext) -> Check:
        record = context.record
        value = (record.model_validation_metrics if record else {}).get(self.metric)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return Check(False, f"the validation report has no numeric {self.metric} (want {self.bounds()})")
        low_ok = self.at_least is None or value >= self.at_least
        high_ok = self.at_most is None or value <= self.at_most
        if not (low_ok and high_ok):
            return Check(False, f"{self.metric} is {value:g}, want {self.bounds()}", value=f"{value:g}")
        return Check(True, f"{self.metric} is {value:g} ({self.bounds()})", value=f"{value:g}")
