"""ReconcilerFunction: the registry listed and every missing or stale record repaired."""

from __future__ import annotations

from govsync.adapters.registry import SageMakerRegistry
from govsync.services.reconcile import Reconciler
from govsync.settings import ReconcileSettings, settings_for
from govsync.wiring.built import built_once
from govsync.wiring.store import governance_store
from govsync.wiring.sync import registry_sync


@built_once
def reconciler() -> Reconciler:
    settings = settings_for(ReconcileSettings)
    return Reconciler(settings=settings, registry=SageMakerRegistry(), store=governance_store(), sync=registry_sync())
