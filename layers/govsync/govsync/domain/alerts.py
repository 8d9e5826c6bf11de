"""Alerts: when a live endpoint's metrics breach its stage's thresholds (`monitoring_alert` on the
record: since, window_end, breaches [{metric, value, threshold}]; empty when nothing breaches), and the
notification a change of alert calls for (one per alert, not one per window)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govsync.domain.monitoring import VIOLATIONS, number
from govsync.domain.records import StageRecord

ALERT_RAISED = "Model Monitoring Alert"


ALERT_RESOLVED = "Model Monitoring Alert Resolved"


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


def breaches(metrics: Mapping[str, Any], thresholds: Thresholds | None) -> list[dict[str, Any]]:
    if thresholds is None:
        return []
    values = metrics.get("values", {})
    found = []
    for key in ("invocation_5xx_rate", "invocation_4xx_rate"):
        limit = getattr(thresholds, key)
        if limit is not None and values.get("invocations", 0) >= thresholds.min_invocations and values[key] > limit:
            found.append({"metric": key, "value": values[key], "threshold": number(limit)})
    for key in ("model_latency_p90_us", "model_latency_avg_us", "overhead_latency_avg_us"):
        limit = getattr(thresholds, key)
        if limit is not None and key in values and values[key] > limit:
            found.append({"metric": key, "value": values[key], "threshold": number(limit)})
    if thresholds.monitor_violations:
        for monitor in metrics.get("monitors", []):
            last = monitor.get("last_execution") or {}
            if last.get("violations"):
                found.append(
                    {"metric": "monitor_violations", "value": monitor["schedule_name"], "threshold": VIOLATIONS}
                )
    return found


def _comparable(metrics: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if k != "collected_at"}


def apply_monitoring(record: StageRecord, metrics: dict[str, Any], found: list[dict[str, Any]]) -> StageRecord | None:
    """The record with this window's metrics and alert, or None when it already has them (the same
    window collected again with the same values: idempotent per window)."""
    old_alert = record.monitoring_alert
    if found:
        since = old_alert.get("since") if old_alert else metrics["window_end"]
        alert = {"since": since, "window_end": metrics["window_end"], "breaches": found}
    else:
        alert = {}
    if _comparable(record.model_monitoring_metrics) == _comparable(metrics) and alert == old_alert:
        return None
    return replace(record, model_monitoring_metrics=metrics, monitoring_alert=alert)


def alert_transition(before: Mapping[str, Any], after: Mapping[str, Any]) -> str | None:
    """The notification a change of alert calls for: raised, resolved, or none (unchanged, or still
    alerting: one event per alert, not one per window)."""
    if after and not before:
        return ALERT_RAISED
    if before and not after:
        return ALERT_RESOLVED
    return None
