"""Composition root: builds each service once per process from the settings."""

from __future__ import annotations

from functools import lru_cache

from govsync.adapters.deadletter import SqsDeadLetter
from govsync.adapters.registry import SageMakerRegistry
from govsync.adapters.store import GovernanceStore
from govsync.settings import get_settings
from govsync.sync import RegistrySync


@lru_cache(maxsize=1)
def governance_store() -> GovernanceStore:
    settings = get_settings()
    return GovernanceStore(settings.governance_table, settings.region)


@lru_cache(maxsize=1)
def registry_sync() -> RegistrySync:
    settings = get_settings()
    return RegistrySync(
        settings=settings,
        registry=SageMakerRegistry(),
        store=governance_store(),
        dead_letter=SqsDeadLetter(settings.dead_letter_queue_url, settings.region),
    )


def reset() -> None:
    """Forget settings and services (tests change the environment between cases)."""
    from govsync.adapters import aws

    for cached in (get_settings, governance_store, registry_sync, aws.client):
        cached.cache_clear()
