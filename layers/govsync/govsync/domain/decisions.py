"""A person's decision on a stage, as its stage record keeps it (oldest first), and its states:

- `collected`: an approval counted while the stage waits for more approvers;
- `sent`: handed to the registry (with the approvals collected before it: their `sent_with`);
- `applied`: the registry's event brought it back: the record and its audit entry name the person;
- `failed`: the registry refused it (`error`); `superseded`: the stage was decided elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

COLLECTED = "collected"
SENT = "sent"
APPLIED = "applied"
FAILED = "failed"
SUPERSEDED = "superseded"
APPROVE = "approve"
REJECT = "reject"


@dataclass(frozen=True, slots=True)
class Decision:
    id: str
    decision: str  # approve | reject
    by: str  # the person's name (email, IAM identity or username)
    username: str
    email: str | None
    comment: str
    at: str
    against: str  # the package's LastModifiedTime it was made against
    state: str
    sent_with: str | None = None  # a collected approval: the decision that sent it to the registry
    error: str | None = None  # a failed one: what the registry said

    def to_json(self) -> dict[str, Any]:
        """As stored: every field, the two optional ones only when set."""
        optional = ("sent_with", "error")
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None or f.name not in optional}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Decision:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def is_collected_approval(self) -> bool:
        return self.state == COLLECTED and self.decision == APPROVE
