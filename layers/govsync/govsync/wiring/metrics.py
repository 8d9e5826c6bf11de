"""MetricsAggregatorFunction: stage accounts' endpoint metrics onto the deployed records."""

from __future__ import annotations

from govsync.adapters.aws import AssumedRoles
from govsync.adapters.cloudwatch import CloudWatchMetrics
from govsync.adapters.monitors import ModelMonitors
from govsync.services.metrics_aggregation import MetricsAggregator
from govsync.settings import MetricsSettings, settings_for
from govsync.wiring.built import built_once
from govsync.wiring.store import notified_store


@built_once
def metrics_aggregator() -> MetricsAggregator:
    settings = settings_for(MetricsSettings)
    roles = AssumedRoles("govsync-metrics", settings.region)
    return MetricsAggregator(
        settings=settings,
        store=notified_store(settings),
        cloudwatch=CloudWatchMetrics(roles),
        monitors=ModelMonitors(roles),
    )
