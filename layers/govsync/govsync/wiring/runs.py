"""The scheduled functions' fan-out: their runs on the governance table, their work queue."""

from __future__ import annotations

from govsync.adapters.runs import RunStore
from govsync.adapters.sqs import SqsQueue
from govsync.services.fanout import Fanout
from govsync.settings import WorkQueue, settings_for
from govsync.wiring.built import built_once
from govsync.wiring.store import dead_letter


@built_once
def fanout() -> Fanout:
    settings = settings_for(WorkQueue)
    return Fanout(
        runs=RunStore(settings.governance_table, settings.region),
        queue=SqsQueue(settings.work_queue_url, settings.region),
        dead_letter=dead_letter(settings),
        max_receive_count=settings.max_receive_count,
    )
