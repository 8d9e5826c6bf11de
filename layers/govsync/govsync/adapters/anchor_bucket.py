"""S3 adapter: the anchors, in a bucket with Object Lock in compliance mode.

Anchor `n` is two objects: its summary `anchors/<n>.json` (`govsync.domain.anchors.Anchor`) and the
leaves it sealed `anchor-leaves/<n>.json.gz`. Each is written once, only if no object has its key
(`If-None-Match: *`; the bucket policy refuses any other write), and kept by the bucket's default
retention: no role can delete or overwrite a version before it ends. A later version of a key, or a
delete marker over it, is what someone with write access could still add: the listing reports both, and
anchors are read from a key's first version, the one the lock keeps.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters.aws import client, translate
from govsync.domain.anchors import Anchor, Leaf

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

SUMMARY_PREFIX = "anchors/"
LEAVES_PREFIX = "anchor-leaves/"


def summary_key(seq: int) -> str:
    return f"{SUMMARY_PREFIX}{seq:010d}.json"


def leaves_key(seq: int) -> str:
    return f"{LEAVES_PREFIX}{seq:010d}.json.gz"


@dataclass
class StoredAnchor:
    """What the bucket holds under one anchor's key: its versions, oldest first."""

    seq: int
    version_ids: list[str] = field(default_factory=list)
    deleted: bool = False  # a delete marker is the key's latest version


class AnchorBucket:
    def __init__(self, bucket: str, region: str | None = None, s3: S3Client | None = None) -> None:
        self.bucket = bucket
        self._s3 = s3 or client("s3", region)

    def _versions(self, prefix: str) -> dict[str, StoredAnchor]:
        """key -> its versions, oldest first, and whether a delete marker is its latest (ListObjectVersions)."""
        found: dict[str, StoredAnchor] = {}
        written: dict[str, list[tuple[Any, str]]] = {}
        try:
            for page in self._s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=prefix):
                for version in page.get("Versions", []):
                    written.setdefault(version["Key"], []).append((version["LastModified"], version["VersionId"]))
                    found.setdefault(version["Key"], StoredAnchor(_seq(version["Key"])))
                for marker in page.get("DeleteMarkers", []):
                    stored = found.setdefault(marker["Key"], StoredAnchor(_seq(marker["Key"])))
                    stored.deleted = stored.deleted or bool(marker.get("IsLatest"))
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "ListObjectVersions", self.bucket) from exc
        for key, versions in written.items():
            found[key].version_ids = [version_id for _, version_id in sorted(versions, key=lambda v: v[0])]
        return found

    def anchors(self) -> tuple[list[Anchor], dict[int, StoredAnchor]]:
        """Every anchor as first written (its summary's oldest version), and what the bucket holds for
        each anchor's summary key."""
        stored = {item.seq: item for item in self._versions(SUMMARY_PREFIX).values()}
        anchors = [
            Anchor.from_json(json.loads(self._get(summary_key(seq), item.version_ids[0])))
            for seq, item in sorted(stored.items()) if item.version_ids
        ]  # fmt: skip
        return anchors, stored

    def latest(self) -> tuple[Anchor, list[Leaf]] | None:
        """The latest anchor and its leaves, as first written (None: no anchor yet)."""
        stored = [item for item in self._versions(SUMMARY_PREFIX).values() if item.version_ids]
        if not stored:
            return None
        newest = max(stored, key=lambda item: item.seq)
        anchor = Anchor.from_json(json.loads(self._get(summary_key(newest.seq), newest.version_ids[0])))
        return anchor, self.leaves(newest.seq) or []

    def leaves(self, seq: int) -> list[Leaf] | None:
        """The leaves anchor `seq` sealed, as first written (None: the bucket has none)."""
        stored = self._versions(leaves_key(seq)).get(leaves_key(seq))
        if stored is None or not stored.version_ids:
            return None
        body = gzip.decompress(self._get(leaves_key(seq), stored.version_ids[0]))
        return [Leaf.from_json(item) for item in json.loads(body)]

    def _get(self, key: str, version_id: str) -> bytes:
        try:
            return self._s3.get_object(Bucket=self.bucket, Key=key, VersionId=version_id)["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "GetObject", f"s3://{self.bucket}/{key}") from exc

    def write(self, anchor: Anchor, leaves_body: bytes) -> str:
        """The leaves, then the summary, each only if its key is new; answers the summary's S3 URI."""
        self._put(leaves_key(anchor.seq), gzip.compress(leaves_body, mtime=0), "application/gzip")
        self._put(summary_key(anchor.seq), json.dumps(anchor.to_json(), indent=1).encode(), "application/json")
        return f"s3://{self.bucket}/{summary_key(anchor.seq)}"

    def _put(self, key: str, body: bytes, content_type: str) -> None:
        try:
            self._s3.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, IfNoneMatch="*",
                ChecksumAlgorithm="SHA256",
            )  # fmt: skip
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "PutObject", f"s3://{self.bucket}/{key}") from exc


def _seq(key: str) -> int:
    return int(key.rsplit("/", 1)[-1].split(".", 1)[0])
