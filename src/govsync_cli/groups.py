"""govsync groups: an ML engineer onboards a model package group in the central account and shares it
with dev accounts (an AWS RAM share with one of SageMaker's managed permissions, or the group resource
policy of the SageMaker guide), idempotently; lists and shows who each group is shared with, how, and
which invitations are still pending."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from govsync.domain.governance import DEFAULT_METADATA_KEYS
from govsync.domain.sharing import (
    PERMISSION_MEANING,
    PERMISSIONS,
    PolicyError,
    merged_policy,
    parse_group_policy,
    permission_arn,
    permission_by_arn,
    permission_for,
    shared_accounts,
    without_account,
)
from govsync_cli.base import EXIT_OK, CliError, NotFound, command_group, emit, region, subcommand, table

SHARE_PREFIX = "govsync-"
MANAGED_TAG = "govsync:managed"


def clients() -> tuple[Any, Any, Any]:
    import boto3

    return (boto3.client("sagemaker", region_name=region()), boto3.client("ram", region_name=region()),
            boto3.client("sts", region_name=region()))  # fmt: skip


def accounts_list(value: str) -> list[str]:
    accounts = [a.strip() for a in value.split(",") if a.strip()]
    bad = [a for a in accounts if not (a.isdigit() and len(a) == 12)]
    if not accounts or bad:
        raise argparse.ArgumentTypeError(f"want 12-digit account ids separated by commas, not {value!r}")
    return sorted(set(accounts))


# ---------------------------------------------------------------------------- what a group is shared with
@dataclass
class Sharing:
    """How one group is shared: by RAM share (permission, principal -> association status) and policy."""

    group: str
    arn: str
    tags: dict[str, str] = field(default_factory=dict)
    shares: list[dict[str, Any]] = field(default_factory=list)
    policy: dict[str, list[str]] = field(default_factory=dict)  # account -> actions the policy allows
    policy_error: str | None = None

    def accounts(self) -> dict[str, str]:
        """Account -> how it may reach the group ("ram:register", "ram:register (invitation pending)", "policy")."""
        found: dict[str, str] = {}
        for share in self.shares:
            for principal, status in share["principals"].items():
                if status in ("ASSOCIATED", "ASSOCIATING"):
                    pending = " (invitation pending)" if status == "ASSOCIATING" else ""
                    found[principal] = f"ram:{share['permission']}{pending}"
        for account in self.policy:
            found.setdefault(account, "policy")
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "arn": self.arn,
            "use_case_id": self.tags.get(DEFAULT_METADATA_KEYS["use_case_id"]),
            "tags": self.tags,
            "shared_with": self.accounts(),
            "ram_shares": self.shares,
            "policy": self.policy,
            "policy_error": self.policy_error,
            "pending_invitations": sorted(a for a, how in self.accounts().items() if "pending" in how),
        }


def ram_shares(ram: Any) -> dict[str, list[dict[str, Any]]]:
    """Group ARN -> this account's active RAM shares of it, with permission and principals."""
    by_group: dict[str, list[dict[str, Any]]] = {}
    for share in ram.get_resource_shares(resourceOwner="SELF", resourceShareStatus="ACTIVE")["resourceShares"]:
        arn = share["resourceShareArn"]
        resources = ram.get_resource_share_associations(associationType="RESOURCE", resourceShareArns=[arn])
        groups = [a["associatedEntity"] for a in resources["resourceShareAssociations"]
                  if a["status"] == "ASSOCIATED" and ":model-package-group/" in a["associatedEntity"]]  # fmt: skip
        if not groups:
            continue
        permissions = ram.list_resource_share_permissions(resourceShareArn=arn)["permissions"]
        names = [known[0] if (known := permission_by_arn(p["arn"])) else p["name"] for p in permissions]
        principals = ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[arn])
        entry = {
            "name": share["name"],
            "arn": arn,
            "permission": ",".join(names),
            "principals": {a["associatedEntity"]: a["status"] for a in principals["resourceShareAssociations"]},
        }
        for group in groups:
            by_group.setdefault(group, []).append(entry)
    return by_group


