"""The registry door watched: who made the registry's current decision on a stage, through which door
(govsync's API and CLI, or the registry itself: Studio, the SDK, `UpdateModelPackage`), and whether
that identity may decide at all.

A decision made through govsync names the people whose approvals sent it. A decision made in the
registry names the IAM identity SageMaker recorded (`LastModifiedBy`); it counts as one person, and
only when that identity may approve: an identity of the central account (the account owning the
group) that is not the registrant, and, when approver identities are configured, one of them. Any
other approval is an *unauthorized decision*: recorded, and counted for nothing. A rejection is always
honoured (it can only stop a deployment), and recorded as unauthorized when its identity may not
decide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from govsync.domain.identity import identity_names, matches_identity
from govsync.domain.registrations import identity_account

GOVSYNC_DOOR = "govsync"
REGISTRY_DOOR = "registry"


@dataclass(frozen=True, slots=True)
class Approvers:
    """Who may decide through the registry door: `identities` (IAM ARNs or `*` patterns; empty: any
    identity of the central account) and the identity map that names the person behind an identity."""

    identities: tuple[str, ...] = ()
    identity_map: Mapping[str, str] | None = None

    def refusal(self, identity: str, created_by: str, central_account: str) -> str | None:
        """Why `identity` may not decide on a version registered by `created_by` (None: it may)."""
        mapping = self.identity_map or {}
        if identity_names(identity, mapping) & identity_names(created_by, mapping):
            return f"separation of duties: {identity} registered this version (CreatedBy {created_by})"
        account = identity_account(identity)
        if account is None:
            return f"{identity} is not an IAM identity of the central account {central_account}"
        if account != central_account:
            return (
                f"{identity} is an identity of account {account}: only identities of the central account "
                f"{central_account} may decide"
            )
        if self.identities and not any(matches_identity(identity, p) for p in self.identities):
            return f"{identity} is not one of the approver identities ({', '.join(self.identities)})"
        return None


@dataclass(frozen=True, slots=True)
class RegistryDecision:
    """The registry's current decision on a stage: what, through which door, by whom, when, and whether
    it counts."""

    status: str  # approved | rejected
    door: str  # govsync | registry
    by: tuple[str, ...]  # the people whose decisions sent it (govsync), or the IAM identity SageMaker recorded
    at: str  # the package's LastModifiedTime when it was made
    decision_id: str | None = None  # govsync: the decision that sent it
    authorized: bool = True
    reason: str | None = None  # an unauthorized one: why it counts for nothing

    def to_json(self) -> dict[str, Any]:
        data = {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}
        data["by"] = list(self.by)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RegistryDecision | None:
        if not data or not data.get("status"):
            return None
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["by"] = tuple(str(name) for name in values.get("by") or ())
        return cls(**values)


def through_govsync(status: str, people: Sequence[str], decision_id: str | None, at: str) -> RegistryDecision:
    """A decision people made through govsync (`people`: each once, in the order they decided)."""
    return RegistryDecision(status, GOVSYNC_DOOR, tuple(dict.fromkeys(people)), at, decision_id=decision_id)


def through_registry(
    status: str, identity: str, at: str, created_by: str, central_account: str, approvers: Approvers
) -> RegistryDecision:
    """A decision made in the registry itself, judged: may its identity decide?"""
    refusal = approvers.refusal(identity, created_by, central_account)
    return RegistryDecision(status, REGISTRY_DOOR, (identity,), at, authorized=refusal is None, reason=refusal)
