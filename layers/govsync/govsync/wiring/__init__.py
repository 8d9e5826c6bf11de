"""Composition root: each function's services, built once per process from the settings.

One module per function, so a function loads only the adapters and services it uses: `store` (the table and
the dead-letter queue, shared), `sync` (RegistrySyncFunction), `use_cases`, `deploy` (DeployFunction),
`status` (DeploymentStatusFunction), `api` (GovernanceApiFunction), `metrics` (MetricsAggregatorFunction),
`reconcile` (ReconcilerFunction), `due_dates` (DueDatesFunction), `anchor` (AuditAnchorFunction), `runs` (the
scheduled functions' fan-out). A function's app imports its module. The functions below reach any builder from
one place (the CLI, the tests): each imports its module on first use, so importing this package loads none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govsync.adapters.store import GovernanceStore
    from govsync.services.decisions import Decisions
    from govsync.services.deploy import Deployments
    from govsync.services.deployment_status import DeploymentStatus
    from govsync.services.due_dates import DueDates, Reviews
    from govsync.services.export import Exporter
    from govsync.services.fanout import Fanout
    from govsync.services.gate_checks import GateQueries
    from govsync.services.metrics_aggregation import MetricsAggregator
    from govsync.services.reconcile import Reconciler
    from govsync.services.registry_sync import RegistrySync
    from govsync.services.retirement import Retirements
    from govsync.services.use_cases import UseCaseLifecycle


def governance_store() -> GovernanceStore:
    from govsync.wiring import store

    return store.governance_store()


def registry_sync() -> RegistrySync:
    from govsync.wiring import sync

    return sync.registry_sync()


def use_case_lifecycle() -> UseCaseLifecycle:
    from govsync.wiring import use_cases

    return use_cases.use_case_lifecycle()


def deployments() -> Deployments:
    from govsync.wiring import deploy

    return deploy.deployments()


def deployment_status() -> DeploymentStatus:
    from govsync.wiring import status

    return status.deployment_status()


def decisions() -> Decisions:
    from govsync.wiring import api

    return api.decisions()


def reviews() -> Reviews:
    from govsync.wiring import api

    return api.reviews()


def retirements() -> Retirements:
    from govsync.wiring import api

    return api.retirements()


def due_dates() -> DueDates:
    from govsync.wiring import due_dates as built

    return built.due_dates()


def exporter() -> Exporter:
    from govsync.wiring import api

    return api.exporter()


def gate_queries() -> GateQueries:
    from govsync.wiring import api

    return api.gate_queries()


def metrics_aggregator() -> MetricsAggregator:
    from govsync.wiring import metrics

    return metrics.metrics_aggregator()


def reconciler() -> Reconciler:
    from govsync.wiring import reconcile

    return reconcile.reconciler()


def fanout() -> Fanout:
    from govsync.wiring import runs

    return runs.fanout()


def reset() -> None:
    """Forget settings and services (tests change the environment between cases)."""
    from govsync.adapters import aws
    from govsync.settings import forget_settings
    from govsync.wiring import built

    forget_settings()
    aws.forget_clients()
    built.forget()
