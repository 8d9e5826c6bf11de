"""The use-case desk (the registry sync's lifecycle step, the API, the CLI)."""

from __future__ import annotations

from govsync.services.ports import utc_now
from govsync.services.use_cases import UseCaseLifecycle
from govsync.settings import UseCaseStages, settings_for
from govsync.wiring.built import built_once
from govsync.wiring.store import governance_store


@built_once
def use_case_lifecycle() -> UseCaseLifecycle:
    settings = settings_for(UseCaseStages)
    return UseCaseLifecycle(governance_store(), settings.use_case_stages, utc_now)
