"""Sharing a model package group with other accounts, as SageMaker does it: a resource policy on the
group (the SageMaker guide, "Register a Model Version from a Different Account") or an AWS RAM share
with one of SageMaker's managed permissions (the AWS blog on cross-account Model Registry sharing).

Pure rules, no AWS: the managed permissions and the actions they grant, the group policy a share
writes, the checks a policy must pass, and what a policy grants to whom. Who registered a version, and
whether the central stack accepts it: `domain.registrations`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

READ_ACTIONS = (
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:DescribeModelPackage",
    "sagemaker:ListModelPackages",
)
REGISTER_ACTIONS = ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage")
DEPLOY_ACTIONS = ("sagemaker:CreateModel",)

# --permission -> (RAM managed permission name, the actions it grants on the group and its versions).
# AWS's RAM reference names these permissions without listing their actions here; the sources relied on:
# the AWS blog on cross-account Model Registry sharing shares with the default permission and then
# registers versions from the dev account (so the default one grants registering and updating them, and
# the local AWS grants it reading, registering and deploying: every action a share may name); the
# SageMaker guide names the two narrower ones for deploying from, and registering into, a shared group.
PERMISSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "default": ("AWSRAMDefaultPermissionSageMakerModelPackageGroup", READ_ACTIONS + REGISTER_ACTIONS + DEPLOY_ACTIONS),
    "deploy": ("AWSRAMPermissionSageMakerModelPackageGroupAllowDeploy", READ_ACTIONS + DEPLOY_ACTIONS),
    "register": ("AWSRAMPermissionSageMakerModelPackageGroupAllowRegister", READ_ACTIONS + REGISTER_ACTIONS),
}
# --permission -> what it lets the accounts it is shared with do, in words (`govsync groups create` says it)
PERMISSION_MEANING: dict[str, str] = {
    "default": (
        "find the group, read its versions, register new ones, update them and create SageMaker models from "
        "them. Updating includes approving and rejecting them: keep that decision in this account with "
        "dev-account.yaml's registrant guardrail policy (RegistrantRoleNames) or the service control policy of "
        "the deploy guide"
    ),
    "deploy": "find the group, read its versions and create SageMaker models from them",
    "register": (
        "find the group, read its versions, register new ones and update them. Updating includes approving "
        "and rejecting them: keep that decision in this account with dev-account.yaml's registrant guardrail "
        "policy (RegistrantRoleNames) or the service control policy of the deploy guide"
    ),
}
RAM_RESOURCE_TYPE = "sagemaker:ModelPackageGroup"
# What a group policy may name (SageMaker refuses a policy with other actions).
POLICY_ACTIONS = frozenset(READ_ACTIONS + REGISTER_ACTIONS + DEPLOY_ACTIONS)
POLICY_SID = "GovsyncShare"
ACCOUNT_ID = re.compile(r"[0-9]{12}")
PRINCIPAL_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:iam::(?P<account>[0-9]{12}):(?:root|role/.+|user/.+)")


class PolicyError(ValueError):
    """A group policy SageMaker would refuse; `problems` names each reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def permission_for(name: str) -> tuple[str, tuple[str, ...]]:
    """The managed permission behind `--permission NAME` (default, deploy, register)."""
    try:
        return PERMISSIONS[name]
    except KeyError:
        raise ValueError(f"permission {name!r} is not one of: {', '.join(PERMISSIONS)}") from None


def permission_arn(name: str, partition: str = "aws") -> str:
    """The ARN of a RAM managed permission (`arn:aws:ram::aws:permission/NAME`)."""
    return f"arn:{partition}:ram::aws:permission/{name}"


def permission_by_arn(arn: str) -> tuple[str, tuple[str, ...]] | None:
    """(short name, actions) of a SageMaker managed permission ARN, or None for any other permission."""
    name = arn.rsplit("/", 1)[-1]
    return next(((short, actions) for short, (full, actions) in PERMISSIONS.items() if full == name), None)


def package_arn_pattern(group_arn: str) -> str:
    """The versions of a group, as seed policies name them: `...:model-package/GROUP/*`."""
    return group_arn.replace(":model-package-group/", ":model-package/") + "/*"


def group_policy(group_arn: str, accounts: Iterable[str], permission: str, *, partition: str = "aws") -> dict[str, Any]:
    """The resource policy sharing the group with `accounts`: the managed permission's actions on the
    group and its versions (the guide's `AddPermModelPackageVersion` statement, with the read actions a
    registrant needs to find the group)."""
    _, actions = permission_for(permission)
    principals = [f"arn:{partition}:iam::{account}:root" for account in sorted(set(accounts))]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"{POLICY_SID}{permission.title()}",
                "Effect": "Allow",
                "Principal": {"AWS": principals if len(principals) > 1 else principals[0]},
                "Action": list(actions),
                "Resource": [group_arn, package_arn_pattern(group_arn)],
            }
        ],
    }


@dataclass(frozen=True, slots=True)
class Grant:
    """What one policy statement says: Allow or Deny of actions to accounts."""

    effect: str
    accounts: frozenset[str]
    actions: frozenset[str]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_accounts(principal: Any, where: str, problems: list[str]) -> frozenset[str]:
    if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*"):
        problems.append(f"{where}: Principal '*' shares the group with every account; name the accounts")
        return frozenset()
    if not isinstance(principal, dict) or set(principal) != {"AWS"}:
        problems.append(f"{where}: Principal must be {{'AWS': account id or IAM ARN (or a list of them)}}")
        return frozenset()
    accounts = set()
    for entry in as_list(principal["AWS"]):
        text = str(entry)
        if (account := principal_account(text)) is not None:
            accounts.add(account)
        else:
            problems.append(f"{where}: principal {text[:100]!r} is not an account id or an IAM root, role or user ARN")
    return frozenset(accounts)


