"""Metadata complete: the governance attributes a decision rests on were found on the model card, the
package's metadata or the group's tags. `keys` names them (default: every metadata key but
`UseCaseStage`: a version's use-case stage is its use case's, which govsync keeps)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from govsync.gates.rule import Check, Rule

if TYPE_CHECKING:
    from govsync.gates import GateContext

USE_CASE_STAGE = "UseCaseStage"


class MetadataComplete(Rule):
    rule: Literal["metadata_complete"] = "metadata_complete"
    keys: tuple[str, ...] | None = Field(default=None, min_length=1, description="the metadata keys that must be set")

    def check(self, context: GateContext) -> Check:
        record = context.record
        wanted = self.keys or tuple(k for k in context.config.metadata_keys.values() if k != USE_CASE_STAGE)
        missing = [key for key in (record.metadata_missing if record else wanted) if key in wanted]
        if missing:
            return Check(False, f"the version's metadata lacks {', '.join(missing)}", value=", ".join(missing))
        return Check(True, f"{', '.join(wanted)} are set")
