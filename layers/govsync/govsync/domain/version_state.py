"""What the table holds for one model version: its head (the last registry change applied, the
audit chain's head) and its stage records."""

from __future__ import annotations

from dataclasses import dataclass, field

from govsync.domain.audit import GENESIS
from govsync.domain.records import StageRecord
from govsync.domain.usecases import Counted


@dataclass(frozen=True, slots=True)
class VersionHead:
    source_version: str | None
    audit_seq: int
    audit_head: str


@dataclass
class VersionState:
    group: str
    version: int
    head: VersionHead | None = None
    records: dict[str, StageRecord] = field(default_factory=dict)
    # stage -> what its record counts in its use case's tallies, as the table holds it (a record written
    # before the tallies existed counts nothing until the reconciler counts it)
    counted: dict[str, Counted] = field(default_factory=dict)

    @property
    def source_version(self) -> str | None:
        return self.head.source_version if self.head else None

    @property
    def audit_seq(self) -> int:
        return self.head.audit_seq if self.head else 0

    @property
    def audit_head(self) -> str:
        return self.head.audit_head if self.head else GENESIS
