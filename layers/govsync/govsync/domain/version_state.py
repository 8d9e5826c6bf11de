"""What the table holds for one model version: its head (the last registry change applied, the
audit chain's head) and its stage records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

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
    uncounted: set[str] = field(default_factory=set)  # stages whose record was written before the tallies
    # the last audit entry whose notifications were told (None: the version predates notifications,
    # everything it recorded counts as told)
    notified: int | None = None

    @property
    def source_version(self) -> str | None:
        return self.head.source_version if self.head else None

    @property
    def audit_seq(self) -> int:
        return self.head.audit_seq if self.head else 0

    @property
    def notified_seq(self) -> int:
        return self.notified if self.notified is not None else self.audit_seq

    @property
    def audit_head(self) -> str:
        return self.head.audit_head if self.head else GENESIS


class Applied(NamedTuple):
    """What the table holds of a version, for the reconciler: the registry change its head applied, and
    whether its records are counted in their use case's tallies (False: written before the tallies)."""

    source_version: str
    counted: bool = True
