"""The scheduled jobs, each in one place: the function that runs it, the template parameter with its
schedule, its input, the service call, and how its summary reads. The functions' handlers and the
CLI (`govsync schedule`, `govsync reconcile`) both run a job through here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Progress = Callable[[Any, str], None]


class JobInput(BaseModel):
    """What a scheduled job's event may say (the schedule's Input, or a manual run's payload)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    job: str | None = Field(default=None, max_length=64)
    # metrics aggregation: collect the window ending at or before this time (default: now)
    window_end: datetime | None = None
    # reconciliation: only these model package groups (default: all)
    groups: list[str] | None = Field(default=None, max_length=1000)


@dataclass(frozen=True)
class Job:
    name: str  # what the schedule's input says: {"job": name}
    function_id: str
    schedule_parameter: str
    run: Callable[[JobInput, Progress | None], dict[str, Any]]
    summary: Callable[[dict[str, Any]], str]


def _aggregate(event: JobInput, progress: Progress | None = None) -> dict[str, Any]:
    from govsync import wiring

    return wiring.metrics_aggregator().run(window_end=event.window_end).to_json()


def _aggregation_summary(response: dict[str, Any]) -> str:
    accounts = "; ".join(f"{where}: {state}" for where, state in response.get("accounts", {}).items())
    return (
        f"window {response['window_start']} .. {response['window_end']}: {response['records']} live "
        f"deployments, {response['updated']} updated, {response['unchanged']} unchanged, {response['failed']} "
        f"failed; alerts raised {response['alerts_raised']}, resolved {response['alerts_resolved']}; "
        f"GetMetricData calls {response['get_metric_data_calls']}\naccounts: {accounts or '(none)'}"
    )


def _reconcile(event: JobInput, progress: Progress | None = None) -> dict[str, Any]:
    from govsync import wiring

    return wiring.reconciler().run(groups=event.groups, progress=progress).to_json()


def _reconcile_summary(summary: dict[str, Any]) -> str:
    lines = [
        f"{summary['run_id']}: {summary['groups']} groups, {summary['checked']} checked, {summary['up_to_date']} up to "
        f"date, {summary['repaired']} repaired, {summary['failed']} failed, {summary['skipped']} skipped (accounts "
        "not allowed)"
    ]
    lines += [f"  failed: {f['arn']}: {f['error']}" for f in summary.get("failures", [])]
    return "\n".join(lines)


METRICS_AGGREGATION = Job(
    "metrics-aggregation",
    "MetricsAggregatorFunction",
    "MetricsSchedule",
    _aggregate,
    _aggregation_summary,
)
RECONCILE = Job(
    "reconcile",
    "ReconcilerFunction",
    "ReconcileSchedule",
    _reconcile,
    _reconcile_summary,
)
JOBS: dict[str, Job] = {job.function_id: job for job in (METRICS_AGGREGATION, RECONCILE)}


def default_input(job: Job) -> dict[str, Any]:
    """The input the job's schedule sends."""
    return {"job": job.name}
