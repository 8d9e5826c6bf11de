"""Model Monitor: create/describe/list/delete monitoring schedules and list their executions (moto has
none); executions are recorded with `record_monitoring_execution`, or at creation through the
`govsync-local:execution-status` tag."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.models import ValidationError
from moto.sagemaker.responses import SageMakerResponse

LOCAL_EXECUTION_TAG = "govsync-local:execution-status"


def _monitoring(backend: Any) -> dict[str, Any]:
    if not hasattr(backend, "_govsync_monitoring"):
        backend._govsync_monitoring = {"schedules": {}, "executions": []}
    return backend._govsync_monitoring


def record_monitoring_execution(
    account_id: str,
    region: str,
    schedule_name: str,
    status: str,
    scheduled_time: Any = None,
    failure_reason: str | None = None,
) -> dict[str, Any]:
    """Record an execution of a monitoring schedule, as Model Monitor's hourly job would."""
    from moto.core.utils import utcnow
    from moto.sagemaker.models import sagemaker_backends

    state = _monitoring(sagemaker_backends[account_id][region])
    schedule = state["schedules"].get(schedule_name)
    if schedule is None:
        raise KeyError(f"no monitoring schedule {schedule_name} in {account_id}/{region}")
    when = scheduled_time or utcnow().replace(minute=0, second=0, microsecond=0)
    execution = {
        "MonitoringScheduleName": schedule_name,
        "ScheduledTime": when,
        "CreationTime": when,
        "LastModifiedTime": when,
        "MonitoringExecutionStatus": status,
        "EndpointName": schedule["EndpointName"],
        "MonitoringType": schedule["MonitoringType"],
        "ProcessingJobArn": (
            f"arn:aws:sagemaker:{region}:{account_id}:processing-job/model-monitoring-{when:%Y%m%d%H}-{schedule_name}"[
                :256
            ]
        ),
    }
    if failure_reason:
        execution["FailureReason"] = failure_reason
    state["executions"].append(execution)
    schedule["LastMonitoringExecutionSummary"] = execution
    return execution


def _page(items: list[dict[str, Any]], response: Any, default: int = 100) -> tuple[list[dict[str, Any]], str | None]:
    start = int(response._get_param("NextToken") or 0)
    size = int(response._get_param("MaxResults") or default)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def install() -> None:
    from moto.core.utils import utcnow
    from moto.sagemaker.utils import arn_formatter

    def create_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
        state = _monitoring(self.sagemaker_backend)
        name = self._get_param("MonitoringScheduleName")
        if name in state["schedules"]:
            raise ValidationError(f"Monitoring schedule {name} already exists")
        config = self._get_param("MonitoringScheduleConfig") or {}
        inputs = (config.get("MonitoringJobDefinition") or {}).get("MonitoringInputs") or [{}]
        endpoint = (inputs[0].get("EndpointInput") or {}).get("EndpointName")
        now = utcnow()
        arn = arn_formatter("monitoring-schedule", name, self.current_account, self.region)
        tags = {t["Key"]: t["Value"] for t in self._get_param("Tags") or []}
        state["schedules"][name] = {
            "MonitoringScheduleArn": arn,
            "MonitoringScheduleName": name,
            "MonitoringScheduleStatus": "Scheduled",
            "MonitoringType": config.get("MonitoringType") or "DataQuality",
            "MonitoringScheduleConfig": config,
            "EndpointName": endpoint,
            "CreationTime": now,
            "LastModifiedTime": now,
        }
        if tags.get(LOCAL_EXECUTION_TAG):
            record_monitoring_execution(self.current_account, self.region, name, tags[LOCAL_EXECUTION_TAG])
        return ActionResult({"MonitoringScheduleArn": arn})

    def describe_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
        name = self._get_param("MonitoringScheduleName")
        schedule = _monitoring(self.sagemaker_backend)["schedules"].get(name)
        if schedule is None:
            raise ValidationError(f"Monitoring schedule {name} does not exist")
        return ActionResult(dict(schedule))

    def list_monitoring_schedules(self: SageMakerResponse) -> ActionResult:
        endpoint = self._get_param("EndpointName")
        keys = ("MonitoringScheduleName", "MonitoringScheduleArn", "CreationTime", "LastModifiedTime",
                "MonitoringScheduleStatus", "EndpointName", "MonitoringType")  # fmt: skip
        found = [
            {k: s[k] for k in keys if s.get(k) is not None}
            for s in _monitoring(self.sagemaker_backend)["schedules"].values()
            if endpoint is None or s["EndpointName"] == endpoint
        ]
        page, token = _page(found, self)
        return ActionResult({"MonitoringScheduleSummaries": page, **({"NextToken": token} if token else {})})

    def list_monitoring_executions(self: SageMakerResponse) -> ActionResult:
        schedule, endpoint = self._get_param("MonitoringScheduleName"), self._get_param("EndpointName")
        after = self._get_param("ScheduledTimeAfter")
        found = [
            e
            for e in _monitoring(self.sagemaker_backend)["executions"]
            if (schedule is None or e["MonitoringScheduleName"] == schedule)
            and (endpoint is None or e["EndpointName"] == endpoint)
            and (after is None or e["ScheduledTime"].timestamp() > _epoch(after))
        ]
        found.sort(key=lambda e: e["ScheduledTime"], reverse=self._get_param("SortOrder") != "Ascending")
        page, token = _page(found, self, default=10)
        return ActionResult({"MonitoringExecutionSummaries": page, **({"NextToken": token} if token else {})})

    def delete_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
        _monitoring(self.sagemaker_backend)["schedules"].pop(self._get_param("MonitoringScheduleName"), None)
        return ActionResult({})

    SageMakerResponse.create_monitoring_schedule = create_monitoring_schedule
    SageMakerResponse.describe_monitoring_schedule = describe_monitoring_schedule
    SageMakerResponse.list_monitoring_schedules = list_monitoring_schedules
    SageMakerResponse.list_monitoring_executions = list_monitoring_executions
    SageMakerResponse.delete_monitoring_schedule = delete_monitoring_schedule


def _epoch(value: Any) -> float:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
