"""The governance table's lineage index (part of `adapters.store.GovernanceStore`): which versions were
built from a dataset, a commit, a training job or an MLflow run, answered through the by_stage_status
index, never a Scan.

Each key a version's lineage holds (`domain.lineage_keys.LineageKey`) is one item in the version's
partition, `LINEAGE#<digest>`, listed under `LINEAGE#<digest>` and sorted by `model_ref`. Items are only
ever added (no role may delete): a key the lineage no longer holds stays in the index, so a reader
keeps only the versions whose recorded lineage still holds the key (`services.queries`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PynamoDBException

from govsync.adapters.dynamodb_errors import failure
from govsync.adapters.dynamodb_items import ByStageStatus, GovernanceItem, model_ref, version_of, version_pk
from govsync.domain.lineage_keys import LineageKey
from govsync.domain.records import StageRecord
from govsync.domain.version_state import VersionState

LINEAGE_PREFIX = "LINEAGE#"


class LineageItem(GovernanceItem, discriminator="lineage"):
    listing = ByStageStatus["LineageItem"]()
    stage_status = UnicodeAttribute()  # LINEAGE#<digest>: the listing's key
    model_ref = UnicodeAttribute()
    lineage_kind = UnicodeAttribute()
    lineage_value = UnicodeAttribute()  # canonical


def lineage_items(state: VersionState, records: Iterable[StageRecord]) -> list[LineageItem]:
    """The index items a change adds: the keys its records' lineage holds that the version's did not."""
    before = {key for record in state.records.values() if record.lineage for key in record.lineage.index_keys()}
    after = {key for record in records if record.lineage for key in record.lineage.index_keys()}
    return [
        LineageItem(
            version_pk(state.group, state.version),
            LINEAGE_PREFIX + key.digest,
            stage_status=LINEAGE_PREFIX + key.digest,
            model_ref=model_ref(state.group, state.version),
            lineage_kind=key.kind,
            lineage_value=key.value[:2048],
        )
        for key in sorted(after - before)
    ]


class LineageTable:
    """The lineage index on the governance table (bound by the store that inherits this)."""

    def versions_built_from(self, key: LineageKey) -> Iterator[tuple[str, int]]:
        """(group, version) of every version whose lineage ever held `key`, in (group, version) order."""
        try:
            for item in LineageItem.listing.query(
                LINEAGE_PREFIX + key.digest, attributes_to_get=["pk", "sk", "kind", "model_ref"]
            ):
                yield version_of(item.model_ref)
        except PynamoDBException as exc:
            raise failure(exc, "Query the lineage index") from exc
