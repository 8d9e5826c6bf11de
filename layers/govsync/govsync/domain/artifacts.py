"""Model artifacts: which objects a package references, where their central copies go, what a verified
copy is, and the model-quality metrics a statistics report carries.

Pure: no AWS imports. The S3 checks run before any AWS call; the destination key is derived from the
package's identity and the source key's file name, never taken from the event or the package as is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# What a package references (DescribeModelPackage shapes).
MODEL = "model"
REPORT = "report"

VALIDATION_REPORT = "model-quality-statistics"

# Artifact entry statuses and the record-level summary.
COPIED = "copied"
COPY_FAILED = "copy_failed"
NO_ARTIFACTS = "none"

# S3's bucket naming rules (general purpose buckets).
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
MAX_KEY_LENGTH = 1024
_ENCODED = re.compile(r"%[0-9a-fA-F]{2}")

# Checksum algorithms S3 can compute as a full-object checksum on a copy.
FULL_OBJECT_ALGORITHMS = ("CRC64NVME", "CRC32", "CRC32C")


class InvalidArtifact(ValueError):
    """An artifact reference that is not allowed: the reason says exactly what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class S3Location:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def _check_key(key: str, *, prefix: bool) -> None:
    if not key:
        raise InvalidArtifact("empty object key")
    if len(key.encode()) > MAX_KEY_LENGTH:
        raise InvalidArtifact("object key longer than 1024 bytes")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise InvalidArtifact("object key contains control characters")
    if key.startswith("/"):
        raise InvalidArtifact("object key starts with '/'")
    if "//" in key:
        raise InvalidArtifact("object key contains '//'")
    if _ENCODED.search(key):
        raise InvalidArtifact("object key contains percent-encoded characters")
    if "\\" in key:
        raise InvalidArtifact("object key contains '\\'")
    segments = key.split("/")
    if segments[-1] == "":
        if not prefix:
            raise InvalidArtifact("object key ends with '/' (a folder, not an object)")
        segments = segments[:-1]
    if any(segment in ("", ".", "..") for segment in segments):
        raise InvalidArtifact("object key contains a '.' or '..' segment")


