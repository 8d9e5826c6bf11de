"""DeployFunction: deploy requests kicked in the stages' accounts by their strategies."""

from __future__ import annotations

from govsync import strategies
from govsync.adapters.aws import AssumedRoles
from govsync.adapters.registry import SageMakerRegistry
from govsync.adapters.sqs import SqsQueue
from govsync.services.deploy import Deployments
from govsync.settings import DeploySettings, settings_for
from govsync.wiring.built import built_once
from govsync.wiring.gates import gate_checks
from govsync.wiring.store import dead_letter, notified_store


@built_once
def deployments() -> Deployments:
    settings = settings_for(DeploySettings)
    clients = strategies.Clients(AssumedRoles("govsync-deploy", settings.region), settings.region)
    return Deployments(
        settings=settings,
        registry=SageMakerRegistry(),
        store=notified_store(settings),
        strategies=strategies.build(clients),
        dead_letter=dead_letter(settings),
        gates=gate_checks(settings),
        waits=SqsQueue(settings.deploy_queue_url, settings.region) if settings.deploy_queue_url else None,
    )
