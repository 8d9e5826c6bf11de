"""DeploymentStatusFunction: endpoint state changes onto the deployed records."""

from __future__ import annotations

from govsync.services.deployment_status import DeploymentStatus
from govsync.settings import StatusSettings, settings_for
from govsync.wiring.built import built_once
from govsync.wiring.store import dead_letter, notified_store


@built_once
def deployment_status() -> DeploymentStatus:
    settings = settings_for(StatusSettings)
    return DeploymentStatus(settings=settings, store=notified_store(settings), dead_letter=dead_letter(settings))
