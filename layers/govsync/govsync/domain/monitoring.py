"""Endpoint monitoring: the CloudWatch queries a window needs and what their answers come to on the
record (`model_monitoring_metrics`, see `domain.endpoint_metrics`); when a stage's thresholds flag it:
`domain.alerts`.

A window is a fixed slice of time (`window_ending`): every run inside the same slice asks for the
same window, so running twice writes the same record. Values are per production variant and in
total; latencies are SageMaker's, in microseconds.

Each window's values are also kept apart as a `MetricsPoint` for a bounded history (the dashboard's
chart): one per record and window, expiring after `GOVSYNC_METRICS_HISTORY_DAYS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from govsync.domain.endpoint_metrics import EndpointMetrics, MonitorStatus, Values
from govsync.domain.naming import SAGEMAKER_NAME
from govsync.domain.records import StageRecord

NAMESPACE = "AWS/SageMaker"
MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit
DEFAULT_VARIANT = "AllTraffic"  # SageMaker's (and govsync's own deployments') variant name

# record key -> (CloudWatch metric, statistic)
METRICS: tuple[tuple[str, str, str], ...] = (
    ("invocations", "Invocations", "Sum"),
    ("invocation_4xx_errors", "Invocation4XXErrors", "Sum"),
    ("invocation_5xx_errors", "Invocation5XXErrors", "Sum"),
    ("model_latency_avg_us", "ModelLatency", "Average"),
    ("model_latency_p90_us", "ModelLatency", "p90"),
    ("overhead_latency_avg_us", "OverheadLatency", "Average"),
)
COUNTS = ("invocations", "invocation_4xx_errors", "invocation_5xx_errors")

# Model Monitor execution statuses that say the data broke the baseline's constraints.
VIOLATIONS = "CompletedWithViolations"


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


def window_ending(now: datetime, minutes: int) -> Window:
    """The last whole window before `now`: windows are aligned on multiples of their length since
    the epoch, so every run in the same slice of time asks for the same one."""
    size = minutes * 60
    end_epoch = int(now.timestamp()) // size * size
    end = datetime.fromtimestamp(end_epoch, UTC)
    return Window(end - timedelta(seconds=size), end)


@dataclass(frozen=True, slots=True)
class MonitoredEndpoint:
    """A deployed record's endpoint, where its metrics live."""

    group: str
    version: int
    stage: str
    account: str
    region: str
    endpoint_name: str
    variants: tuple[str, ...]

    @property
    def log_keys(self) -> dict[str, Any]:
        """Which record this is, as log lines name it."""
        return {"model_group": self.group, "model_version": self.version, "stage": self.stage}

    @property
    def location(self) -> tuple[str, str]:
        return (self.account, self.region)


def monitored_endpoint(record: StageRecord, default_region: str) -> MonitoredEndpoint | None:
    """The endpoint a deployed record runs on, or None when the deployment names none."""
    deployment = record.deployment
    name, account = deployment.endpoint_name, deployment.account
    if not name or not SAGEMAKER_NAME.fullmatch(name) or not account:
        return None
    variants = deployment.variants or (DEFAULT_VARIANT,)
    return MonitoredEndpoint(
        group=record.model_group,
        version=record.model_version,
        stage=record.model_stage,
        account=account,
        region=deployment.region or default_region,
        endpoint_name=name,
        variants=variants,
    )


QueryKey = tuple[str, str, str]  # (endpoint name, variant, record key)


def metric_queries(
    endpoints: Iterable[MonitoredEndpoint], window: Window
) -> dict[str, tuple[dict[str, Any], QueryKey]]:
    """GetMetricData queries for the endpoints of one account and region: query id -> (query, key).
    An endpoint two records share (a version not yet marked superseded) is asked for once."""
    queries: dict[str, tuple[dict[str, Any], QueryKey]] = {}
    seen: set[tuple[str, str]] = set()
    for endpoint in endpoints:
        for variant in endpoint.variants:
            if (endpoint.endpoint_name, variant) in seen:
                continue
            seen.add((endpoint.endpoint_name, variant))
            for key, metric, stat in METRICS:
                query_id = f"q{len(queries)}"
                query = {
                    "Id": query_id,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": NAMESPACE,
                            "MetricName": metric,
                            "Dimensions": [
                                {"Name": "EndpointName", "Value": endpoint.endpoint_name},
                                {"Name": "VariantName", "Value": variant},
                            ],
                        },
                        "Period": window.seconds,
                        "Stat": stat,
                    },
                    "ReturnData": True,
                }
                queries[query_id] = (query, (endpoint.endpoint_name, variant, key))
    return queries


