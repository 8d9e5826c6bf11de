"""Scheduled jobs against moto: the metrics aggregator reads the stage accounts' CloudWatch metrics and
Model Monitor schedules into the deployed records; the reconciler repairs what missed events left."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import botocore.client
from botocore.exceptions import ClientError

from govsync import wiring
from govsync_local import motoext

from .conftest import GROUP, PROD_ACCOUNT, TEST_ACCOUNT, register
from .test_promotion import _capture_central_events, approve, lifecycle, records, sync

WINDOW_END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
IN_WINDOW = WINDOW_END - timedelta(minutes=30)


def client_in(service: str, account: str):
    sts = boto3.client("sts", region_name="us-east-1")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/tester", RoleSessionName="tester")["Credentials"]
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def deployed_to_test(stack) -> str:
    arn = register(stack.sagemaker)
    sync(stack, arn)
    approve(stack, arn)
    stack.run_deployments()
    assert records(1)["test"].model_status == "deployed"
    return arn


def put_endpoint_metrics(account: str, endpoint: str, when: datetime, **values: list[float]) -> None:
    """Datapoints as SageMaker publishes them: AWS/SageMaker, per endpoint and variant."""
    names = {"invocations": "Invocations", "e4": "Invocation4XXErrors", "e5": "Invocation5XXErrors",
             "latency": "ModelLatency", "overhead": "OverheadLatency"}  # fmt: skip
    data = [
        {
            "MetricName": names[key],
            "Dimensions": [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": "AllTraffic"}],
            "Timestamp": when,
            "Values": points,
            "Unit": "Microseconds" if key in ("latency", "overhead") else "Count",
        }
        for key, points in values.items()
    ]
    client_in("cloudwatch", account).put_metric_data(Namespace="AWS/SageMaker", MetricData=data)


def test_metrics_of_a_deployed_version_are_aggregated_into_its_record(stack):
    # Given version 1 runs in the test account and its endpoint had traffic in the last window
    deployed_to_test(stack)
    endpoint = records(1)["test"].deployment["endpoint_name"]
    put_endpoint_metrics(
        TEST_ACCOUNT, endpoint, IN_WINDOW,
        invocations=[10, 20], e4=[1], e5=[3], latency=[100, 200, 300, 400, 500, 600, 700, 800, 900, 1000],
        overhead=[50, 70],
    )  # fmt: skip
    # and some after the window, which it must not count
    put_endpoint_metrics(TEST_ACCOUNT, endpoint, WINDOW_END + timedelta(minutes=5), invocations=[1000])
    stack.calls.clear()
    # When the aggregator runs for that window
    summary = stack.invoke_job("MetricsAggregatorFunction", {"window_end": WINDOW_END.isoformat()})
    # Then the record holds the window's values
    metrics = records(1)["test"].model_monitoring_metrics
    assert metrics["endpoint_name"] == endpoint and metrics["account"] == TEST_ACCOUNT
    assert metrics["window_start"] == (WINDOW_END - timedelta(hours=1)).isoformat()
    assert metrics["window_end"] == WINDOW_END.isoformat()
    assert metrics["values"] == {
        "invocations": 30,
        "invocation_4xx_errors": 1,
        "invocation_5xx_errors": 3,
        "invocation_4xx_rate": 0.033,
        "invocation_5xx_rate": 0.1,
        "model_latency_avg_us": 550,
        "model_latency_p90_us": 900,
        "overhead_latency_avg_us": 60,
    }
    assert metrics["variants"]["AllTraffic"]["model_latency_p90_us"] == 900
    assert summary["updated"] == 1 and summary["accounts"] == {f"{TEST_ACCOUNT}/us-east-1": "ok"}
    # with one GetMetricData call for the account, through the index (no Scan)
    assert stack.aws_calls("cloudwatch") == ["cloudwatch:GetMetricData"]
    assert summary["get_metric_data_calls"] == 1
    assert not [c for c in stack.aws_calls("dynamodb") if c.endswith(":Scan")]
    entries = wiring.governance_store().audit_entries(GROUP, 1)
    assert entries[-1].action == "monitoring-metrics" and "model_monitoring_metrics" in entries[-1].changes["test"]
