"""DeploymentStatusFunction: endpoint state changes onto the deployed records."""

from __future__ import annotations

from govsync.services.deployment_status import DeploymentStatus
from govsync.wiring.built import built_once
from govsync.wiring.store import dead_letter, get_settings, governance_store


@built_once
def deployment_status() -> DeploymentStatus:
    settings = get_settings()
    return DeploymentStatus(settings=settings, store=governance_store(), dead_letter=dead_letter(settings))
