"""MetricsAggregatorFunction: on its schedule, stage accounts' endpoint metrics -> the deployed records."""

from govsync.handlers import scheduled
from govsync.jobs import METRICS_AGGREGATION

handler = scheduled(METRICS_AGGREGATION)
