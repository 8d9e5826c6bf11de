"""CloudWatch: percentile statistics (`p90`) in GetMetricData, nearest-rank over the datapoints put."""

from __future__ import annotations

import math
import re
from typing import Any

PERCENTILE = re.compile(r"p(\d{1,2}(?:\.\d+)?)")


def percentile(values: list[float], rank: float) -> float | None:
    """Nearest-rank percentile (CloudWatch's own is an estimate over its buckets; on a few
    datapoints both give a value that was put)."""
    if not values:
        return None
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(rank / 100 * len(ordered)) - 1))
    return ordered[index]


def install() -> None:
    """GetMetricData with percentile statistics (pNN, moto answers None for them), and no `None`
    values in its answers (a statistic without datapoints has no value, as in CloudWatch)."""
    from moto.cloudwatch.models import CloudWatchBackend, Statistics

    original_statistic = Statistics.get_statistics_for_type
    original_get_metric_data = CloudWatchBackend.get_metric_data

    def get_statistics_for_type(self: Statistics, stat: str) -> Any:
        match = PERCENTILE.fullmatch(stat)
        if match is None:
            return original_statistic(self, stat)
        return percentile(self.metric_single_values_list, float(match.group(1)))

    def get_metric_data(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        results = original_get_metric_data(self, *args, **kwargs)
        for result in results:
            pairs = [(t, v) for t, v in zip(result["timestamps"], result["values"], strict=False) if v is not None]
            result["timestamps"], result["values"] = [t for t, _ in pairs], [v for _, v in pairs]
        return results

    Statistics.get_statistics_for_type = get_statistics_for_type
    CloudWatchBackend.get_metric_data = get_metric_data


# ---------------------------------------------------------------------------- Model Monitor
# Locally no processing job runs, so no schedule ever executes by itself. A schedule tagged
# `govsync-local:execution-status` gets one execution with that status at creation (a local hook for
# demos); tests record executions with `record_monitoring_execution`.
