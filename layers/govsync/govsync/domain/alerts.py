"""Alerts: when a live endpoint's metrics breach its stage's thresholds (`monitoring_alert` on the
record, see `domain.endpoint_metrics`; None when nothing breaches), and the notification a change of
alert calls for (one per alert, not one per window)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pydantic import BaseModel, ConfigDict, Field

from govsync.domain.endpoint_metrics import Breach, EndpointMetrics, MonitoringAlert
from govsync.domain.monitoring import VIOLATIONS, number
from govsync.domain.records import Records, StageRecord

# a record's alert raised, or resolved, by a window (counted in the run's summary; told as notifications)
ALERT_RAISED = "raised"
ALERT_RESOLVED = "resolved"


class Thresholds(BaseModel):
    """A stage's alert thresholds (GOVSYNC_MONITORING_THRESHOLDS: {stage: {...}}): a value above its
    threshold in a window flags the record. Rates are fractions of the window's invocations."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    invocation_5xx_rate: float | None = Field(default=None, ge=0, le=1)
    invocation_4xx_rate: float | None = Field(default=None, ge=0, le=1)
    model_latency_p90_us: float | None = Field(default=None, gt=0)
    model_latency_avg_us: float | None = Field(default=None, gt=0)
    overhead_latency_avg_us: float | None = Field(default=None, gt=0)
    # rates are judged only once a window has this many invocations (a single failed call is not 100%)
    min_invocations: int = Field(default=1, ge=1)
    # the latest Model Monitor execution found violations
    monitor_violations: bool = False


def breaches(metrics: EndpointMetrics, thresholds: Thresholds | None) -> list[Breach]:
    if thresholds is None:
        return []
    values = metrics.values
    found = []
    for key in ("invocation_5xx_rate", "invocation_4xx_rate"):
        limit = getattr(thresholds, key)
        if limit is not None and values.get("invocations", 0) >= thresholds.min_invocations and values[key] > limit:
            found.append(Breach(key, values[key], number(limit)))
    for key in ("model_latency_p90_us", "model_latency_avg_us", "overhead_latency_avg_us"):
        limit = getattr(thresholds, key)
        if limit is not None and key in values and values[key] > limit:
            found.append(Breach(key, values[key], number(limit)))
    if thresholds.monitor_violations:
        for monitor in metrics.monitors:
            if monitor.last_execution and monitor.last_execution.violations:
                found.append(Breach("monitor_violations", monitor.schedule_name, VIOLATIONS))
    return found


def apply_monitoring(record: StageRecord, metrics: EndpointMetrics, found: Sequence[Breach]) -> StageRecord | None:
    """The record with this window's metrics and alert, or None when it already has them (the same
    window collected again with the same values: idempotent per window)."""
    old_alert = record.monitoring_alert
    alert = None
    if found:
        since = old_alert.since if old_alert else metrics.window_end
        # each breach keeps the window it began in (the alert's `since` is its earliest breach's)
        began = {b.metric: b.since for b in old_alert.breaches} if old_alert else {}
        dated = tuple(replace(b, since=began.get(b.metric) or metrics.window_end) for b in found)
        alert = MonitoringAlert(since, metrics.window_end, dated)
    if metrics.says_the_same_as(record.model_monitoring_metrics) and alert == old_alert:
        return None
    return replace(record, model_monitoring_metrics=metrics, monitoring_alert=alert)


def records_with_window(
    records: Records, stage: str, metrics: EndpointMetrics, found: Sequence[Breach]
) -> Records | None:
    """A version's records with this window on `stage`'s record (see `apply_monitoring`); None when
    that record is gone, was redeployed to another endpoint since the query, or has the window."""
    current = records.get(stage)
    if current is None or current.deployment.endpoint_name != metrics.endpoint_name:
        return None
    updated = apply_monitoring(current, metrics, found)
    return None if updated is None else {**records, stage: updated}


def alert_transition(before: MonitoringAlert | None, after: MonitoringAlert | None) -> str | None:
    """The notification a change of alert calls for: raised, resolved, or none (unchanged, or still
    alerting: one event per alert, not one per window)."""
    if after and not before:
        return ALERT_RAISED
    if before and not after:
        return ALERT_RESOLVED
    return None
