"""Metadata complete: every governance attribute (use case, owner, line of business, project, risk) was
found on the model card, the package's metadata or the group's tags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from govsync.gates.rule import Check, Rule

if TYPE_CHECKING:
    from govsync.gates import GateContext


class MetadataComplete(Rule):
    rule: Literal["metadata_complete"] = "metadata_complete"

    def check(self, context: GateContext) -> Check:
        record = context.record
        missing = record.metadata_missing if record else ("every key",)
        if missing:
            return Check(False, f"the version's metadata lacks {', '.join(missing)}", value=", ".join(missing))
        return Check(True, "every governance attribute is set")
