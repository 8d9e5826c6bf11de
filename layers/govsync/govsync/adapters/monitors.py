"""SageMaker Model Monitor adapter: the monitoring schedules on endpoints of a stage account and
their latest executions (read through the account's metrics read role)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws
from govsync.domain.arns import Arn


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
    ) -> dict[str, list[tuple[dict[str, Any], dict[str, Any] | None]]]:
        """Endpoint name -> [(schedule summary, its latest execution since `since`, or None)].
        Listed per account (one paginated call for the schedules, one for the executions), not per
        endpoint."""
        sagemaker = self._roles.client("sagemaker", role_arn, region, external_id)
        try:
            schedules: dict[str, dict[str, Any]] = {}
            for page in sagemaker.get_paginator("list_monitoring_schedules").paginate():
                for summary in page.get("MonitoringScheduleSummaries", []):
                    if summary.get("EndpointName") in endpoint_names:
                        schedules[summary["MonitoringScheduleName"]] = summary
            latest: dict[str, dict[str, Any]] = {}
            if schedules:
                pages = sagemaker.get_paginator("list_monitoring_executions").paginate(
                    ScheduledTimeAfter=since, SortBy="ScheduledTime", SortOrder="Descending"
                )
                for page in pages:
                    for execution in page.get("MonitoringExecutionSummaries", []):
                        name = execution.get("MonitoringScheduleName")
                        if name in schedules and name not in latest:
                            latest[name] = execution
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, f"Model Monitor schedules in {Arn.parse(role_arn).account}") from exc
        found: dict[str, list[tuple[dict[str, Any], dict[str, Any] | None]]] = {}
        for name in sorted(schedules):
            summary = schedules[name]
            found.setdefault(summary["EndpointName"], []).append((summary, latest.get(name)))
        return found
