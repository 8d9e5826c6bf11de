"""Binding the governance table's item classes to the table named at run time."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.models import Model

from govsync.adapters.dynamodb_items import (
    AuditItem,
    GovernanceItem,
    StageRecordItem,
    UseCaseItem,
    UseCaseTallyItem,
    VersionHeadItem,
)
from govsync.adapters.dynamodb_job_items import MetricsPointItem, RunItem, RunPartItem

MODELS: tuple[type[Model], ...] = (
    GovernanceItem,
    VersionHeadItem,
    StageRecordItem,
    AuditItem,
    UseCaseItem,
    UseCaseTallyItem,
    MetricsPointItem,
    RunItem,
    RunPartItem,
)


def bind(table_name: str, region: str, host: str | None = None) -> Connection:
    """Point every item class at the governance table (names are known at run time, not at import);
    a connection for transactions on it."""
    for model in MODELS:
        model.Meta.table_name = table_name
        model.Meta.region = region
        model.Meta.host = host
        model._connection = None
    return Connection(region=region, host=host)
