"""The scheduled jobs, each in one place: the function that runs it, the template parameter with its
schedule, its input, the service doing its work, and how its summary reads.

In Lambda a job is fanned out (`govsync.services.fanout`): its schedule's event plans the run onto the
job's work queue, and the queue's messages (the same function, at a bounded concurrency) do the work.
The CLI (`govsync schedule run`, `govsync reconcile`) runs a job here, in-process, item after item."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from govsync.services.fanout import JobWork

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
    # loads the job's composition module (with the function: not on its first run) and answers the
    # builder of the service doing the job's work
    load_builder: Callable[[], Callable[[], JobWork]]
    plan_input: Callable[[JobInput], Any]  # what the service plans a run from
    summary: Callable[[dict[str, Any]], str]

    def service(self) -> JobWork:
        return self.load_builder()()

    def new_run_id(self) -> str:
        return f"{self.name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"

    def run(self, event: JobInput, progress: Progress | None = None) -> dict[str, Any]:
        """The whole run in this process, item after item (`progress` hears after each)."""
        from govsync.services.fanout import run_inline

        return run_inline(self.service(), self.plan_input(event), self.new_run_id(), progress)


def _aggregation_summary(response: dict[str, Any]) -> str:
    accounts = "; ".join(f"{where}: {state}" for where, state in response.get("accounts", {}).items())
    return (
        f"window {response['window_start']} .. {response['window_end']}: {response['records']} live "
        f"deployments, {response['updated']} updated, {response['unchanged']} unchanged, {response['failed']} "
        f"failed; alerts raised {response['alerts_raised']}, resolved {response['alerts_resolved']}; "
        f"GetMetricData calls {response['get_metric_data_calls']}\naccounts: {accounts or '(none)'}"
    )


def _reconcile_summary(summary: dict[str, Any]) -> str:
    lines = [
        f"{summary['run_id']}: {summary['groups']} groups, {summary['checked']} checked, {summary['up_to_date']} up to "
        f"date, {summary['repaired']} repaired, {summary['failed']} failed, {summary['skipped']} skipped (accounts "
        f"not allowed); {summary.get('counted', 0)} records counted in their use cases' tallies"
    ]
    lines += [f"  failed: {f['arn']}: {f['error']}" for f in summary.get("failures", [])]
    return "\n".join(lines)


def _metrics_aggregator() -> Callable[[], JobWork]:
    from govsync.wiring.metrics import metrics_aggregator

    return metrics_aggregator


def _reconciler() -> Callable[[], JobWork]:
    from govsync.wiring.reconcile import reconciler

    return reconciler


METRICS_AGGREGATION = Job(
    "metrics-aggregation",
    "MetricsAggregatorFunction",
    "MetricsSchedule",
    _metrics_aggregator,
    lambda event: event.window_end,
    _aggregation_summary,
)
RECONCILE = Job(
    "reconcile",
    "ReconcilerFunction",
    "ReconcileSchedule",
    _reconciler,
    lambda event: event.groups,
    _reconcile_summary,
)
JOBS: dict[str, Job] = {job.function_id: job for job in (METRICS_AGGREGATION, RECONCILE)}


def default_input(job: Job) -> dict[str, Any]:
    """The input the job's schedule sends."""
    return {"job": job.name}