def _resources_ok(resource: Any, group_arn: str, where: str, problems: list[str]) -> None:
    allowed = {group_arn, package_arn_pattern(group_arn)}
    versions = re.compile(re.escape(package_arn_pattern(group_arn)[:-1]) + r"[1-9][0-9]{0,9}")
    for entry in as_list(resource):
        text = str(entry)
        if text not in allowed and not versions.fullmatch(text):
            problems.append(
                f"{where}: Resource {text[:200]!r} is neither the group ({group_arn}) nor its versions "
                f"({package_arn_pattern(group_arn)})"
            )


def parse_group_policy(text: str, group_arn: str) -> tuple[Grant, ...]:
    """Check a group policy as SageMaker does (JSON, Version, statements with Effect, principals, the
    actions a group policy may grant, the group or its versions as resources) and return its grants.
    Raises PolicyError naming every problem. Conditions are refused: they are not evaluated here."""
    try:
        document = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise PolicyError([f"ResourcePolicy is not JSON ({exc})"]) from None
    if not isinstance(document, dict):
        raise PolicyError(["ResourcePolicy must be a JSON object"])
    problems: list[str] = []
    if document.get("Version") not in ("2012-10-17", "2008-10-17"):
        problems.append("Version must be '2012-10-17'")
    statements = document.get("Statement")
    if not statements:
        raise PolicyError([*problems, "Statement is missing or empty"])
    grants = []
    for index, statement in enumerate(as_list(statements)):
        if not isinstance(statement, dict):
            problems.append(f"Statement[{index}] is not an object")
            continue
        where = f"Statement[{index}]" + (f" ({statement['Sid']})" if statement.get("Sid") else "")
        if statement.get("Effect") not in ("Allow", "Deny"):
            problems.append(f"{where}: Effect must be Allow or Deny")
        if "Condition" in statement:
            problems.append(f"{where}: Condition is not supported on a model package group policy here")
        if "NotAction" in statement or "NotPrincipal" in statement or "NotResource" in statement:
            problems.append(f"{where}: NotAction, NotPrincipal and NotResource are not supported")
        accounts = _principal_accounts(statement.get("Principal"), where, problems)
        actions = frozenset(str(a) for a in as_list(statement.get("Action", [])))
        if not actions:
            problems.append(f"{where}: Action is missing")
        unknown = sorted(actions - POLICY_ACTIONS)
        if unknown:
            problems.append(
                f"{where}: actions {unknown} cannot be granted on a model package group "
                f"(allowed: {', '.join(sorted(POLICY_ACTIONS))})"
            )
        if "Resource" not in statement:
            problems.append(f"{where}: Resource is missing")
        else:
            _resources_ok(statement["Resource"], group_arn, where, problems)
        grants.append(Grant(str(statement.get("Effect")), accounts, actions))
    if problems:
        raise PolicyError(problems)
    return tuple(grants)


def policy_allows(grants: Iterable[Grant], account: str, action: str) -> bool | None:
    """True when a statement allows `action` to `account`, False when one denies it (a Deny wins),
    None when the policy says nothing about it."""
    verdict = None
    for grant in grants:
        if account in grant.accounts and action in grant.actions:
            if grant.effect == "Deny":
                return False
            verdict = True
    return verdict


def shared_accounts(grants: Iterable[Grant]) -> dict[str, frozenset[str]]:
    """Account -> the actions the policy allows it (denied actions removed)."""
    allowed: dict[str, set[str]] = {}
    denied: dict[str, set[str]] = {}
    for grant in grants:
        target = allowed if grant.effect == "Allow" else denied
        for account in grant.accounts:
            target.setdefault(account, set()).update(grant.actions)
    return {a: frozenset(actions - denied.get(a, set())) for a, actions in allowed.items()}


def merged_policy(existing: str | None, group_arn: str, accounts: Iterable[str], permission: str,
                  *, partition: str = "aws") -> dict[str, Any]:  # fmt: skip
    """The group policy with `accounts` added to govsync's statement for `permission` (other
    statements kept as they are)."""
    wanted = group_policy(group_arn, accounts, permission, partition=partition)
    statement = wanted["Statement"][0]
    if not existing:
        return wanted
    document: dict[str, Any] = json.loads(existing)
    statements = as_list(document.get("Statement", []))
    for current in statements:
        if current.get("Sid") == statement["Sid"]:
            before = as_list(current.get("Principal", {}).get("AWS", []))
            principals = sorted(set(before) | set(as_list(statement["Principal"]["AWS"])))
            current["Principal"] = {"AWS": principals if len(principals) > 1 else principals[0]}
            break
    else:
        statements.append(statement)
    document["Statement"] = statements
    return document


def without_account(existing: str, account: str) -> dict[str, Any] | None:
    """The group policy with `account` removed from every Allow statement (None: nothing left)."""
    document: dict[str, Any] = json.loads(existing)
    kept = []
    for statement in as_list(document.get("Statement", [])):
        principals = as_list((statement.get("Principal") or {}).get("AWS", []))
        if statement.get("Effect") == "Allow":
            principals = [p for p in principals if principal_account(str(p)) != account]
            if not principals:
                continue
            statement["Principal"] = {"AWS": principals if len(principals) > 1 else principals[0]}
        kept.append(statement)
    if not kept:
        return None
    document["Statement"] = kept
    return document


def principal_account(principal: str) -> str | None:
    """The account of a policy or RAM principal: an account id, or an IAM root, role or user ARN."""
    if ACCOUNT_ID.fullmatch(principal):
        return principal
    match = PRINCIPAL_ARN.fullmatch(principal)
    return match["account"] if match else None
