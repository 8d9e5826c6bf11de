"""SageMaker Model Registry adapter: the source of truth is read here, and only here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws
from govsync.adapters.described_package import snapshot_from_describe
from govsync.domain.errors import ModelPackageNotFound
from govsync.domain.package import ListedGroup, ListedPackage, PackageSnapshot

if TYPE_CHECKING:
    from types_boto3_sagemaker import SageMakerClient
    from types_boto3_sagemaker.type_defs import ListModelPackagesInputTypeDef


class SageMakerRegistry:
    def __init__(self, client: SageMakerClient | None = None) -> None:
        self._client = client

    def _sm(self, region: str) -> SageMakerClient:
        return self._client or aws.client("sagemaker", region)

    def describe_package(self, arn: str, region: str) -> PackageSnapshot:
        try:
            described = self._sm(region).describe_model_package(ModelPackageName=arn)
        except ClientError as exc:
            message = str(exc.response.get("Error", {}).get("Message", ""))
            if aws.error_code(exc) in {"ValidationException", "ResourceNotFound"} and (
                "not exist" in message or "not found" in message.lower()
            ):
                raise ModelPackageNotFound(f"model package {arn} does not exist", code="NotFound") from exc
            raise aws.translate(exc, "DescribeModelPackage", arn) from exc
        except BotoCoreError as exc:
            raise aws.translate(exc, "DescribeModelPackage", arn) from exc
        return snapshot_from_describe(described)

    def group_tags(self, group_arn: str, region: str) -> dict[str, str]:
        tags: dict[str, str] = {}
        try:
            paginator = self._sm(region).get_paginator("list_tags")
            for page in paginator.paginate(ResourceArn=group_arn):
                tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, "ListTags", group_arn) from exc
        return tags

    def list_groups(self, region: str) -> Iterator[ListedGroup]:
        """The model package groups this account owns and those shared with it (each once)."""
        seen: set[str] = set()
        try:
            paginator = self._sm(region).get_paginator("list_model_package_groups")
            for option in ("SameAccount", "CrossAccount"):
                for page in paginator.paginate(CrossAccountFilterOption=option):
                    for group in page.get("ModelPackageGroupSummaryList", []):
                        if group["ModelPackageGroupArn"] not in seen:
                            seen.add(group["ModelPackageGroupArn"])
                            yield ListedGroup(group["ModelPackageGroupName"], group["ModelPackageGroupArn"])
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, "ListModelPackageGroups", f"in {region}") from exc

    def list_packages(
        self, group_arn: str, region: str, start: str | None = None
    ) -> Iterator[tuple[list[ListedPackage], str | None]]:
        """The group's versioned packages, a page (up to 100) at a time from `start` (a NextToken), each
        with the token of the page after it (None: the last)."""
        request: ListModelPackagesInputTypeDef = {"ModelPackageGroupName": group_arn,
                                                  "ModelPackageType": "Versioned", "MaxResults": 100}  # fmt: skip
        token = start
        try:
            while True:
                if token:
                    request["NextToken"] = token
                answer = self._sm(region).list_model_packages(**request)
                token = answer.get("NextToken") or None
                listed = [
                    ListedPackage(
                        p["ModelPackageArn"], p.get("ModelPackageGroupName", ""), p.get("ModelPackageVersion")
                    )
                    for p in answer.get("ModelPackageSummaryList", [])
                ]
                yield listed, token
                if token is None:
                    return
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, "ListModelPackages", group_arn) from exc

    def record_decision(self, arn: str, region: str, *, lifecycle_stage: str | None, status: str, comment: str) -> None:
        """A person's decision, made where Studio makes it: the package's approval status for the first
        stage, its ModelLifeCycle for a later one."""
        if lifecycle_stage is None:
            change: dict[str, Any] = {"ModelApprovalStatus": status, "ApprovalDescription": comment}
        else:
            change = {"ModelLifeCycle": {"Stage": lifecycle_stage, "StageStatus": status, "StageDescription": comment}}
        try:
            self._sm(region).update_model_package(ModelPackageArn=arn, **change)
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, "UpdateModelPackage", arn) from exc
