"""Lineage: the version's recorded lineage says where the model came from. `require` names what it must
say: `source` (a SourceUri, a training job or an MLflow run: the default), `training` (a training job
or an MLflow run), `dataset`, `code` (a commit). See `govsync.domain.lineage`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from govsync.domain.lineage import from_package
from govsync.gates.rule import Check, Rule

if TYPE_CHECKING:
    from govsync.gates import GateContext

WORDS = {"source": "its source", "training": "its training job or MLflow run", "dataset": "its datasets",
         "code": "its code commit"}  # fmt: skip


class Lineage(Rule):
    rule: Literal["lineage"] = "lineage"
    require: tuple[Literal["source", "training", "dataset", "code"], ...] = Field(
        default=("source",), min_length=1, description="what the lineage must say"
    )

    def check(self, context: GateContext) -> Check:
        record = context.record
        lineage = record.lineage if record and record.lineage else from_package(context.package)
        missing = lineage.missing(self.require)
        if missing:
            lacks = ", ".join(WORDS[kind] for kind in missing)
            return Check(False, f"the version's lineage does not name {lacks}", value=", ".join(missing))
        said = ", ".join(WORDS[kind] for kind in self.require)
        return Check(True, f"the version's lineage names {said}", value=lineage.training_job or lineage.source_uri)
