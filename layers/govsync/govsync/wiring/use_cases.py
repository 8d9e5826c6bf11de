"""The use-case desk (the registry sync's lifecycle step, the API, the CLI)."""

from __future__ import annotations

from functools import lru_cache

from govsync.services.ports import utc_now
from govsync.services.use_cases import UseCaseLifecycle
from govsync.wiring.store import get_settings, governance_store


@lru_cache(maxsize=1)
def use_case_desk() -> UseCaseLifecycle:
    settings = get_settings()
    return UseCaseLifecycle(governance_store(), settings.use_case_stages, utc_now)