def parse_s3_uri(uri: Any, allowed_buckets: frozenset[str], *, prefix: bool = False) -> S3Location:
    """Check an S3 URI from a package against the allow-list and the key rules; raise InvalidArtifact."""
    if not isinstance(uri, str) or not uri:
        raise InvalidArtifact("artifact URI is missing")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in uri):
        raise InvalidArtifact("artifact URI contains control characters")
    if not uri.startswith("s3://"):
        raise InvalidArtifact(f"not an s3:// URI: {uri[:80]!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
        raise InvalidArtifact(f"invalid bucket name {bucket[:70]!r}")
    if bucket not in allowed_buckets:
        raise InvalidArtifact(
            f"bucket {bucket!r} is not on the artifact bucket allow-list (template parameter AllowedArtifactBuckets)"
        )
    _check_key(key, prefix=prefix)
    return S3Location(bucket, key)


def relative_key(prefix_key: str, key: str) -> str:
    """The part of `key` below a prefix, checked like any key (it becomes part of a destination key)."""
    if not key.startswith(prefix_key):
        raise InvalidArtifact("listed object is not below its prefix")
    rest = key[len(prefix_key) :].removeprefix("/")
    _check_key(rest, prefix=False)
    return rest


@dataclass(frozen=True, slots=True)
class ArtifactSpec:
    """One artifact the package references: a model object/prefix or a metrics report."""

    name: str  # stable id within the version, e.g. "model/primary/0" or "report/bias-report"
    kind: str  # MODEL | REPORT
    source_uri: str
    prefix: bool  # an S3Prefix data source (every object below it)
    content_type: str | None = None

    def dest_key(self, group: str, version: int, file_name: str) -> str:
        """`<group>/<version>/<name>/<file name>` in the central bucket."""
        return f"{group}/{version}/{self.name}/{file_name}"

    def dest_prefix(self, group: str, version: int) -> str:
        return f"{group}/{version}/{self.name}/"


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What a HEAD (with checksum mode) says about one object."""

    bucket: str
    key: str
    size: int
    etag: str
    version_id: str | None = None
    checksum_algorithm: str | None = None
    checksum: str | None = None  # base64, as S3 returns it; composite checksums end in "-<parts>"
    checksum_type: str | None = None  # FULL_OBJECT | COMPOSITE
    content_type: str | None = None
    metadata: dict[str, str] | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def full_object_checksum(self) -> tuple[str, str] | None:
        """(algorithm, value) when the checksum covers the whole object (comparable across copies)."""
        if not self.checksum or not self.checksum_algorithm or self.checksum_algorithm not in FULL_OBJECT_ALGORITHMS:
            return None
        if self.checksum_type == "COMPOSITE" or "-" in self.checksum:
            return None
        return self.checksum_algorithm, self.checksum


def copy_algorithm(source: ObjectInfo, *, multipart: bool) -> str:
    """The checksum S3 computes on the copy: the source's own full-object algorithm when a single
    CopyObject can reproduce it; CRC64NVME otherwise (always full-object, also for multipart copies)."""
    own = source.full_object_checksum
    if own and (not multipart or own[0] == "CRC64NVME"):
        return own[0]
    return "CRC64NVME"


def same_content(source: ObjectInfo, copy: ObjectInfo) -> str | None:
    """How a copy is known to equal its source: "checksum" (size and full-object checksum), "size"
    (sizes match, checksums not comparable) or None (it differs)."""
    if source.size != copy.size:
        return None
    mine, theirs = source.full_object_checksum, copy.full_object_checksum
    if mine and theirs and mine[0] == theirs[0]:
        return "checksum" if mine[1] == theirs[1] else None
    return "size"


def manifest_checksum(objects: list[tuple[str, str]]) -> str:
    """One checksum for a prefix artifact: sha256 over its sorted (relative key, object checksum) pairs."""
    digest = hashlib.sha256()
    for key, checksum in sorted(objects):
        digest.update(f"{key}\0{checksum}\n".encode())
    return "MANIFEST-SHA256:" + digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ArtifactCopy:
    """A record's entry for one artifact: its central copy as made and verified, or why it failed.

    A single object has its source's and copy's checksums, ETag and version ids; a prefix artifact has
    the number of objects and a manifest checksum over them (`manifest_checksum`)."""

    name: str
    kind: str
    source_uri: str
    status: str  # COPIED | COPY_FAILED
    central_uri: str | None = None
    size: int | None = None
    objects: int | None = None  # a prefix artifact: how many objects were copied
    checksum: str | None = None  # "<algorithm>:<base64>" or a prefix's manifest checksum
    source_checksum: str | None = None
    source_etag: str | None = None
    source_version_id: str | None = None
    central_version_id: str | None = None
    content_type: str | None = None
    verified: str | None = None  # "checksum" | "size" (see same_content)
    copied_at: str | None = None
    error: str | None = None
    failed_at: str | None = None

    @classmethod
    def of(cls, spec: ArtifactSpec, status: str) -> ArtifactCopy:
        """The entry of `spec` with `status` (the copy's facts are added with `dataclasses.replace`)."""
        return cls(spec.name, spec.kind, spec.source_uri, status)

    def to_json(self) -> dict[str, str | int]:
        """As stored and shown: the fields that have a value."""
        return {name: value for name in self.__dataclass_fields__ if (value := getattr(self, name)) is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ArtifactCopy:
        values: dict[str, Any] = {name: data.get(name) for name in cls.__dataclass_fields__}
        for name in ("size", "objects"):
            if values[name] is not None:
                values[name] = int(values[name])
        return cls(**values)


def summary_status(entries: Sequence[ArtifactCopy]) -> str:
    if not entries:
        return NO_ARTIFACTS
    return COPY_FAILED if any(e.status != COPIED for e in entries) else COPIED


# A statistics report's metric values by name (numbers), and the report's problem type(s).
type ValidationMetrics = dict[str, float | int | str]


def validation_metrics(report: object) -> ValidationMetrics:
    """The metric values of a model-quality statistics report (SageMaker Model Monitor / Clarify shape):
    every `<problem>_metrics` section's `{name: {"value": x}}` entries, flattened to `{name: x}`.
    A name found in two sections is qualified with its section."""
    if not isinstance(report, dict):
        return {}
    values: ValidationMetrics = {}
    seen: dict[str, int] = {}
    sections = [(k, v) for k, v in report.items() if k.endswith("_metrics") and isinstance(v, dict)]
    for _, section in sections:
        for name in section:
            seen[name] = seen.get(name, 0) + 1
    for section_name, section in sections:
        for name, metric in section.items():
            value = metric.get("value") if isinstance(metric, dict) else None
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            values[name if seen[name] == 1 else f"{section_name}.{name}"] = value
    if values:
        problem = [k.removesuffix("_metrics") for k, _ in sections]
        values["problem_type"] = ",".join(problem)
    return values
