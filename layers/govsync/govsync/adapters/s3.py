"""S3 adapter: server-side copies of model artifacts into the central bucket.

Copies go through s3transfer's managed copy (one CopyObject below the threshold, multipart
UploadPartCopy above it, so objects over 5 GB copy too); no byte passes through this process. The
source's size and ETag come from our own HEAD, so the managed copy does not HEAD again and every
part is conditional on that ETag (a source changing mid-copy fails with PreconditionFailed).

Source access is either the central role itself (the dev bucket's policy grants it read) or a read
role assumed in the source account (`source_role_name`); a server-side copy is one request signed by
one principal, so in that mode the assumed role also writes the copy (the central bucket and key
policies grant it that).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from s3transfer.exceptions import S3CopyFailedError
from s3transfer.manager import TransferConfig, TransferManager
from s3transfer.subscribers import BaseSubscriber

from govsync.adapters.aws import CLIENT_CONFIG, CREDENTIAL_MARGIN, assume, client, error_code, translate
from govsync.domain.artifacts import ObjectInfo, copy_algorithm
from govsync.domain.errors import PermanentAwsError, RetryableError

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_sts import STSClient

CHECKSUM_ALGORITHMS = ("CRC64NVME", "CRC32C", "CRC32", "SHA256", "SHA1")
_CAPTURE_KEY = "govsync_copy_dest"


def _checksum(response: Mapping[str, Any]) -> tuple[str | None, str | None]:
    for algorithm in CHECKSUM_ALGORITHMS:
        if value := response.get(f"Checksum{algorithm}"):
            return algorithm, value
    return None, None


class _KnownSource(BaseSubscriber):
    """Hands the managed copy the size and ETag our HEAD already read (no second HEAD)."""

    def __init__(self, size: int, etag: str) -> None:
        self._size = size
        self._etag = etag

    def on_queued(self, future: Any, **kwargs: Any) -> None:
        future.meta.provide_transfer_size(self._size)
        future.meta.provide_object_etag(self._etag)


@dataclass
class _Session:
    s3: S3Client
    manager: TransferManager
    expires: float


class S3Artifacts:
    def __init__(
        self,
        *,
        central_bucket: str,
        kms_key_arn: str,
        region: str,
        transfer_config: TransferConfig,
        source_role_name: str | None = None,
        partition: str = "aws",
        s3_client: S3Client | None = None,
        sts_client: STSClient | None = None,
    ) -> None:
        self.central_bucket = central_bucket
        self.multipart_threshold = transfer_config.multipart_threshold
        self._kms_key_arn = kms_key_arn
        self._region = region
        self._transfer_config = transfer_config
        self._source_role_name = source_role_name
        self._partition = partition
        self._sts = sts_client
        self._captured: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._central = self._session(s3_client or client("s3", region), expires=float("inf"))
        self._sessions: dict[str, _Session] = {}

    # ------------------------------------------------------------------ sessions
    def _session(self, s3: S3Client, expires: float) -> _Session:
        s3.meta.events.register("before-parameter-build.s3.CopyObject", self._remember_dest)
        s3.meta.events.register("before-parameter-build.s3.CompleteMultipartUpload", self._remember_dest)
        s3.meta.events.register("after-call.s3.CopyObject", self._capture)
        s3.meta.events.register("after-call.s3.CompleteMultipartUpload", self._capture)
        return _Session(s3, TransferManager(s3, config=self._transfer_config), expires)

    @staticmethod
    def _remember_dest(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_CAPTURE_KEY] = f"{params.get('Bucket')}/{params.get('Key')}"

    def _capture(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """Keep the copy's own response: it carries the checksum S3 computed over the copy."""
        if (dest := context.get(_CAPTURE_KEY)) and "Error" not in parsed:
            result = parsed.get("CopyObjectResult") or parsed
            with self._lock:
                self._captured[dest] = {**result, "VersionId": parsed.get("VersionId")}

    def _source(self, account: str) -> _Session:
        """The session that reads sources of `account` (and, for a server-side copy, writes the copy)."""
        if not self._source_role_name:
            return self._central
        session = self._sessions.get(account)
        if session is None or session.expires - CREDENTIAL_MARGIN < time.time():
            role_arn = f"arn:{self._partition}:iam::{account}:role/{self._source_role_name}"
            signed, expires = assume(self._sts or client("sts", self._region), role_arn, "govsync-artifact-copy")
            s3 = signed.client("s3", region_name=self._region, config=CLIENT_CONFIG)
            session = self._session(s3, expires=expires)
            self._sessions[account] = session
        return session

    # ------------------------------------------------------------------ reads
    def head(self, bucket: str, key: str, *, account: str | None = None) -> ObjectInfo | None:
        """HEAD with checksum mode; None when the object does not exist."""
        session = self._central if account is None else self._source(account)
        try:
            response = session.s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise _s3_error(exc, f"HeadObject s3://{bucket}/{key}") from exc
        except BotoCoreError as exc:
            raise translate(exc, "HeadObject", f"s3://{bucket}/{key}") from exc
        algorithm, value = _checksum(response)
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=int(response["ContentLength"]),
            etag=response["ETag"],
            version_id=response.get("VersionId"),
            checksum_algorithm=algorithm,
            checksum=value,
            checksum_type=response.get("ChecksumType"),
            content_type=response.get("ContentType"),
            metadata=dict(response.get("Metadata") or {}),
        )

    def list_prefix(self, bucket: str, prefix: str, *, account: str) -> Iterator[str]:
        """Keys below a prefix (paginated), folder markers left out."""
        paginator = self._source(account).s3.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if not (item["Key"].endswith("/") and item.get("Size", 0) == 0):
                        yield item["Key"]
        except ClientError as exc:
            raise _s3_error(exc, f"ListObjectsV2 s3://{bucket}/{prefix}") from exc
        except BotoCoreError as exc:
            raise translate(exc, "ListObjectsV2", f"s3://{bucket}/{prefix}") from exc

    def read_central(self, key: str, max_bytes: int) -> bytes:
        """A small object of the central bucket (a report to parse), at most `max_bytes`."""
        try:
            body = self._central.s3.get_object(Bucket=self.central_bucket, Key=key, Range=f"bytes=0-{max_bytes - 1}")
            data: bytes = body["Body"].read(max_bytes)
            return data
        except ClientError as exc:
            raise _s3_error(exc, f"GetObject s3://{self.central_bucket}/{key}") from exc
        except BotoCoreError as exc:
            raise translate(exc, "GetObject", f"s3://{self.central_bucket}/{key}") from exc

    # ------------------------------------------------------------------ the copy
    def copy(self, source: ObjectInfo, dest_key: str, *, account: str) -> ObjectInfo:
        """Copy `source` (as it was at our HEAD: pinned by version and ETag) to the central bucket,
        content type and user metadata kept, encrypted with the central key; return the copy as S3
        describes it (checksum from the copy's own response, else a HEAD)."""
        session = self._source(account)
        multipart = source.size >= self._transfer_config.multipart_threshold
        copy_source = {"Bucket": source.bucket, "Key": source.key}
        if source.version_id and source.version_id != "null":
            copy_source["VersionId"] = source.version_id
        extra_args: dict[str, Any] = {
            "CopySourceIfMatch": source.etag,
            "ChecksumAlgorithm": copy_algorithm(source, multipart=multipart),
            "MetadataDirective": "REPLACE",
            "ContentType": source.content_type or "binary/octet-stream",
            "Metadata": dict(source.metadata or {}),
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": self._kms_key_arn,
        }
        dest = f"{self.central_bucket}/{dest_key}"
        action = f"copy {source.uri} -> s3://{dest}"
        with self._lock:
            self._captured.pop(dest, None)
        try:
            session.manager.copy(
                copy_source,
                self.central_bucket,
                dest_key,
                extra_args=extra_args,
                subscribers=[_KnownSource(source.size, source.etag)],
                source_client=session.s3,
            ).result()
        except S3CopyFailedError as exc:
            raise RetryableError(f"{action}: the source changed during the copy ({exc})") from exc
        except ClientError as exc:
            raise _s3_error(exc, action) from exc
        except BotoCoreError as exc:
            raise translate(exc, action) from exc
        with self._lock:
            response = self._captured.pop(dest, None) or {}
        algorithm, value = _checksum(response)
        own = source.full_object_checksum
        if value is None or own is None or own[0] != algorithm:
            # nothing comparable in the response: read the copy's size (and checksum) back
            copied = self.head(self.central_bucket, dest_key)
            if copied is None:
                raise RetryableError(f"{action}: the copy is not readable yet")
            return copied
        return ObjectInfo(
            bucket=self.central_bucket,
            key=dest_key,
            # the response's full-object checksum is compared with the source's (same algorithm): equal
            # checksums imply equal content, so the length is the source's
            size=source.size,
            etag=response.get("ETag", ""),
            version_id=response.get("VersionId"),
            checksum_algorithm=algorithm,
            checksum=value,
            checksum_type=response.get("ChecksumType") or ("FULL_OBJECT" if "-" not in value else "COMPOSITE"),
            content_type=extra_args["ContentType"],
            metadata=extra_args["Metadata"],
        )

    def shutdown(self) -> None:
        for session in (self._central, *self._sessions.values()):
            session.manager.shutdown()


def _s3_error(exc: ClientError, action: str) -> Exception:
    """S3's answers, worded for the record: a changed source is retried, denials are permanent."""
    code = error_code(exc)
    if code in ("PreconditionFailed", "412"):
        return RetryableError(f"{action}: the source changed since it was read (PreconditionFailed)")
    if code in ("KMS.ThrottlingException", "KMS.LimitExceededException", "KMS.KMSInternalException"):
        return RetryableError(f"{action}: {code}")
    if code in ("403", "AccessDenied") or code.startswith("KMS."):
        message = str(exc.response.get("Error", {}).get("Message", ""))[:300]
        return PermanentAwsError(f"{action}: access denied ({code}) {message}".strip(), code=code)
    if code in ("404", "NoSuchKey", "NoSuchBucket", "NoSuchVersion"):
        return PermanentAwsError(f"{action}: not found ({code})", code=code)
    return translate(exc, action)
