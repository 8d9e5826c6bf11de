"""S3: `CopySourceIfMatch` on CopyObject and UploadPartCopy (a source that changed fails with 412
PreconditionFailed, as S3 does; moto ignores the header), and UploadPartCopy reads only its byte range
(moto reads the whole source object for every part, which makes multi-GiB copies need many GiB).

Bucket policies are kept whole (GetBucketPolicy answers the template's policy, as a scanner reads it),
but a statement with a Condition is not evaluated: moto cannot supply its keys (aws:SecureTransport,
the request's KMS key) and would treat a conditional Deny as denying everything."""

from __future__ import annotations

from typing import Any


def install() -> None:
    """Patch moto's copies."""
    from urllib.parse import parse_qs, unquote, urlparse

    from moto.s3.exceptions import PreconditionFailed
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response

    def check_copy_source_if_match(response: S3Response) -> None:
        wanted = response.headers.get("x-amz-copy-source-if-match")
        if not wanted:
            return
        source = response.headers.get("x-amz-copy-source")
        source = source.decode() if isinstance(source, bytes) else source
        parsed = urlparse(source)
        bucket, key = unquote(parsed.path).lstrip("/").split("/", 1)
        version = parse_qs(parsed.query).get("versionId", [None])[0]
        current = response.backend.get_object(bucket, key, version_id=version)
        if current is not None and current.etag.strip('"') != wanted.strip('"'):
            raise PreconditionFailed(failed_condition="x-amz-copy-source-If-Match")

    original_copy_object = S3Response.copy_object
    original_upload_part_copy = S3Response.upload_part_copy

    def copy_object(self: S3Response) -> Any:
        check_copy_source_if_match(self)
        return original_copy_object(self)

    def upload_part_copy(self: S3Response) -> Any:
        check_copy_source_if_match(self)
        return original_upload_part_copy(self)

    def backend_upload_part_copy(
        self: S3Backend,
        dest_bucket_name: str,
        multipart_id: str,
        part_id: int,
        src_bucket_name: str,
        src_key_name: str,
        src_version_id: str | None,
        start_byte: int | None,
        end_byte: int | None,
    ) -> Any:
        multipart = self.get_bucket(dest_bucket_name).multiparts[multipart_id]
        source = self.get_object(src_bucket_name, src_key_name, version_id=src_version_id)
        if start_byte is None or end_byte is None:
            return multipart.set_part(part_id, source.value)
        with source.lock:
            source._value_buffer.seek(start_byte)
            chunk = source._value_buffer.read(end_byte + 1 - start_byte)
        return multipart.set_part(part_id, chunk)

    S3Response.copy_object = copy_object
    S3Response.upload_part_copy = upload_part_copy
    S3Backend.upload_part_copy = backend_upload_part_copy
    _evaluate_unconditional_statements_only()


def _evaluate_unconditional_statements_only() -> None:
    import json

    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy)
        statements = document.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        evaluated = [st for st in statements if "Condition" not in st]
        if not evaluated:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**document, "Statement": evaluated})).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
