"""Artifact sync: copy every artifact a package references into the central bucket, verified.

Run by the registry sync before its one transaction, so the record never says "copied" before the
copy exists. A copy that cannot succeed (a URI that breaks the rules, a missing source, access or key
denied) is recorded as `copy_failed` with its reason; a copy that may succeed later (throttling, a
source that changed mid-copy) raises, and the event is retried with nothing written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from govsync.domain import artifacts as art
from govsync.domain.errors import PermanentAwsError, RetryableError
from govsync.domain.package import PackageSnapshot
from govsync.domain.records import Artifacts
from govsync.observability import MetricUnit, logger, metrics

REPORT_MAX_BYTES = 1024 * 1024  # the statistics report parsed into model_validation_metrics


class ArtifactStorage(Protocol):
    central_bucket: str
    multipart_threshold: int

    def head(self, bucket: str, key: str, *, account: str | None = None) -> art.ObjectInfo | None: ...
    def list_prefix(self, bucket: str, prefix: str, *, account: str) -> Iterator[str]: ...
    def read_central(self, key: str, max_bytes: int) -> bytes: ...
    def copy(self, source: art.ObjectInfo, dest_key: str, *, account: str) -> art.ObjectInfo: ...


def _checksum_text(info: art.ObjectInfo) -> str | None:
    return f"{info.checksum_algorithm}:{info.checksum}" if info.checksum else None


@dataclass
class ArtifactSync:
    storage: ArtifactStorage | None
    allowed_buckets: frozenset[str]
    clock: Callable[[], datetime]

    def sync(
        self,
        pkg: PackageSnapshot,
        prior: Sequence[art.ArtifactCopy],
        prior_metrics: art.ValidationMetrics,
        *,
        fresh: bool = False,
    ) -> Artifacts:
        """Entries for every artifact of `pkg`; ones already copied from the same source are kept as
        they are (no S3 call), failed ones are tried again.

        Before copying, the destination is checked for an identical copy (one HEAD, then no copy) unless
        `fresh` (first delivery of a version never synced: no earlier attempt can have left a copy) and
        the copy is a single CopyObject, which costs what the HEAD would."""
        done = {e.name: e for e in prior if e.status == art.COPIED}
        entries: list[art.ArtifactCopy] = []
        reused: set[str] = set()
        for spec in pkg.artifacts:
            previous = done.get(spec.name)
            if previous is not None and previous.source_uri == spec.source_uri:
                entries.append(previous)
                reused.add(spec.name)
                continue
            try:
                entries.append(self._copy(pkg, spec, fresh))
            except (art.InvalidArtifact, PermanentAwsError) as exc:
                reason = getattr(exc, "reason", None) or str(exc)
                logger.warning(
                    "artifact copy failed",
                    model_group=pkg.group,
                    model_version=pkg.version,
                    artifact=spec.name,
                    source_uri=spec.source_uri[:300],
                    reason=reason,
                )
                metrics.add_metric(name="ArtifactCopyFailed", unit=MetricUnit.Count, value=1)
                entries.append(
                    replace(
                        art.ArtifactCopy.of(spec, art.COPY_FAILED),
                        error=reason[:500],
                        failed_at=self.clock().isoformat(),
                    )
                )
        report_name = f"report/{art.VALIDATION_REPORT}"
        if report_name in reused:
            found = prior_metrics
        else:
            found = self._validation_metrics(pkg, next((e for e in entries if e.name == report_name), None))
        return Artifacts(tuple(entries), art.summary_status(entries), found)

    # ------------------------------------------------------------------ copies
    def _copy(self, pkg: PackageSnapshot, spec: art.ArtifactSpec, fresh: bool) -> art.ArtifactCopy:
        source = art.parse_s3_uri(spec.source_uri, self.allowed_buckets, prefix=spec.prefix)
        if self.storage is None:
            raise art.InvalidArtifact("no central artifact bucket is configured (GOVSYNC_ARTIFACT_BUCKET)")
        if spec.prefix:
            return self._copy_prefix(pkg, spec, source.bucket, source.key, fresh)
        info = self.storage.head(source.bucket, source.key, account=pkg.source_account)
        if info is None:
            raise PermanentAwsError(f"source object {source.uri} does not exist", code="NoSuchKey")
        file_name = source.key.rsplit("/", 1)[-1]
        dest_key = spec.dest_key(pkg.group, pkg.version, file_name)
        copy, verified = self._copy_object(info, dest_key, pkg.source_account, fresh)
        return replace(
            art.ArtifactCopy.of(spec, art.COPIED),
            central_uri=copy.uri,
            size=copy.size,
            checksum=_checksum_text(copy),
            source_checksum=_checksum_text(info),
            source_etag=info.etag,
            source_version_id=info.version_id,
            central_version_id=copy.version_id,
            content_type=copy.content_type,
            verified=verified,
            copied_at=self.clock().isoformat(),
        )

    def _copy_prefix(
        self, pkg: PackageSnapshot, spec: art.ArtifactSpec, bucket: str, prefix: str, fresh: bool
    ) -> art.ArtifactCopy:
        storage = self.storage
        assert storage is not None
        dest_prefix = spec.dest_prefix(pkg.group, pkg.version)
        manifest: list[tuple[str, str]] = []
        total = 0
        verified = "checksum"
        for key in storage.list_prefix(bucket, prefix, account=pkg.source_account):
            rel = art.relative_key(prefix, key)
            info = storage.head(bucket, key, account=pkg.source_account)
            if info is None:
                raise RetryableError(f"s3://{bucket}/{key} was listed but is gone")
            copy, how = self._copy_object(info, dest_prefix + rel, pkg.source_account, fresh)
            manifest.append((rel, _checksum_text(copy) or f"size:{copy.size}"))
            total += copy.size
            if how == "size":
                verified = "size"
        if not manifest:
            raise PermanentAwsError(f"no objects under s3://{bucket}/{prefix}", code="NoSuchKey")
        return replace(
            art.ArtifactCopy.of(spec, art.COPIED),
            central_uri=f"s3://{storage.central_bucket}/{dest_prefix}",
            size=total,
            objects=len(manifest),
            checksum=art.manifest_checksum(manifest),
            verified=verified,
            copied_at=self.clock().isoformat(),
        )

    def _copy_object(
        self, source: art.ObjectInfo, dest_key: str, account: str, fresh: bool
    ) -> tuple[art.ObjectInfo, str]:
        """Copy unless an identical copy (same size and full-object checksum) is already there."""
        storage = self.storage
        assert storage is not None
        look = not fresh or source.size >= storage.multipart_threshold
        present = storage.head(storage.central_bucket, dest_key) if look else None
        if present is not None and art.same_content(source, present) == "checksum":
            logger.info("artifact already copied", central_uri=present.uri, checksum=_checksum_text(present))
            return present, "checksum"
        copy = storage.copy(source, dest_key, account=account)
        verified = art.same_content(source, copy)
        if verified is None:
            raise RetryableError(
                f"copy of {source.uri} does not match its source "
                f"(size {source.size} vs {copy.size}, {_checksum_text(source)} vs {_checksum_text(copy)})"
            )
        metrics.add_metric(name="ArtifactsCopied", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="ArtifactBytesCopied", unit=MetricUnit.Bytes, value=source.size)
        logger.info(
            "artifact copied",
            source_uri=source.uri,
            central_uri=copy.uri,
            size=source.size,
            checksum=_checksum_text(copy),
            verified=verified,
        )
        return copy, verified

    # ------------------------------------------------------------------ validation metrics
    def _validation_metrics(self, pkg: PackageSnapshot, report: art.ArtifactCopy | None) -> art.ValidationMetrics:
        if report is None or report.status != art.COPIED or report.kind != art.REPORT:
            return {}
        if (report.size or 0) > REPORT_MAX_BYTES:
            logger.warning("statistics report too large to parse", size=report.size, limit=REPORT_MAX_BYTES)
            return {}
        storage = self.storage
        assert storage is not None
        key = str(report.central_uri).removeprefix(f"s3://{storage.central_bucket}/")
        try:
            return art.validation_metrics(json.loads(storage.read_central(key, REPORT_MAX_BYTES)))
        except (ValueError, PermanentAwsError):
            logger.warning("statistics report unreadable or not JSON", model_group=pkg.group, model_version=pkg.version)
            return {}
