"""AWS RAM for model package groups, as the blog on cross-account Model Registry sharing uses it.

moto 5.2.5 refuses `model-package-group` ARNs, keeps no permissions and has no invitations. This
module keeps the resource shares itself (on moto's RAM backend of the owning account, so moto's reset
clears them) and answers:

- `create_resource_share` for model package groups the caller owns (and the resource types moto
  knows), with SageMaker's three managed permissions (`AWSRAMDefaultPermissionSageMakerModelPackageGroup`
  when none is named), principals as account ids, IAM ARNs (their account) or the organization's ARN;
- `get_resource_share_invitations` / `accept_resource_share_invitation` /
  `reject_resource_share_invitation` in the receiving account. A principal in the owner's organization
  gets no invitation: its association is ASSOCIATED at once (RAM's auto-accept within an organization
  with sharing enabled);
- `get_resource_shares`, `list_resources` (SELF and OTHER-ACCOUNTS), `get_resource_share_associations`,
  `list_resource_share_permissions`, `associate_resource_share`, `disassociate_resource_share`,
  `delete_resource_share`.

`grants(owner, region, group_arn, account)` tells SageMaker's cross-account check what an accepted
share lets `account` do. Departures from RAM: sharing with an organization always auto-accepts (no
`enable_sharing_with_aws_organization` needed), OUs are refused, an IAM role or user principal shares
with its whole account, associations change state at once (no ASSOCIATING delay other than a pending
invitation), and customer-managed permissions are not supported.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from govsync.domain.sharing import PERMISSIONS, RAM_RESOURCE_TYPE, permission_arn, permission_by_arn, principal_account
from govsync_local.motoext.ram_shares import (
    GROUP_ARN,
    ORGANIZATION_ARN,
    Invitation,
    Share,
    all_shares,
    associated,
    grants,
    now,
    organization_of,
    same_organization,
    shared_with,
    shares_of,
)

NEW_PATHS = {
    "{0}/getresourceshareinvitations$": "get_resource_share_invitations",
    "{0}/acceptresourceshareinvitation$": "accept_resource_share_invitation",
    "{0}/rejectresourceshareinvitation$": "reject_resource_share_invitation",
    "{0}/listresources$": "list_resources",
    "{0}/associateresourceshare$": "associate_resource_share",
    "{0}/disassociateresourceshare$": "disassociate_resource_share",
    "{0}/listresourcesharepermissions$": "list_resource_share_permissions",
}


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError(code, message)
    error.code = 400
    return error


class _Ram:
    """The operations, on a request of moto's RAM response class."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.account = response.current_account
        self.region = response.region
        try:
            self.params = json.loads(response.body or "{}")
        except ValueError:
            self.params = {}

    def _owned(self, arn: str | None) -> Share:
        share = shares_of(self.account, self.region).get(arn or "")
        if share is None or share.status == "DELETED":
            raise _error("UnknownResourceException", f"ResourceShare {arn} could not be found.")
        return share

    def _check_resources(self, arns: list[str]) -> list[str]:
        from moto.ram.models import ResourceShare

        for arn in arns:
            group = GROUP_ARN.fullmatch(arn)
            if group:
                if group["account"] != self.account:
                    raise _error("MalformedArnException", f"You can share only resources you own: {arn}")
                from moto.sagemaker.models import sagemaker_backends

                if group["group"] not in sagemaker_backends[self.account][group["region"]].model_package_groups:
                    raise _error("UnknownResourceException", f"Resource {arn} could not be found.")
                continue
            match = re.search(r"^arn:aws:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:([a-z-]+)[/:].*$", arn)
            if not match or match.group(1) not in ResourceShare.SHAREABLE_RESOURCES:
                raise _error("MalformedArnException", f"You cannot share the selected resource type: {arn}")
        return arns

    def _check_principals(self, principals: list[str], allow_external: bool) -> list[str]:
        for principal in principals:
            if ORGANIZATION_ARN.fullmatch(principal):
                org = organization_of(self.account)
                if org is None or not principal.endswith(f"/{org[0]}"):
                    raise _error("UnknownResourceException", f"Organization {principal} could not be found.")
                continue
            account = principal_account(principal)
            if account is None:
                raise _error(
                    "InvalidParameterException",
                    f"Principal ID {principal} is malformed (want an account id, an IAM ARN or the organization ARN).",
                )
            if account == self.account:
                raise _error("InvalidParameterException", f"The resource share owner {account} cannot be a principal.")
            if not allow_external and not same_organization(self.account, account):
                raise _error(
                    "OperationNotPermittedException",
                    f"Principal {principal} is outside your organization and allowExternalPrincipals is false.",
                )
        return principals

    def _permissions(self, arns: list[str] | None, resources: list[str]) -> list[str]:
        default = permission_arn(PERMISSIONS["default"][0])
        if not arns:
            return [default] if any(GROUP_ARN.fullmatch(r) for r in resources) else []
        for arn in arns:
            if permission_by_arn(arn) is None:
                raise _error(
                    "UnknownResourceException",
                    f"Permission {arn} could not be found (the local RAM knows SageMaker's managed permissions: "
                    f"{', '.join(name for name, _ in PERMISSIONS.values())}).",
                )
        return list(arns)

    def _add_principals(self, share: Share, principals: list[str]) -> None:
        for principal in principals:
            account = principal_account(principal)
            if account is None or same_organization(share.owner, account):
                share.principals[principal] = "ASSOCIATED"  # an organization, or one of its accounts
                continue
            current = share.invitations.get(account)
            if share.principals.get(principal) == "ASSOCIATED":
                continue
            if current is None or current.status != "PENDING":
                arn = f"arn:aws:ram:{share.region}:{share.owner}:resource-share-invitation/{uuid.uuid4()}"
                share.invitations[account] = Invitation(arn, share, account)
            share.principals[principal] = "ASSOCIATING"

    # ------------------------------------------------------------------ owner
    def create_resource_share(self) -> dict[str, Any]:
        p = self.params
        if not p.get("name"):
            raise _error("InvalidParameterException", "name is required")
        resources = self._check_resources(list(p.get("resourceArns") or []))
        allow_external = bool(p.get("allowExternalPrincipals", True))
        principals = self._check_principals(list(p.get("principals") or []), allow_external)
        share = Share(
            arn=f"arn:aws:ram:{self.region}:{self.account}:resource-share/{uuid.uuid4()}",
            name=p["name"],
            owner=self.account,
            region=self.region,
            permissions=self._permissions(p.get("permissionArns"), resources),
            allow_external=allow_external,
        )
        share.resources = dict.fromkeys(resources, "ASSOCIATED")
        self._add_principals(share, principals)
        shares_of(self.account, self.region)[share.arn] = share
        described = share.describe()
        described.pop("featureSet")
        return {"resourceShare": described}

    def delete_resource_share(self) -> dict[str, Any]:
        share = self._owned(self.response.querystring.get("resourceShareArn", [None])[0])
        share.status = "DELETED"
        share.updated = now()
        return {"returnValue": True}

    def associate_resource_share(self) -> dict[str, Any]:
        share = self._owned(self.params.get("resourceShareArn"))
        resources = self._check_resources(list(self.params.get("resourceArns") or []))
        principals = self._check_principals(list(self.params.get("principals") or []), share.allow_external)
        for arn in resources:
            share.resources[arn] = "ASSOCIATED"
        self._add_principals(share, principals)
        share.updated = now()
        associations = [share.association(r, "RESOURCE", share.resources[r]) for r in resources]
        associations += [share.association(p, "PRINCIPAL", share.principals[p]) for p in principals]
        return {"resourceShareAssociations": associations}

    def disassociate_resource_share(self) -> dict[str, Any]:
        share = self._owned(self.params.get("resourceShareArn"))
        associations = []
        for principal in self.params.get("principals") or []:
            if principal not in share.principals:
                raise _error("UnknownResourceException", f"Principal {principal} is not associated with {share.arn}.")
            share.principals[principal] = "DISASSOCIATED"
            account = principal_account(principal)
            if account and (invitation := share.invitations.get(account)) and invitation.status == "PENDING":
                invitation.status = "EXPIRED"
            associations.append(share.association(principal, "PRINCIPAL", "DISASSOCIATING"))
        for arn in self.params.get("resourceArns") or []:
            if arn not in share.resources:
                raise _error("UnknownResourceException", f"Resource {arn} is not associated with {share.arn}.")
            share.resources[arn] = "DISASSOCIATED"
            associations.append(share.association(arn, "RESOURCE", "DISASSOCIATING"))
        share.updated = now()
        return {"resourceShareAssociations": associations}

    def get_resource_share_associations(self) -> dict[str, Any]:
        p = self.params
        kind = p.get("associationType")
        if kind not in ("PRINCIPAL", "RESOURCE"):
            raise _error("InvalidParameterException", f"{kind} is not a valid association type.")
        wanted = set(p.get("resourceShareArns") or [])
        found = []
        for share in shares_of(self.account, self.region).values():
            if wanted and share.arn not in wanted:
                continue
            entries = share.principals if kind == "PRINCIPAL" else share.resources
            for entity, status in entries.items():
                if p.get("principal") not in (None, entity) or p.get("resourceArn") not in (None, entity):
                    continue
                if p.get("associationStatus") not in (None, status):
                    continue
                found.append(share.association(entity, kind, status))
        return {"resourceShareAssociations": found}

    # ------------------------------------------------------------------ either side
    def _visible(self, owner: str | None) -> list[Share]:
        if owner not in ("SELF", "OTHER-ACCOUNTS"):
            raise _error(
                "InvalidParameterException", f"{owner} is not a valid resource owner (SELF or OTHER-ACCOUNTS)."
            )
        if owner == "SELF":
            return [s for s in shares_of(self.account, self.region).values() if s.status != "DELETED"]
        return [s for s in all_shares(self.region) if s.owner != self.account and associated(s, self.account)]

    def get_resource_shares(self) -> dict[str, Any]:
        p = self.params
        shares = self._visible(p.get("resourceOwner"))
        wanted = set(p.get("resourceShareArns") or [])
        found = [
            s.describe()
            for s in shares
            if (not wanted or s.arn in wanted)
            and p.get("name") in (None, s.name)
            and p.get("resourceShareStatus") in (None, s.status)
        ]
        return {"resourceShares": found}

    def list_resources(self) -> dict[str, Any]:
        p = self.params
        wanted_shares = set(p.get("resourceShareArns") or [])
        wanted_arns = set(p.get("resourceArns") or [])
        found = []
        for share in self._visible(p.get("resourceOwner")):
            if wanted_shares and share.arn not in wanted_shares:
                continue
            if p.get("principal") and share.principals.get(p["principal"]) != "ASSOCIATED":
                continue
            for arn, status in share.resources.items():
                kind = RAM_RESOURCE_TYPE if GROUP_ARN.fullmatch(arn) else arn.split(":")[2]
                if status != "ASSOCIATED" or (wanted_arns and arn not in wanted_arns):
                    continue
                if p.get("resourceType") and p["resourceType"].lower() != kind.lower():
                    continue
                found.append({"arn": arn, "type": kind, "resourceShareArn": share.arn, "status": "AVAILABLE",
                              "creationTime": share.created, "lastUpdatedTime": share.updated})  # fmt: skip
        return {"resources": found}

    def list_resource_share_permissions(self) -> dict[str, Any]:
        arn = self.params.get("resourceShareArn")
        share = next((s for s in all_shares(self.region) if s.arn == arn), None)
        if share is None or (share.owner != self.account and not associated(share, self.account)):
            raise _error("UnknownResourceException", f"ResourceShare {arn} could not be found.")
        permissions = []
        for permission in share.permissions:
            name = permission.rsplit("/", 1)[-1]
            permissions.append({"arn": permission, "version": "1", "defaultVersion": True, "name": name,
                                "resourceType": RAM_RESOURCE_TYPE, "status": "ATTACHABLE",
                                "isResourceTypeDefault": name == PERMISSIONS["default"][0]})  # fmt: skip
        return {"permissions": permissions}

    # ------------------------------------------------------------------ receiver
    def _invitations(self) -> list[Invitation]:
        return [i for s in all_shares(self.region) for i in s.invitations.values() if i.receiver == self.account]

    def get_resource_share_invitations(self) -> dict[str, Any]:
        arns = set(self.params.get("resourceShareInvitationArns") or [])
        shares = set(self.params.get("resourceShareArns") or [])
        found = [
            i.describe()
            for i in self._invitations()
            if (not arns or i.arn in arns) and (not shares or i.share.arn in shares)
        ]
        return {"resourceShareInvitations": found}

    def _answer(self, status: str) -> dict[str, Any]:
        arn = self.params.get("resourceShareInvitationArn")
        invitation = next((i for i in self._invitations() if i.arn == arn), None)
        if invitation is None:
            raise _error("ResourceShareInvitationArnNotFoundException", f"Invitation {arn} could not be found.")
        if invitation.status == "ACCEPTED":
            raise _error("ResourceShareInvitationAlreadyAcceptedException", f"Invitation {arn} is already accepted.")
        if invitation.status != "PENDING":
            raise _error("ResourceShareInvitationExpiredException", f"Invitation {arn} is {invitation.status}.")
        invitation.status = status
        share = invitation.share
        for principal in share.principals:
            if principal_account(principal) == invitation.receiver and share.principals[principal] == "ASSOCIATING":
                share.principals[principal] = "ASSOCIATED" if status == "ACCEPTED" else "DISASSOCIATED"
        return {"resourceShareInvitation": invitation.describe()}

    def accept_resource_share_invitation(self) -> dict[str, Any]:
        return self._answer("ACCEPTED")

    def reject_resource_share_invitation(self) -> dict[str, Any]:
        return self._answer("REJECTED")


OPERATIONS = (
    "create_resource_share",
    "delete_resource_share",
    "get_resource_shares",
    "get_resource_share_associations",
    *NEW_PATHS.values(),
)


def install() -> None:
    """Route RAM's operations to the shares kept here."""
    from moto.ram import urls
    from moto.ram.responses import ResourceAccessManagerResponse

    for path in NEW_PATHS:
        urls.url_paths.setdefault(path, ResourceAccessManagerResponse.dispatch)

    def operation(name: str) -> Any:
        def handle(self: ResourceAccessManagerResponse) -> str:
            return json.dumps(getattr(_Ram(self), name)())

        handle.__name__ = name
        return handle

    for name in OPERATIONS:
        setattr(ResourceAccessManagerResponse, name, operation(name))


__all__ = ["grants", "organization_of", "shared_with"]
