"""Reports: the package's ModelMetrics include the named kinds of report (`bias`, `explainability`, or a
report's folder name such as `bias-post-training-report`), each copied to the central bucket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from govsync.domain.artifacts import COPIED, REPORT
from govsync.gates.rule import Check, Rule

if TYPE_CHECKING:
    from govsync.gates import GateContext

# a kind of report -> the report folders that are one of it
KINDS = {
    "bias": ("bias-report", "bias-pre-training-report", "bias-post-training-report"),
    "explainability": ("explainability-report",),
    "model-quality": ("model-quality-statistics",),
    "data-quality": ("data-quality-statistics",),
}


class Reports(Rule):
    rule: Literal["reports"] = "reports"
    reports: tuple[str, ...] = Field(default=("bias", "explainability"), min_length=1)

    def check(self, context: GateContext) -> Check:
        record = context.record
        copied = {a.name.removeprefix("report/") for a in (record.artifacts if record else ()) if a.kind == REPORT
                  and a.status == COPIED}  # fmt: skip
        missing = [kind for kind in self.reports if not copied & set(KINDS.get(kind, (kind,)))]
        if missing:
            return Check(False, f"no {', '.join(missing)} report copied for this version", value=", ".join(missing))
        return Check(True, f"{', '.join(self.reports)} report(s) present and copied", value=", ".join(sorted(copied)))
