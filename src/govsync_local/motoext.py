"""Faithful SageMaker behaviour that moto 5.2.5 lacks, added as an extension of moto.

Installed in-process (the local stack's moto server and the tests), never in the functions:

- `ModelLifeCycle` and `ModelCard` on model packages (create, update, describe);
- `update_model_package` keeps `CustomerMetadataProperties`, `ModelApprovalStatus` and
  `ApprovalDescription` unless told to change them, merges new properties, and honours
  `CustomerMetadataPropertiesToRemove`;
- `LastModifiedBy` names the calling IAM identity, as SageMaker does;
- `account` on events EventBridge delivers to targets;
- hooks (`on_model_package_change`, `on_endpoint_change`) so the local stack can emit SageMaker's
  events (endpoints go CREATING -> IN_SERVICE, as SageMaker reports them);
- S3: `CopySourceIfMatch` on CopyObject and UploadPartCopy (a source that changed fails with 412
  PreconditionFailed, as S3 does; moto ignores the header), and UploadPartCopy reads only its byte range
  (moto reads the whole source object for every part, which makes multi-GiB copies need many GiB).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.models import ModelPackage, ValidationError
from moto.sagemaker.responses import SageMakerResponse

PackageListener = Callable[[ModelPackage, str, str], None]
EndpointListener = Callable[[dict[str, Any], str, str, str], None]
_listeners: list[PackageListener] = []
_endpoint_listeners: list[EndpointListener] = []
_installed = False


def on_model_package_change(listener: PackageListener) -> None:
    """Call `listener(package, account_id, region)` after every create or update of a model package."""
    _listeners.append(listener)


def on_endpoint_change(listener: EndpointListener) -> None:
    """Call `listener(endpoint, status, account_id, region)` on each endpoint status transition."""
    _endpoint_listeners.append(listener)


def clear_listeners() -> None:
    _listeners.clear()
    _endpoint_listeners.clear()


def _endpoint_notify(response: SageMakerResponse, name: str, statuses: tuple[str, ...]) -> None:
    endpoint = response.sagemaker_backend.endpoints.get(name)
    if endpoint is None:
        return
    described = dict(endpoint.response_object)
    tags = getattr(endpoint, "tags", None)
    described["Tags"] = {t["Key"]: t["Value"] for t in tags or []}
    for status in statuses:
        for listener in list(_endpoint_listeners):
            listener(described, status, response.current_account, response.region)


def _notify(package: ModelPackage, account_id: str, region: str) -> None:
    for listener in list(_listeners):
        listener(package, account_id, region)


def _caller_arn(response: SageMakerResponse) -> str | None:
    try:
        from moto.sts.models import sts_backends

        access_key = response.get_access_key()
        backend = sts_backends[response.current_account]["global"]
        return backend.get_caller_identity(access_key, response.region)[1]
    except Exception:  # best effort: unknown credentials keep moto's default identity
        return None


def _find(response: SageMakerResponse, arn: str) -> ModelPackage:
    backend = response.sagemaker_backend
    package = backend.model_packages.get(backend.model_package_name_mapping.get(arn, arn))
    if package is None:
        raise ValidationError(f"Model package {arn} not found")
    return package


def install() -> None:
    """Patch moto's SageMaker model packages (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True

    original_response_object = ModelPackage.gen_response_object
    original_create = SageMakerResponse.create_model_package

    def gen_response_object(self: ModelPackage) -> dict[str, Any]:
        response = original_response_object(self)
        if getattr(self, "model_life_cycle", None):
            response["ModelLifeCycle"] = self.model_life_cycle
        if getattr(self, "model_card", None):
            response["ModelCard"] = self.model_card
        if not response.get("CustomerMetadataProperties"):
            response.pop("CustomerMetadataProperties", None)
        return response

    def create_model_package(self: SageMakerResponse) -> ActionResult:
        result = original_create(self)
        package = _find(self, result.result["ModelPackageArn"])
        package.model_life_cycle = self._get_param("ModelLifeCycle")
        package.model_card = self._get_param("ModelCard")
        if caller := _caller_arn(self):
            package.created_by = {"IamIdentity": {"Arn": caller}}
        _notify(package, self.current_account, self.region)
        return result

    def update_model_package(self: SageMakerResponse) -> ActionResult:
        package = _find(self, self._get_param("ModelPackageArn"))
        if (status := self._get_param("ModelApprovalStatus")) is not None:
            package.set_model_approval_status(status)
        if (description := self._get_param("ApprovalDescription")) is not None:
            package.approval_description = description
        properties = dict(package.customer_metadata_properties or {})
        properties.update(self._get_param("CustomerMetadataProperties") or {})
        for key in self._get_param("CustomerMetadataPropertiesToRemove") or []:
            properties.pop(key, None)
        package.customer_metadata_properties = properties or None
        if additional := self._get_param("AdditionalInferenceSpecificationsToAdd"):
            package.add_additional_inference_specifications(additional)
        if (life_cycle := self._get_param("ModelLifeCycle")) is not None:
            package.model_life_cycle = life_cycle
        if (card := self._get_param("ModelCard")) is not None:
            package.model_card = card
        package.modifications_done()
        if caller := _caller_arn(self):
            package.last_modified_by = {"IamIdentity": {"Arn": caller}}
        _notify(package, self.current_account, self.region)
        return ActionResult({"ModelPackageArn": package.arn})

    # Events delivered to targets carry `account`, as EventBridge's do.
    from moto.events.utils import EventTemplateParser

    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE.replace(
        '"version": "0",', '"version": "0", "account": "<account>",'
    )

    original_create_endpoint = SageMakerResponse.create_endpoint
    original_delete_endpoint = SageMakerResponse.delete_endpoint

    def create_endpoint(self: SageMakerResponse) -> ActionResult:
        result = original_create_endpoint(self)
        # moto's endpoints are InService at once; SageMaker passes through Creating first.
        _endpoint_notify(self, self._get_param("EndpointName"), ("CREATING", "IN_SERVICE"))
        return result

    def delete_endpoint(self: SageMakerResponse) -> Any:
        _endpoint_notify(self, self._get_param("EndpointName"), ("DELETING",))
        return original_delete_endpoint(self)

    _install_s3()

    SageMakerResponse.create_endpoint = create_endpoint
    SageMakerResponse.delete_endpoint = delete_endpoint
    ModelPackage.gen_response_object = gen_response_object
    SageMakerResponse.create_model_package = create_model_package
    SageMakerResponse.update_model_package = update_model_package


def _install_s3() -> None:
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
