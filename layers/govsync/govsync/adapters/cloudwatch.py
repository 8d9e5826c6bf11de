"""CloudWatch adapter: endpoint metrics read in a stage account (through its metrics read role)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws
from govsync.domain.arns import Arn
from govsync.domain.monitoring import Window, batches


class CloudWatchMetrics:
    def __init__(self, roles: aws.AssumedRoles) -> None:
        self._roles = roles
        self.calls = 0  # GetMetricData calls made (reported by the aggregator)

    def latest_values(
        self, queries: list[dict[str, Any]], window: Window, *, role_arn: str, region: str, external_id: str | None
    ) -> dict[str, float]:
        """Query id -> the window's value, for the queries that have one: one GetMetricData call per
        500 queries (and per page, should CloudWatch split its answer)."""
        cloudwatch = self._roles.client("cloudwatch", role_arn, region, external_id)
        values: dict[str, float] = {}
        for batch in batches(queries):
            request: dict[str, Any] = {
                "MetricDataQueries": batch,
                "StartTime": window.start,
                "EndTime": window.end,
                "ScanBy": "TimestampDescending",
            }
            while True:
                self.calls += 1
                try:
                    answer = cloudwatch.get_metric_data(**request)
                except (ClientError, BotoCoreError) as exc:
                    raise aws.translate(exc, f"GetMetricData in {Arn.parse(role_arn).account}") from exc
                for result in answer.get("MetricDataResults", []):
                    # one period spans the window: the newest (only) value is the window's
                    if result.get("Values") and result["Id"] not in values:
                        values[result["Id"]] = float(result["Values"][0])
                if not answer.get("NextToken"):
                    break
                request["NextToken"] = answer["NextToken"]
        return values


class CloudWatchAlarms:
    """Alarms in a stage account (through its read role): which of a deployment's rollback alarms fired."""

    def __init__(self, roles: aws.AssumedRoles) -> None:
        self._roles = roles

    def in_alarm(
        self, names: tuple[str, ...], *, role_arn: str, region: str, external_id: str | None
    ) -> tuple[str, ...]:
        """Those of `names` in ALARM now, in their order (one DescribeAlarms call per 100 names)."""
        firing: set[str] = set()
        try:
            cloudwatch = self._roles.client("cloudwatch", role_arn, region, external_id)
            for start in range(0, len(names), 100):
                pages = cloudwatch.get_paginator("describe_alarms").paginate(
                    AlarmNames=list(names[start : start + 100]), StateValue="ALARM",
                    AlarmTypes=["MetricAlarm", "CompositeAlarm"],
                )  # fmt: skip
                for page in pages:
                    alarms = [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]
                    firing.update(str(alarm["AlarmName"]) for alarm in alarms if alarm.get("StateValue") == "ALARM")
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, f"DescribeAlarms in {Arn.parse(role_arn).account}") from exc
        return tuple(name for name in names if name in firing)