def sharing_of(sagemaker: Any, name: str, arn: str, shares: dict[str, list[dict[str, Any]]]) -> Sharing:
    sharing = Sharing(name, arn, shares=shares.get(arn, []))
    sharing.tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn).get("Tags", [])}
    policy = group_policy(sagemaker, name)
    if policy:
        try:
            allowed = shared_accounts(parse_group_policy(policy, arn))
            sharing.policy = {account: sorted(actions) for account, actions in allowed.items()}
        except PolicyError as exc:
            sharing.policy_error = str(exc)
    return sharing


def _unless_missing(call: Any, **kwargs: Any) -> Any:
    """The answer of a SageMaker read, or None when what it reads does not exist."""
    from botocore.exceptions import ClientError

    from govsync.adapters.aws import error_code

    try:
        return call(**kwargs)
    except ClientError as exc:
        if error_code(exc) in ("ValidationException", "ResourceNotFound"):
            return None
        raise


def group_policy(sagemaker: Any, name: str) -> str | None:
    found = _unless_missing(sagemaker.get_model_package_group_policy, ModelPackageGroupName=name)
    return None if found is None else str(found["ResourcePolicy"])


def describe_group(sagemaker: Any, name: str) -> dict[str, Any] | None:
    found = _unless_missing(sagemaker.describe_model_package_group, ModelPackageGroupName=name)
    return None if found is None else dict(found)


# ---------------------------------------------------------------------------- commands
def governance_tags(args: argparse.Namespace) -> dict[str, str]:
    keys = DEFAULT_METADATA_KEYS
    wanted = {keys["use_case_id"]: args.use_case, MANAGED_TAG: "true"}
    for option, key in (("use_case_name", "use_case_name"), ("owner", "model_owner"), ("lob", "model_lob"),
                        ("project", "model_project"), ("risk", "model_risk")):  # fmt: skip
        if value := getattr(args, option, None):
            wanted[keys[key]] = value
    return wanted


def cmd_groups_create(args: argparse.Namespace) -> int:
    sagemaker, ram, sts = clients()
    me = sts.get_caller_identity()["Account"]
    if me in args.share_with:
        raise CliError(f"--share-with names this account ({me}): a group is shared with other accounts")
    changes: list[str] = []
    found = describe_group(sagemaker, args.name)
    wanted_tags = governance_tags(args)
    if found is None:
        arn = sagemaker.create_model_package_group(
            ModelPackageGroupName=args.name,
            ModelPackageGroupDescription=args.description or f"Use case {args.use_case}",
            Tags=[{"Key": k, "Value": v} for k, v in wanted_tags.items()],
        )["ModelPackageGroupArn"]
        changes.append(f"created group {args.name} with tags {', '.join(f'{k}={v}' for k, v in wanted_tags.items())}")
    else:
        arn = found["ModelPackageGroupArn"]
        tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn).get("Tags", [])}
        missing = {k: v for k, v in wanted_tags.items() if tags.get(k) != v}
        if missing:
            sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in missing.items()])
            changes.append(f"tagged group {args.name}: {', '.join(f'{k}={v}' for k, v in missing.items())}")
    partition = arn.split(":")[1]
    shares = ram_shares(ram)
    if args.via == "ram":
        shared = share_by_ram(ram, arn, shares.get(arn, []), args.share_with, args.permission, partition)
        if shared:  # what RAM holds now
            changes += shared
            shares = ram_shares(ram)
    else:
        changes += share_by_policy(sagemaker, args.name, arn, args.share_with, args.permission, partition)
    sharing = sharing_of(sagemaker, args.name, arn, shares)
    _, granted = permission_for(args.permission)
    data = {**sharing.to_json(), "via": args.via, "permission": args.permission, "granted": list(granted),
            "changes": changes}  # fmt: skip
    lines = [f"  {change}" for change in changes] or [f"  nothing to change: {args.name} is already shared as asked"]
    lines.append(f"  permission {args.permission}: the accounts may {PERMISSION_MEANING[args.permission]}")
    lines += [f"  {account}: {how}" for account, how in sorted(sharing.accounts().items())]
    pending = data["pending_invitations"]
    if pending:
        lines.append(
            f"  invitations pending in {', '.join(pending)}: accept them there (RAM console, "
            "`aws ram accept-resource-share-invitation`, or dev-account.yaml's AutoAcceptInvitations)"
        )
    emit(args, data, f"group {args.name} ({arn})\n" + "\n".join(lines))
    return EXIT_OK


