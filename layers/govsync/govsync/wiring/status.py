"""DeploymentStatusFunction: endpoint state changes onto the deployed records."""

from __future__ import annotations

from govsync.adapters.aws import AssumedRoles
from govsync.adapters.cloudwatch import CloudWatchAlarms
from govsync.adapters.rollouts import EndpointRollouts
from govsync.adapters.sqs import SqsQueue
from govsync.services.deployment_status import DeploymentStatus
from govsync.settings import StatusSettings, settings_for
from govsync.wiring.built import built_once
from govsync.wiring.store import dead_letter, notified_store


@built_once
def deployment_status() -> DeploymentStatus:
    settings = settings_for(StatusSettings)
    roles = AssumedRoles("govsync-deployment-status", settings.region)
    return DeploymentStatus(settings=settings, store=notified_store(settings), dead_letter=dead_letter(settings),
                            rollouts=EndpointRollouts(roles), alarms=CloudWatchAlarms(roles),
                            checks=SqsQueue(settings.progress_queue_url, settings.region)
                            if settings.progress_queue_url else None)  # fmt: skip