def batches(items: list[Any], size: int = MAX_QUERIES_PER_CALL) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def number(value: float) -> int | float:
    """Counts as whole numbers, the rest to 3 decimals: what DynamoDB stores comes back identical
    (the audit chain hashes the values it wrote)."""
    rounded = round(float(value), 3)
    return int(rounded) if rounded == int(rounded) else rounded


def _weighted(values: list[tuple[float, float]]) -> float | None:
    """Invocation-weighted average of per-variant averages (a plain mean when nothing was counted)."""
    present = [(v, w) for v, w in values if v is not None]
    if not present:
        return None
    weight = sum(w for _, w in present)
    if weight <= 0:
        return sum(v for v, _ in present) / len(present)
    return sum(v * w for v, w in present) / weight


def aggregate(endpoint: MonitoredEndpoint, answers: Mapping[QueryKey, float]) -> tuple[Values, dict[str, Values]]:
    """Per-variant values and totals. No datapoint means no request: counts are 0, latencies left out.
    The total p90 is the worst variant's (percentiles do not add up)."""
    variants: dict[str, Values] = {}
    for variant in endpoint.variants:
        values: Values = {}
        for key, _, _ in METRICS:
            value = answers.get((endpoint.endpoint_name, variant, key))
            if value is not None:
                values[key] = number(value)
            elif key in COUNTS:
                values[key] = 0
        variants[variant] = values
    totals: Values = {key: number(sum(v[key] for v in variants.values())) for key in COUNTS}
    invocations = totals["invocations"]
    for errors in ("invocation_4xx", "invocation_5xx"):
        totals[f"{errors}_rate"] = number(totals[f"{errors}_errors"] / invocations) if invocations else 0
    for key in ("model_latency_avg_us", "overhead_latency_avg_us"):
        value = _weighted([(v[key], v["invocations"]) for v in variants.values() if v.get(key) is not None])
        if value is not None:
            totals[key] = number(value)
    p90s = [v["model_latency_p90_us"] for v in variants.values() if "model_latency_p90_us" in v]
    if p90s:
        totals["model_latency_p90_us"] = max(p90s)
    return totals, variants


def monitoring_metrics(
    endpoint: MonitoredEndpoint,
    window: Window,
    answers: Mapping[QueryKey, float],
    monitors: Sequence[MonitorStatus],
    collected_at: str,
) -> EndpointMetrics:
    totals, variants = aggregate(endpoint, answers)
    return EndpointMetrics(
        endpoint_name=endpoint.endpoint_name,
        account=endpoint.account,
        region=endpoint.region,
        window_start=window.start.isoformat(),
        window_end=window.end.isoformat(),
        collected_at=collected_at,
        values=totals,
        variants=variants,
        monitors=tuple(monitors),
    )


@dataclass(frozen=True, slots=True)
class MetricsPoint:
    """One window of a deployed stage's endpoint metrics, as the history keeps it."""

    group: str
    version: int
    stage: str
    endpoint_name: str
    window_start: str
    window_end: str
    values: Values

    def to_json(self) -> dict[str, Any]:
        return {"endpoint_name": self.endpoint_name, "window_start": self.window_start,
                "window_end": self.window_end, "values": dict(self.values)}  # fmt: skip


def history_point(endpoint: MonitoredEndpoint, metrics: EndpointMetrics) -> MetricsPoint:
    """The window `monitoring_metrics` computed, as a point of the record's history (totals only)."""
    return MetricsPoint(
        endpoint.group,
        endpoint.version,
        endpoint.stage,
        endpoint.endpoint_name,
        metrics.window_start,
        metrics.window_end,
        dict(metrics.values),
    )
