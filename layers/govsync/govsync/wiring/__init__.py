"""Composition root: each function's services, built once per process from the settings.

One module per function, so a function loads only the adapters and services it uses: `store` (the
table and the dead-letter queue, shared), `sync` (RegistrySyncFunction), `use_cases`, `deploy`
(DeployFunction), `status` (DeploymentStatusFunction), `api` (GovernanceApiFunction), `metrics`
(MetricsAggregatorFunction), `reconcile` (ReconcilerFunction), `runs` (the scheduled functions'
fan-out). A function's app imports its module; `wiring.<builder>()` (the CLI, the tests) imports the
module holding that builder on first use.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

# builder -> the module that defines it
BUILDERS: dict[str, str] = {
    "governance_store": "store",
    "dead_letter": "store",
    "get_settings": "store",
    "registry_sync": "sync",
    "use_case_desk": "use_cases",
    "deployments": "deploy",
    "deployment_status": "status",
    "decisions": "api",
    "exporter": "api",
    "metrics_aggregator": "metrics",
    "reconciler": "reconcile",
    "fanout": "runs",
}


def __getattr__(name: str) -> Any:
    if name not in BUILDERS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{BUILDERS[name]}"), name)


def reset() -> None:
    """Forget settings and services (tests change the environment between cases)."""
    from govsync.adapters import aws
    from govsync.settings import get_settings

    get_settings.cache_clear()
    aws.client.cache_clear()
    for name, module in BUILDERS.items():
        cached: Any = getattr(sys.modules.get(f"{__name__}.{module}"), name, None)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()
