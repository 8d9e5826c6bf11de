"""People: who calls (a Cognito user with groups, or an IAM identity), what their groups let them do,
and whether they registered the version they are about to approve (separation of duties)."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

VIEWERS = "viewers"
APPROVERS = "approvers"
AUDITORS = "auditors"
ADMINS = "admins"
GROUPS = (VIEWERS, APPROVERS, AUDITORS, ADMINS)

READ = "read"
DECIDE = "decide"
EXPORT = "export"
MANAGE_USE_CASES = "manage-use-cases"

# permission -> the groups that hold it (a rule is data: the API and its tests read this table)
PERMISSIONS: dict[str, frozenset[str]] = {
    READ: frozenset(GROUPS),
    DECIDE: frozenset({APPROVERS, ADMINS}),
    EXPORT: frozenset({AUDITORS, ADMINS}),
    MANAGE_USE_CASES: frozenset({APPROVERS, ADMINS}),
}

# the CLI acts with the caller's IAM identity, whose rights IAM decides: every permission
IAM_GROUPS = frozenset({ADMINS})


@dataclass(frozen=True, slots=True)
class Person:
    """Who acts. `username` and `email` come from the token (API) or the IAM identity (CLI)."""

    username: str
    email: str | None = None
    groups: frozenset[str] = field(default_factory=frozenset)
    identity: str | None = None  # the IAM ARN, for the CLI

    @property
    def name(self) -> str:
        """How records and audit entries name the person: their email, else their IAM identity (the CLI),
        else their username."""
        return self.email or self.identity or self.username

    def may(self, permission: str) -> bool:
        return bool(self.groups & PERMISSIONS[permission])

    def refusal(self, permission: str) -> str | None:
        """Why the person may not do `permission`, or None."""
        if self.may(permission):
            return None
        allowed = ", ".join(sorted(PERMISSIONS[permission]))
        held = ", ".join(sorted(self.groups)) or "none"
        action = permission.replace("-", " ")
        return f"{self.name} may not {action}: it takes one of the groups {allowed} (yours: {held})"


def parse_groups(value: Any) -> frozenset[str]:
    """`cognito:groups` as a token has it (a list) or as API Gateway hands it on (`a,b` or `[a b]`)."""
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(str(v) for v in value if str(v))
    text = str(value or "").strip().strip("[]")
    return frozenset(part for part in text.replace(",", " ").split() if part)


def person_from_claims(claims: Mapping[str, Any]) -> Person | None:
    """The caller named by a Cognito authorizer's claims (None: no user in them)."""
    username = str(claims.get("cognito:username") or claims.get("username") or "").strip()
    if not username:
        return None
    email = str(claims.get("email") or "").strip() or None
    return Person(username=username, email=email, groups=parse_groups(claims.get("cognito:groups")))


def person_from_identity(arn: str) -> Person:
    """The CLI's caller: an IAM ARN; its session or user name is its username."""
    return Person(username=identity_name(arn), groups=IAM_GROUPS, identity=arn)


def identity_name(arn: str) -> str:
    """The last path element of an IAM or STS ARN: a user name, or a role session name."""
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn


def identity_people(identity: str, mapping: Mapping[str, str]) -> set[str]:
    """The names an IAM identity (a version's CreatedBy) goes by: the identity itself, its user or session
    name, and the person the identity mapping gives it (keys are ARNs or `*` patterns)."""
    names = {identity.lower(), identity_name(identity).lower()}
    for pattern, person in mapping.items():
        if pattern == identity or fnmatch.fnmatchcase(identity, pattern):
            names.add(person.lower())
    return names


def is_registrant(person: Person, created_by: str, mapping: Mapping[str, str]) -> bool:
    """Whether `person` registered the version `created_by` names."""
    names = identity_people(created_by, mapping)
    own = {person.username.lower(), *([person.email.lower()] if person.email else [])}
    if person.identity:
        own |= {person.identity.lower()}
    return bool(names & own)
