"""People: who calls (a Cognito user with groups, or an IAM identity) and what their groups let them do.
How an identity becomes a person, and when two identities are the same person: `domain.identity`."""

from __future__ import annotations

from dataclasses import dataclass, field

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
