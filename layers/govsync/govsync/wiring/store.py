"""What every function shares: the governance table and the dead-letter queue."""

from __future__ import annotations

from govsync.adapters.sqs import SqsDeadLetter
from govsync.adapters.store import GovernanceStore
from govsync.settings import Settings, get_settings
from govsync.wiring.built import built_once

__all__ = ["dead_letter", "get_settings", "governance_store"]


@built_once
def governance_store() -> GovernanceStore:
    settings = get_settings()
    return GovernanceStore(settings.governance_table, settings.region)


def dead_letter(settings: Settings) -> SqsDeadLetter:
    return SqsDeadLetter(settings.dead_letter_queue_url, settings.region)
