"""Lineage: the package says where the model came from (its SourceUri: a training job, a pipeline, a
source location)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from govsync.gates.rule import Check, Rule

if TYPE_CHECKING:
    from govsync.gates import GateContext


class Lineage(Rule):
    rule: Literal["lineage"] = "lineage"

    def check(self, context: GateContext) -> Check:
        source = context.package.source_uri
        if not source:
            return Check(False, "the package names no source (SourceUri): its lineage is unknown")
        return Check(True, "the package names its source", value=source)
