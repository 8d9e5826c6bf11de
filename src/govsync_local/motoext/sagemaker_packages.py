"""Model packages: `ModelLifeCycle`, `ModelCard` and `SourceUri` (create, update, describe); `update_model_package`
keeps `CustomerMetadataProperties`, `ModelApprovalStatus` and `ApprovalDescription` unless told to
change them, merges new properties and honours `CustomerMetadataPropertiesToRemove`; `CreatedBy` and
`LastModifiedBy` name the calling IAM identity, as SageMaker does. Listing one group's packages reads
that group's only (moto filters the whole registry on every page: a large registry took minutes)."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.models import ModelPackage, ValidationError
from moto.sagemaker.responses import SageMakerResponse

from govsync_local.motoext.listeners import caller_arn, notify


def _find(response: SageMakerResponse, arn: str) -> ModelPackage:
    backend = response.sagemaker_backend
    package = backend.model_packages.get(backend.model_package_name_mapping.get(arn, arn))
    if package is None:
        raise ValidationError(f"Model package {arn} not found")
    return package


def install() -> None:
    """Patch moto's model packages."""
    original_create = SageMakerResponse.create_model_package
    original_response_object = ModelPackage.gen_response_object

    def gen_response_object(self: ModelPackage) -> dict[str, Any]:
        response = original_response_object(self)
        if getattr(self, "model_life_cycle", None):
            response["ModelLifeCycle"] = self.model_life_cycle
        if getattr(self, "model_card", None):
            response["ModelCard"] = self.model_card
        if getattr(self, "source_uri", None):
            response["SourceUri"] = self.source_uri
        if not response.get("CustomerMetadataProperties"):
            response.pop("CustomerMetadataProperties", None)
        return response

    def create_model_package(self: SageMakerResponse) -> ActionResult:
        result = original_create(self)
        package = _find(self, result.result["ModelPackageArn"])
        package.model_life_cycle = self._get_param("ModelLifeCycle")
        package.model_card = self._get_param("ModelCard")
        package.source_uri = self._get_param("SourceUri")
        if caller := caller_arn(self):
            package.created_by = {"IamIdentity": {"Arn": caller}}
        notify(package, self.current_account, self.region)
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
        if (source := self._get_param("SourceUri")) is not None:
            package.source_uri = source
        package.modifications_done()
        if caller := caller_arn(self):
            package.last_modified_by = {"IamIdentity": {"Arn": caller}}
        notify(package, self.current_account, self.region)
        return ActionResult({"ModelPackageArn": package.arn})

    ModelPackage.gen_response_object = gen_response_object
    _index_groups()
    SageMakerResponse.create_model_package = create_model_package
    SageMakerResponse.update_model_package = update_model_package


def _index_groups() -> None:
    """list_model_packages(ModelPackageGroupName=...) from an index of packages by group, rebuilt when
    the number of packages changes; other filters go through moto's own listing."""
    from moto.sagemaker.models import PAGINATION_MODEL, SageMakerModelBackend
    from moto.utilities.paginator import paginate

    original = SageMakerModelBackend.list_model_packages.__wrapped__  # moto's listing, unpaginated

    def by_group(backend: Any, group: str) -> list[ModelPackage]:
        count, index = getattr(backend, "_govsync_group_index", (-1, {}))
        if count != len(backend.model_packages):
            index = {}
            for package in sorted(backend.model_packages.values(), key=lambda p: p.creation_time):
                if package.model_package_version:
                    index.setdefault(package.model_package_group_name, []).append(package)
            backend._govsync_group_index = (len(backend.model_packages), index)
        return list(index.get(group, []))

    def list_model_packages(self: Any, creation_time_after: Any, creation_time_before: Any, name_contains: Any,
                            model_approval_status: Any, model_package_group_name: Any, model_package_type: Any,
                            sort_by: Any, sort_order: Any) -> list[ModelPackage]:  # fmt: skip
        filters = (creation_time_after, creation_time_before, name_contains, model_approval_status, sort_by)
        plain = filters == (None,) * len(filters)
        if model_package_group_name is not None and plain and model_package_type in (None, "Versioned"):
            packages = by_group(self, model_package_group_name.split("/")[-1])
            return packages[::-1] if sort_order == "Descending" else packages
        return original(self, creation_time_after, creation_time_before, name_contains, model_approval_status,
                        model_package_group_name, model_package_type, sort_by, sort_order)  # fmt: skip

    SageMakerModelBackend.list_model_packages = paginate(pagination_model=PAGINATION_MODEL)(list_model_packages)
