"""SageMaker Model Monitor adapter: the monitoring schedules on endpoints of a stage account and
their latest executions (read through the account's metrics read role)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws
from govsync.domain.arns import Arn
from govsync.domain.endpoint_metrics import MonitorExecution, MonitorStatus
from govsync.domain.monitoring import VIOLATIONS

if TYPE_CHECKING:
    from types_boto3_sagemaker.type_defs import MonitoringExecutionSummaryTypeDef, MonitoringScheduleSummaryTypeDef


class ModelMonitors:
    def __init__(self, roles: aws.AssumedRoles) -> None:
        self._roles = roles

    def on_endpoints(
        self,
        endpoint_names: set[str],
        since: datetime,
        *,
        role_arn: str,
        region: str,
        external_id: str | None,
    ) -> dict[str, list[MonitorStatus]]:
        """Endpoint name -> its schedules, each with its latest execution since `since` (or None).
        Listed per account (one paginated call for the schedules, one for the executions), not per
        endpoint."""
        sagemaker = self._roles.client("sagemaker", role_arn, region, external_id)
        try:
            schedules: dict[str, MonitoringScheduleSummaryTypeDef] = {}
            for page in sagemaker.get_paginator("list_monitoring_schedules").paginate():
                for summary in page.get("MonitoringScheduleSummaries", []):
                    if summary.get("EndpointName") in endpoint_names:
                        schedules[summary["MonitoringScheduleName"]] = summary
            latest: dict[str, MonitoringExecutionSummaryTypeDef] = {}
            if schedules:
                executions = sagemaker.get_paginator("list_monitoring_executions").paginate(
                    ScheduledTimeAfter=since, SortBy="ScheduledTime", SortOrder="Descending"
                )
                for listed in executions:
                    for execution in listed.get("MonitoringExecutionSummaries", []):
                        name = execution.get("MonitoringScheduleName")
                        if name in schedules and name not in latest:
                            latest[name] = execution
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, f"Model Monitor schedules in {Arn.parse(role_arn).account}") from exc
        found: dict[str, list[MonitorStatus]] = {}
        for name in sorted(schedules):
            summary = schedules[name]
            found.setdefault(summary["EndpointName"], []).append(monitor_status(summary, latest.get(name)))
        return found


def monitor_status(
    schedule: MonitoringScheduleSummaryTypeDef | Mapping[str, Any],
    execution: MonitoringExecutionSummaryTypeDef | Mapping[str, Any] | None,
) -> MonitorStatus:
    """A schedule summary and its latest execution summary (ListMonitoringSchedules /
    ListMonitoringExecutions shapes), times as ISO strings."""
    last = None
    if execution is not None:
        last = MonitorExecution(
            status=str(execution.get("MonitoringExecutionStatus") or ""),
            scheduled_time=_iso(execution.get("ScheduledTime")) or "",
            violations=execution.get("MonitoringExecutionStatus") == VIOLATIONS,
            failure_reason=str(execution["FailureReason"])[:500] if execution.get("FailureReason") else None,
            processing_job_arn=execution.get("ProcessingJobArn") or None,
        )
    return MonitorStatus(
        schedule_name=str(schedule.get("MonitoringScheduleName") or ""),
        schedule_status=str(schedule.get("MonitoringScheduleStatus") or ""),
        monitoring_type=schedule.get("MonitoringType") or "DataQuality",
        last_execution=last,
    )


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return None if value is None else str(value)
