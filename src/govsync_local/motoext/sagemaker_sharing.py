"""Cross-account SageMaker Model Registry: group resource policies and calls naming another account's
group or version by ARN, authorized as SageMaker does it.

- `put_model_package_group_policy` / `get_model_package_group_policy` /
  `delete_model_package_group_policy` (moto answers HTTP 500): the policy is checked as SageMaker
  checks it (JSON, principals, actions a group policy may grant, the group or its versions as the
  resource) and a bad one is refused with a ValidationException naming every problem.
- `create_model_package`, `update_model_package`, `describe_model_package`, `list_model_packages` and
  `describe_model_package_group` naming a group or version of **another account by ARN** run in that
  account's registry when its group policy or an accepted RAM share (`ram.grants`) allows the action
  for the caller's account, and otherwise fail with `AccessDeniedException` (a Deny statement wins).
  The version lives in the owner's registry, so its state-change event comes from there, with the
  caller's identity as `CreatedBy` / `LastModifiedBy`. A name (not an ARN) always means the caller's
  own account, as in SageMaker.
- `list_model_package_groups(CrossAccountFilterOption="CrossAccount")` lists the groups shared with
  the caller through RAM.

Departures from SageMaker: authorization is per account (an IAM role or user principal in a policy
shares with its whole account, and the caller's own IAM policies are not evaluated, as moto evaluates
none); policy conditions are refused rather than evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import SagemakerClientError, ValidationError
from moto.sagemaker.models import sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from govsync.domain.sharing import PolicyError, parse_group_policy, policy_allows
from govsync_local.motoext import ram
from govsync_local.motoext.listeners import caller_arn

OWNED_ARN = re.compile(
    r"arn:aws(?:-cn|-us-gov)?:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):"
    r"model-package(?:-group)?/(?P<group>[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})(?:/(?P<version>[0-9]+))?"
)


class AccessDenied(SagemakerClientError):
    code = "AccessDeniedException"


def _group(owner: str, region: str, name: str) -> Any:
    group = sagemaker_backends[owner][region].model_package_groups.get(name)
    if group is None:
        arn = f"arn:aws:sagemaker:{region}:{owner}:model-package-group/{name}"
        raise ValidationError(f"ModelPackageGroup {arn} does not exist.")
    return group


def allowed(owner: str, region: str, group_name: str, account: str, action: str) -> bool:
    """The owner's group policy or an accepted RAM share lets `account` call `action` on the group."""
    group = _group(owner, region, group_name)
    verdict = None
    if policy := getattr(group, "resource_policy", None):
        verdict = policy_allows(parse_group_policy(policy, group.arn), account, action)
    if verdict is False:
        return False
    return bool(verdict) or action in ram.grants(owner, region, group.arn, account)


def _cross_account(action: str, param: str, original: Callable[[SageMakerResponse], Any]) -> Callable[..., Any]:
    """Run `original` in the owning account's registry when `param` is another account's ARN, after
    checking that the owner lets the caller's account call `action`."""

    def handle(self: SageMakerResponse) -> Any:
        value = self._get_param(param)
        match = OWNED_ARN.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            return original(self)
        owner, caller = match["account"], self.current_account
        if ":model-package-group/" in value:
            self.params[param] = match["group"]  # SageMaker takes the group's ARN where moto wants its name
        if owner == caller:
            return original(self)
        if not allowed(owner, match["region"], match["group"], caller, f"sagemaker:{action}"):
            raise AccessDenied(
                f"User: {caller_arn(self) or caller} is not authorized to perform: sagemaker:{action} on resource: "
                f"{value} because no resource-based policy or resource share allows the sagemaker:{action} action"
            )
        self.govsync_caller_arn = caller_arn(self)  # the identity SageMaker records, from the caller's account
        self.current_account = owner
        try:
            return original(self)
        finally:
            self.current_account = caller

    handle.__name__ = original.__name__
    return handle


def install() -> None:
    """Patch moto's SageMaker (after `sagemaker_packages`, whose create and update it wraps)."""
    import warnings

    # SageMaker's service model lists no AccessDeniedException shape; the answer is right all the same
    warnings.filterwarnings("ignore", message=r"Exception\(AccessDenied\)", category=UserWarning)
    for action, param in (
        ("CreateModelPackage", "ModelPackageGroupName"),
        ("UpdateModelPackage", "ModelPackageArn"),
        ("DescribeModelPackage", "ModelPackageName"),
        ("ListModelPackages", "ModelPackageGroupName"),
        ("DescribeModelPackageGroup", "ModelPackageGroupName"),
    ):
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
        setattr(SageMakerResponse, method, _cross_account(action, param, getattr(SageMakerResponse, method)))

    original_list_groups = SageMakerResponse.list_model_package_groups

    def list_model_package_groups(self: SageMakerResponse) -> ActionResult:
        if self._get_param("CrossAccountFilterOption") != "CrossAccount":
            return original_list_groups(self)
        summaries = []
        for arn in ram.shared_with(self.current_account, self.region):
            match = OWNED_ARN.fullmatch(arn)
            assert match is not None
            group = sagemaker_backends[match["account"]][match["region"]].model_package_groups.get(match["group"])
            if group is not None:
                summaries.append(group.gen_response_object())
        return ActionResult({"ModelPackageGroupSummaryList": summaries})

    def put_model_package_group_policy(self: SageMakerResponse) -> ActionResult:
        group = _group(self.current_account, self.region, self._get_param("ModelPackageGroupName"))
        policy = self._get_param("ResourcePolicy")
        try:
            parse_group_policy(policy, group.arn)
        except PolicyError as exc:
            raise ValidationError(f"Invalid ResourcePolicy for {group.arn}: {exc}") from None
        group.resource_policy = policy
        return ActionResult({"ModelPackageGroupArn": group.arn})

    def get_model_package_group_policy(self: SageMakerResponse) -> ActionResult:
        group = _group(self.current_account, self.region, self._get_param("ModelPackageGroupName"))
        policy = getattr(group, "resource_policy", None)
        if not policy:
            raise ValidationError(f"Cannot find resource policy for {group.arn}")
        return ActionResult({"ResourcePolicy": policy})

    def delete_model_package_group_policy(self: SageMakerResponse) -> ActionResult:
        group = _group(self.current_account, self.region, self._get_param("ModelPackageGroupName"))
        if not getattr(group, "resource_policy", None):
            raise ValidationError(f"Cannot find resource policy for {group.arn}")
        group.resource_policy = None
        return ActionResult({})

    SageMakerResponse.list_model_package_groups = list_model_package_groups
    SageMakerResponse.put_model_package_group_policy = put_model_package_group_policy
    SageMakerResponse.get_model_package_group_policy = get_model_package_group_policy
    SageMakerResponse.delete_model_package_group_policy = delete_model_package_group_policy
