"""The governance table's audit trails as a whole (part of `adapters.store.GovernanceStore`): every
version's chain head and first entry through the trail listings (never a Scan; DynamoDB's pages of up to
1 MB, about 4,000 heads), and heads and entries read by key, a hundred a call."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pynamodb.exceptions import PynamoDBException

from govsync.adapters.dynamodb_errors import failure
from govsync.adapters.dynamodb_items import (
    HEAD_SK,
    TRAIL_LISTING,
    TRAIL_START_LISTING,
    AuditItem,
    VersionHeadItem,
    audit_sk,
    version_of,
    version_pk,
)
from govsync.domain.anchors import Leaf


def _leaf(item: VersionHeadItem) -> Leaf:
    return Leaf(item.model_group, int(item.model_version), int(item.audit_seq or 0), item.audit_head)


class TrailTable:
    """Audit trails on the governance table (bound by the store that inherits this)."""

    def trail_heads(self) -> Iterator[Leaf]:
        """Every version's chain head, in (group, version) order."""
        try:
            for item in VersionHeadItem.listing.query(TRAIL_LISTING):
                yield _leaf(item)
        except PynamoDBException as exc:
            raise failure(exc, "Query the trail listing") from exc

    def trail_starts(self) -> Iterator[tuple[str, int]]:
        """(group, version) of every version with a first audit entry, its head there or not."""
        try:
            for item in AuditItem.listing.query(
                TRAIL_START_LISTING, attributes_to_get=["pk", "sk", "kind", "model_ref"]
            ):
                yield version_of(item.model_ref)
        except PynamoDBException as exc:
            raise failure(exc, "Query the trail start listing") from exc

    def heads_at(self, versions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Leaf]:
        """The chain heads of `versions` that exist, read by key (BatchGetItem, consistent)."""
        keys = [(version_pk(group, version), HEAD_SK) for group, version in versions]
        try:
            return {leaf.key: leaf for leaf in map(_leaf, VersionHeadItem.batch_get(keys, consistent_read=True))}
        except PynamoDBException as exc:
            raise failure(exc, "BatchGetItem version heads") from exc

    def entry_hashes(self, sealed: Iterable[Leaf]) -> dict[tuple[str, int], str | None]:
        """The hash the table holds for each leaf's entry (its `seq`); None where that entry is gone."""
        sealed = list(sealed)
        keys = [(version_pk(leaf.model_group, leaf.model_version), audit_sk(leaf.seq)) for leaf in sealed]
        found: dict[tuple[str, str], str] = {}
        try:
            for item in AuditItem.batch_get(
                keys, consistent_read=True, attributes_to_get=["pk", "sk", "kind", "hash"]
            ):  # fmt: skip
                found[(item.pk, item.sk)] = str(item.hash)  # type: ignore[attr-defined]  # made from AuditEntry
        except PynamoDBException as exc:
            raise failure(exc, "BatchGetItem audit entries") from exc
        return {leaf.key: found.get(key) for leaf, key in zip(sealed, keys, strict=True)}
