"""MetricsAggregatorFunction: stage accounts' endpoint metrics onto the deployed records."""

from __future__ import annotations

from functools import lru_cache

from govsync.adapters.aws import AssumedRoles
from govsync.adapters.cloudwatch import CloudWatchMetrics
from govsync.adapters.eventbus import EventPublisher
from govsync.adapters.monitors import ModelMonitors
from govsync.services.metrics_aggregation import MetricsAggregator
from govsync.wiring.store import get_settings, governance_store


@lru_cache(maxsize=1)
def metrics_aggregator() -> MetricsAggregator:
    settings = get_settings()
    roles = AssumedRoles("govsync-metrics", settings.region)
    return MetricsAggregator(
        settings=settings,
        store=governance_store(),
        cloudwatch=CloudWatchMetrics(roles),
        monitors=ModelMonitors(roles),
        notifier=EventPublisher(settings.region),
    )
