"""What the metrics job writes on a live stage record: the window's endpoint metrics
(`model_monitoring_metrics`) and, while they breach the stage's thresholds, the alert
(`monitoring_alert`). Typed values, stored and shown as the JSON objects `to_json` gives.

    model_monitoring_metrics
        endpoint_name, account, region, window_start, window_end, collected_at
        values      invocations, invocation_4xx_errors, invocation_5xx_errors, invocation_4xx_rate,
                    invocation_5xx_rate, model_latency_avg_us, model_latency_p90_us, overhead_latency_avg_us
        variants    {variant name: the same values, rates left out}
        monitors    the Model Monitor schedules on the endpoint, each with its latest execution (when any)
    monitoring_alert
        since, window_end, breaches [{metric, value, threshold}]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

# A window's values by name: counts are whole numbers, rates fractions, latencies microseconds.
type Values = dict[str, int | float]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class MonitorExecution:
    """A Model Monitor schedule's latest execution."""

    status: str  # MonitoringExecutionStatus
    scheduled_time: str  # ISO 8601
    violations: bool  # the status is CompletedWithViolations
    failure_reason: str | None = None
    processing_job_arn: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, "scheduled_time": self.scheduled_time,
                                "violations": self.violations}  # fmt: skip
        if self.failure_reason:
            data["failure_reason"] = self.failure_reason
        if self.processing_job_arn:
            data["processing_job_arn"] = self.processing_job_arn
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MonitorExecution:
        return cls(
            str(data.get("status") or ""),
            str(data.get("scheduled_time") or ""),
            bool(data.get("violations")),
            _text(data.get("failure_reason")),
            _text(data.get("processing_job_arn")),
        )


@dataclass(frozen=True, slots=True)
class MonitorStatus:
    """A Model Monitor schedule on an endpoint and its latest execution (None: none yet)."""

    schedule_name: str
    schedule_status: str  # MonitoringScheduleStatus: Pending, Failed, Scheduled, Stopped
    monitoring_type: str  # DataQuality unless the schedule says otherwise
    last_execution: MonitorExecution | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "schedule_name": self.schedule_name,
            "schedule_status": self.schedule_status,
            "monitoring_type": self.monitoring_type,
            "last_execution": self.last_execution.to_json() if self.last_execution else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MonitorStatus:
        last = data.get("last_execution")
        return cls(
            str(data.get("schedule_name") or ""),
            str(data.get("schedule_status") or ""),
            str(data.get("monitoring_type") or "DataQuality"),
            MonitorExecution.from_json(last) if isinstance(last, Mapping) else None,
        )


@dataclass(frozen=True, slots=True)
class EndpointMetrics:
    """One window of a live endpoint's metrics, per production variant and in total."""

    endpoint_name: str
    account: str
    region: str
    window_start: str
    window_end: str
    collected_at: str
    values: Values = field(default_factory=dict)
    variants: dict[str, Values] = field(default_factory=dict)
    monitors: tuple[MonitorStatus, ...] = ()

    def says_the_same_as(self, other: EndpointMetrics | None) -> bool:
        """Whether `other` holds the same window and values (when each was collected aside)."""
        return other is not None and replace(self, collected_at="") == replace(other, collected_at="")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "endpoint_name": self.endpoint_name,
            "account": self.account,
            "region": self.region,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "collected_at": self.collected_at,
            "values": dict(self.values),
            "variants": {name: dict(values) for name, values in self.variants.items()},
        }
        if self.monitors:
            data["monitors"] = [m.to_json() for m in self.monitors]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> EndpointMetrics | None:
        """The stored object; None for the empty object a record without metrics stores."""
        if not data:
            return None
        return cls(
            endpoint_name=str(data.get("endpoint_name") or ""),
            account=str(data.get("account") or ""),
            region=str(data.get("region") or ""),
            window_start=str(data.get("window_start") or ""),
            window_end=str(data.get("window_end") or ""),
            collected_at=str(data.get("collected_at") or ""),
            values=dict(data.get("values") or {}),
            variants={str(k): dict(v) for k, v in (data.get("variants") or {}).items()},
            monitors=tuple(MonitorStatus.from_json(m) for m in data.get("monitors") or ()),
        )


@dataclass(frozen=True, slots=True)
class Breach:
    """A value over its threshold (`value` and `threshold` name the schedule and status for a
    monitor's violations)."""

    metric: str
    value: int | float | str
    threshold: int | float | str
    since: str | None = None  # the end of the first window of this run of breaches (the chart's red points)

    def to_json(self) -> dict[str, Any]:
        data = {"metric": self.metric, "value": self.value, "threshold": self.threshold}
        return data | {"since": self.since} if self.since else data


@dataclass(frozen=True, slots=True)
class MonitoringAlert:
    """Set on a record while its endpoint's windows breach the stage's thresholds."""

    since: str  # the end of the first window that breached
    window_end: str  # the last window that did
    breaches: tuple[Breach, ...]

    def to_json(self) -> dict[str, Any]:
        return {"since": self.since, "window_end": self.window_end, "breaches": [b.to_json() for b in self.breaches]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> MonitoringAlert | None:
        """The stored object; None for the empty object a record without an alert stores."""
        if not data:
            return None
        return cls(
            str(data.get("since") or ""),
            str(data.get("window_end") or ""),
            tuple(
                Breach(str(b["metric"]), b["value"], b["threshold"], b.get("since")) for b in data.get("breaches") or ()
            ),
        )
