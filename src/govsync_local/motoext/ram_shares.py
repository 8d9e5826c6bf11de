"""The local RAM's resource shares, invitations and associations (kept on moto's RAM backend of the
owning account, so moto's reset clears them), and what they grant: see `ram` for the operations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from govsync.domain.arns import MODEL_PACKAGE_GROUP_ARN
from govsync.domain.sharing import permission_by_arn, principal_account

GROUP_ARN = MODEL_PACKAGE_GROUP_ARN
ORGANIZATION_ARN = re.compile(r"arn:aws:organizations::[0-9]{12}:organization/(o-[a-z0-9]+)")


def now() -> float:
    return datetime.now(UTC).timestamp()


@dataclass
class Invitation:
    arn: str
    share: Share
    receiver: str
    status: str = "PENDING"
    timestamp: float = field(default_factory=now)

    def describe(self) -> dict[str, Any]:
        return {
            "resourceShareInvitationArn": self.arn,
            "resourceShareName": self.share.name,
            "resourceShareArn": self.share.arn,
            "senderAccountId": self.share.owner,
            "receiverAccountId": self.receiver,
            "invitationTimestamp": self.timestamp,
            "status": self.status,
        }


@dataclass
class Share:
    arn: str
    name: str
    owner: str
    region: str
    permissions: list[str]
    allow_external: bool = True
    status: str = "ACTIVE"
    resources: dict[str, str] = field(default_factory=dict)  # arn -> association status
    principals: dict[str, str] = field(default_factory=dict)  # principal -> association status
    invitations: dict[str, Invitation] = field(default_factory=dict)  # receiver account -> invitation
    created: float = field(default_factory=now)
    updated: float = field(default_factory=now)

    def describe(self) -> dict[str, Any]:
        return {
            "resourceShareArn": self.arn,
            "name": self.name,
            "owningAccountId": self.owner,
            "allowExternalPrincipals": self.allow_external,
            "status": self.status,
            "creationTime": self.created,
            "lastUpdatedTime": self.updated,
            "featureSet": "STANDARD",
        }

    def association(self, entity: str, kind: str, status: str) -> dict[str, Any]:
        return {
            "resourceShareArn": self.arn,
            "resourceShareName": self.name,
            "associatedEntity": entity,
            "associationType": kind,
            "status": status,
            "creationTime": self.created,
            "lastUpdatedTime": self.updated,
            "external": kind == "PRINCIPAL" and not same_organization(self.owner, principal_account(entity) or ""),
        }


def organization_of(account: str) -> tuple[str, str] | None:
    """(organization id, management account) of the organization `account` belongs to in moto."""
    from moto.organizations.models import organizations_backends

    management = organizations_backends.master_accounts.get(account, (account, "aws"))[0]
    org = organizations_backends[management]["aws"].org
    return (org.id, management) if org is not None else None


def same_organization(a: str, b: str) -> bool:
    org = organization_of(a)
    return org is not None and org == organization_of(b)


def shares_of(account: str, region: str) -> dict[str, Share]:
    from moto.ram.models import ram_backends

    backend = ram_backends[account][region]
    if not hasattr(backend, "govsync_shares"):
        backend.govsync_shares = {}
    return backend.govsync_shares


def all_shares(region: str) -> list[Share]:
    from moto.ram.models import ram_backends

    found: list[Share] = []
    for account in list(ram_backends.keys()):
        found.extend(shares_of(account, region).values())
    return found


def associated(share: Share, account: str) -> bool:
    """`account` may use the share: an ASSOCIATED account principal, or a member of a shared organization."""
    if share.status != "ACTIVE":
        return False
    for principal, status in share.principals.items():
        if status != "ASSOCIATED":
            continue
        if principal_account(principal) == account:
            return True
        org = ORGANIZATION_ARN.fullmatch(principal)
        if org and (found := organization_of(account)) is not None and found[0] == org.group(1):
            return True
    return False


def grants(owner: str, region: str, group_arn: str, account: str) -> frozenset[str]:
    """The SageMaker actions the owner's accepted shares of `group_arn` grant to `account`."""
    actions: set[str] = set()
    for share in shares_of(owner, region).values():
        if share.resources.get(group_arn) == "ASSOCIATED" and associated(share, account):
            for arn in share.permissions:
                if (known := permission_by_arn(arn)) is not None:
                    actions.update(known[1])
    return frozenset(actions)


def shared_with(account: str, region: str) -> list[str]:
    """The model package group ARNs other accounts' accepted shares make visible to `account`."""
    return sorted(
        {
            arn
            for share in all_shares(region)
            if share.owner != account and associated(share, account)
            for arn, status in share.resources.items()
            if status == "ASSOCIATED" and GROUP_ARN.fullmatch(arn)
        }
    )
