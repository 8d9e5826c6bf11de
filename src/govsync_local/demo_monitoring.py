"""The demo's step 8: the production endpoint's last hours of traffic as SageMaker publishes them in
the production account, a Model Monitor schedule on it, and the hourly metrics aggregator run on each
of those hours (as its schedule would have), so the record has its metrics, its alert and a history
the dashboard charts."""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from govsync_local.accounts import Accounts, client
from govsync_local.demo_data import DemoError, records_of, say

HOURS = 12
BREACH_FROM = 9  # the hours from this one on run hot: server errors and latency over production's thresholds


def hour_profile(hour: int) -> tuple[int, float, int]:
    """Requests a minute, the share of server errors and the base model latency (µs) of hour `hour`."""
    requests = (14, 12, 11, 13, 17, 21, 24, 26, 25, 23, 22, 20)[hour % 12]
    if hour < BREACH_FROM:
        return requests, 0.005 + 0.001 * (hour % 3), 60_000 + hour * 2_000
    return requests, 0.03, 140_000 + (hour - BREACH_FROM) * 15_000


def production_traffic(endpoint: str, accounts: Accounts, endpoint_name: str, hours: int = HOURS) -> list[datetime]:
    """`hours` whole hours of traffic, ending with the last one: AWS/SageMaker per endpoint and variant,
    a datum a minute. Returns the end of each hour, oldest first."""
    from govsync.domain.monitoring import window_ending

    last = window_ending(datetime.now(UTC), 60)
    ends = [last.end - timedelta(hours=hours - 1 - h) for h in range(hours)]
    dimensions = [{"Name": "EndpointName", "Value": endpoint_name}, {"Name": "VariantName", "Value": "AllTraffic"}]
    data: list[dict[str, Any]] = []
    for hour, end in enumerate(ends):
        requests, error_share, latency = hour_profile(hour)
        for minute in range(60):
            when = end - timedelta(hours=1) + timedelta(minutes=minute, seconds=30)
            errors = round(requests * 60 * error_share)  # spread over the hour's first minutes
            latencies = [float(latency + ((minute * requests + i) * 37 % 100) * 1_500) for i in range(requests)]
            minute_data = [
                {"MetricName": "Invocations", "Value": requests, "Unit": "Count"},
                {"MetricName": "Invocation4XXErrors", "Value": 1 if minute % 20 == 0 else 0, "Unit": "Count"},
                {"MetricName": "Invocation5XXErrors", "Value": 1 if minute < errors else 0, "Unit": "Count"},
                {"MetricName": "ModelLatency", "Values": latencies, "Unit": "Microseconds"},
                {"MetricName": "OverheadLatency", "Value": 4_000 + minute * 10, "Unit": "Microseconds"},
            ]
            data += [{**datum, "Dimensions": dimensions, "Timestamp": when} for datum in minute_data]
    cloudwatch = client("cloudwatch", endpoint, accounts.prod, accounts)
    for start in range(0, len(data), 500):
        cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=data[start : start + 500])
    first = ends[0] - timedelta(hours=1)
    say(f"   account {accounts.prod}: {len(data)} datapoints for {endpoint_name}, {first:%H:%M}-{ends[-1]:%H:%M} UTC "
        f"(the last {hours - BREACH_FROM} hours with 3% server errors and slower answers)")  # fmt: skip
    return ends


def monitoring_schedule(endpoint: str, accounts: Accounts, endpoint_name: str) -> None:
    """A data-quality schedule on the production endpoint whose last execution found violations
    (locally no processing job runs: the local Model Monitor records that execution from a tag)."""
    from govsync_local.motoext import LOCAL_EXECUTION_TAG

    client("sagemaker", endpoint, accounts.prod, accounts).create_monitoring_schedule(
        MonitoringScheduleName=f"{endpoint_name}-data-quality",
        MonitoringScheduleConfig=data_quality_schedule(endpoint_name, accounts.prod),
        Tags=[{"Key": LOCAL_EXECUTION_TAG, "Value": "CompletedWithViolations"}],
    )
    say(
        f"   account {accounts.prod}: monitoring schedule {endpoint_name}-data-quality, "
        "its last execution CompletedWithViolations"
    )


def data_quality_schedule(endpoint_name: str, account: str) -> dict[str, Any]:
    """A Model Monitor data-quality schedule on an endpoint, hourly (CreateMonitoringSchedule's config)."""
    return {
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinition": {
            "MonitoringInputs": [
                {"EndpointInput": {"EndpointName": endpoint_name, "LocalPath": "/opt/ml/processing/input"}}
            ],
            "MonitoringOutputConfig": {
                "MonitoringOutputs": [
                    {
                        "S3Output": {
                            "S3Uri": f"s3://monitoring-{account}/{endpoint_name}",
                            "LocalPath": "/opt/ml/processing/output",
                        }
                    }
                ]
            },
            "MonitoringResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}
            },
            "MonitoringAppSpecification": {
                "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
            },
            "RoleArn": f"arn:aws:iam::{account}:role/model-monitor",
        },
        "MonitoringType": "DataQuality",
    }


def monitoring(endpoint: str, accounts: Accounts, group: str, version: int) -> None:
    from govsync_cli import main as cli

    say(f"\n8. the production endpoint served {HOURS} hours of traffic; a Model Monitor schedule watches it")
    endpoint_name = records_of(endpoint, group, version)["production"]["deployment"]["endpoint_name"]
    ends = production_traffic(endpoint, accounts, endpoint_name)
    monitoring_schedule(endpoint, accounts, endpoint_name)
    # each hour as its hourly schedule ran it (windows are named, so an hour turning meanwhile moves none)
    say(f"\ngovsync schedule run MetricsAggregatorFunction --window-end <each of the {HOURS} hours>   (hourly)")
    for end in ends:
        command = ["--endpoint-url", endpoint, "schedule", "run", "MetricsAggregatorFunction",
                   "--window-end", end.isoformat()]  # fmt: skip
        quiet = io.StringIO()
        with contextlib.redirect_stdout(quiet) if end != ends[-1] else contextlib.nullcontext():
            if cli.main(command) != 0:
                raise DemoError(f"the metrics aggregator left failures for the window ending {end:%H:%M}")
    production = records_of(endpoint, group, version)["production"]
    if not production["model_monitoring_metrics"].get("values", {}).get("invocations"):
        raise DemoError(f"no metrics on the production record: {production['model_monitoring_metrics']}")
    if not production["monitoring_alert"]:
        raise DemoError("the production thresholds were breached but the record has no alert")
    say("\ngovsync records list --stage production")
    cli.main(["--endpoint-url", endpoint, "records", "list", "--stage", "production"])
