"""What every function shares: the governance table and the dead-letter queue."""

from __future__ import annotations

from govsync.adapters.sqs import SqsDeadLetter
from govsync.adapters.store import GovernanceStore
from govsync.settings import Common, Queued, settings_for
from govsync.wiring.built import built_once


@built_once
def governance_store() -> GovernanceStore:
    settings = settings_for(Common)
    return GovernanceStore(settings.governance_table, settings.region)


def dead_letter(settings: Queued) -> SqsDeadLetter:
    return SqsDeadLetter(settings.dead_letter_queue_url, settings.region)