def share_by_ram(ram: Any, arn: str, shares: list[dict[str, Any]], accounts: list[str], permission: str,
                 partition: str) -> list[str]:  # fmt: skip
    """Share the group `arn` (whose current RAM shares are `shares`) with `accounts`; what was done."""
    wanted_permission = permission_arn(PERMISSIONS[permission][0], partition)
    share_name = f"{SHARE_PREFIX}{arn.rsplit('/', 1)[1]}-{permission}"
    existing = next((s for s in shares if s["name"] == share_name), None)
    if existing is None:
        share = ram.create_resource_share(
            name=share_name,
            resourceArns=[arn],
            principals=accounts,
            permissionArns=[wanted_permission],
            tags=[{"key": MANAGED_TAG, "value": "true"}],
        )["resourceShare"]
        return [f"RAM share {share['resourceShareArn']} ({PERMISSIONS[permission][0]}) with {', '.join(accounts)}"]
    present = {p for p, status in existing["principals"].items() if status in ("ASSOCIATED", "ASSOCIATING")}
    missing = [a for a in accounts if a not in present]
    if not missing:
        return []
    ram.associate_resource_share(resourceShareArn=existing["arn"], principals=missing)
    return [f"RAM share {existing['arn']}: added {', '.join(missing)}"]


def share_by_policy(sagemaker: Any, name: str, arn: str, accounts: list[str], permission: str,
                    partition: str) -> list[str]:  # fmt: skip
    existing = group_policy(sagemaker, name)
    document = merged_policy(existing, arn, accounts, permission, partition=partition)
    if existing and json.loads(existing) == document:
        return []
    sagemaker.put_model_package_group_policy(ModelPackageGroupName=name, ResourcePolicy=json.dumps(document))
    return [f"group policy: {PERMISSIONS[permission][0]}'s actions for {', '.join(accounts)}"]


def own_groups(sagemaker: Any) -> Iterable[dict[str, Any]]:
    for page in sagemaker.get_paginator("list_model_package_groups").paginate():
        yield from page["ModelPackageGroupSummaryList"]


def cmd_groups_list(args: argparse.Namespace) -> int:
    sagemaker, ram, _ = clients()
    shares = ram_shares(ram)
    groups = [sharing_of(sagemaker, g["ModelPackageGroupName"], g["ModelPackageGroupArn"], shares).to_json()
              for g in own_groups(sagemaker)]  # fmt: skip
    shared_in = sagemaker.list_model_package_groups(CrossAccountFilterOption="CrossAccount")
    received = [i for i in ram.get_resource_share_invitations()["resourceShareInvitations"] if i["status"] == "PENDING"]
    data = {
        "groups": groups,
        "shared_with_this_account": [g["ModelPackageGroupArn"] for g in shared_in["ModelPackageGroupSummaryList"]],
        "invitations_received": received,
    }
    rows = [
        {"group": g["group"], "use_case": g["use_case_id"],
         "shared_with": ", ".join(f"{a} {how}" for a, how in sorted(g["shared_with"].items()))}
        for g in groups
    ]  # fmt: skip
    text = table(rows, ("group", "use_case", "shared_with"))
    if data["shared_with_this_account"]:
        text += "\n\nshared with this account:\n" + "\n".join(f"  {a}" for a in data["shared_with_this_account"])
    if received:
        text += "\n\ninvitations received (pending):\n" + "\n".join(
            f"  {i['resourceShareName']} from {i['senderAccountId']}: {i['resourceShareInvitationArn']}"
            for i in received
        )
    emit(args, data, text)
    return EXIT_OK


def own_group_arn(sagemaker: Any, name: str) -> str:
    """The ARN of this account's group `name`; exit 1 naming it when there is none."""
    found = describe_group(sagemaker, name)
    if found is None:
        raise NotFound(f"no model package group {name!r} in this account (`govsync groups list` lists them)")
    return str(found["ModelPackageGroupArn"])


def cmd_groups_show(args: argparse.Namespace) -> int:
    sagemaker, ram, _ = clients()
    sharing = sharing_of(sagemaker, args.name, own_group_arn(sagemaker, args.name), ram_shares(ram)).to_json()
    lines = [f"group {args.name} ({sharing['arn']})", f"  use case: {sharing['use_case_id'] or '—'}"]
    lines += [f"  tag {k}={v}" for k, v in sorted(sharing["tags"].items())]
    for share in sharing["ram_shares"]:
        lines.append(f"  RAM share {share['name']} ({share['permission']}): {share['arn']}")
        lines += [f"    {p}: {status.lower()}" for p, status in sorted(share["principals"].items())]
    for account, actions in sorted(sharing["policy"].items()):
        lines.append(f"  group policy: {account} may {', '.join(a.split(':', 1)[1] for a in actions)}")
    if sharing["policy_error"]:
        lines.append(f"  group policy not understood: {sharing['policy_error']}")
    if not sharing["shared_with"]:
        lines.append("  shared with no account")
    emit(args, sharing, "\n".join(lines))
    return EXIT_OK


def cmd_groups_unshare(args: argparse.Namespace) -> int:
    sagemaker, ram, _ = clients()
    arn, changes = own_group_arn(sagemaker, args.name), []
    for share in ram_shares(ram).get(arn, []):
        if share["principals"].get(args.account) in ("ASSOCIATED", "ASSOCIATING"):
            ram.disassociate_resource_share(resourceShareArn=share["arn"], principals=[args.account])
            changes.append(f"RAM share {share['name']}: removed {args.account}")
    policy = group_policy(sagemaker, args.name)
    if policy and args.account in shared_accounts(parse_group_policy(policy, arn)):
        document = without_account(policy, args.account)
        if document is None:
            sagemaker.delete_model_package_group_policy(ModelPackageGroupName=args.name)
        else:
            sagemaker.put_model_package_group_policy(
                ModelPackageGroupName=args.name, ResourcePolicy=json.dumps(document)
            )
        changes.append(f"group policy: removed {args.account}")
    text = "\n".join(f"  {c}" for c in changes) or f"  nothing to change: {args.name} is not shared with {args.account}"
    emit(args, {"group": args.name, "account": args.account, "changes": changes}, f"group {args.name}\n{text}")
    return EXIT_OK


def add_commands(commands: Any) -> None:
    groups = command_group(
        commands, "groups", "model package groups of this (central) account and who they are shared with"
    )
    p = subcommand(
        groups,
        "create",
        help_text="create a group with governance tags and share it with dev accounts (idempotent)",
        description="Create the group (if missing) with governance tags, and share it with the accounts: an AWS RAM "
        "share with SageMaker's managed permission (--via ram, the default) or the group's resource policy "
        "(--via policy). Running it again changes nothing and says so.",
        func=cmd_groups_create,
    )
    p.add_argument("name", help="model package group name")
    p.add_argument("--use-case", required=True, help="the use case id (tag UseCaseId)")
    p.add_argument("--share-with", required=True, type=accounts_list, metavar="ACCOUNT[,ACCOUNT...]")
    p.add_argument("--permission", choices=tuple(PERMISSIONS), default="register",
                   help="register: create and update versions (default); deploy; default: read only")  # fmt: skip
    p.add_argument("--via", choices=("ram", "policy"), default="ram", help="AWS RAM share (default) or group policy")
    p.add_argument("--description", help="the group's description")
    p.add_argument("--use-case-name", help="tag UseCaseName")
    p.add_argument("--owner", help="tag ModelOwner")
    p.add_argument("--lob", help="tag ModelLoB")
    p.add_argument("--project", help="tag ModelProject")
    p.add_argument("--risk", choices=("high", "medium", "low"), help="tag ModelRisk")
    p = subcommand(
        groups, "list", "groups, who they are shared with and how; groups shared with this account", cmd_groups_list
    )
    p = subcommand(groups, "show", "one group: tags, RAM shares with their principals, group policy", cmd_groups_show)
    p.add_argument("name")
    p = subcommand(groups, "unshare", "stop sharing a group with an account (RAM and group policy)", cmd_groups_unshare)
    p.add_argument("name")
    p.add_argument("--account", required=True, type=lambda v: accounts_list(v)[0], help="the account to remove")
