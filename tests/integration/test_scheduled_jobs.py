"""Scheduled jobs against moto: the metrics aggregator reads the stage accounts' CloudWatch metrics and
Model Monitor schedules into the deployed records; the reconciler repairs what missed events left."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import botocore.client
import pytest
from aws_lambda_powertools.utilities.parser import ValidationError
from botocore.exceptions import ClientError

from govsync import wiring
from govsync.domain.audit import verify_chain
from govsync_local import motoext
from govsync_local.demo_monitoring import data_quality_schedule

from ..unit.helpers import FULL_METADATA
from .conftest import GROUP, PROD_ACCOUNT, TEST_ACCOUNT, register
from .test_promotion import approve, capture_central_events, lifecycle, records, sync

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
    """A medium-risk version deployed to test (one approver takes it on to production too)."""
    arn = register(stack.sagemaker, metadata={**FULL_METADATA, "ModelRisk": "Medium"})
    sync(stack, arn)
    approve(stack, arn)
    stack.run_deployments()
    test = records(1)["test"]
    # the endpoint's state change named its variants (its metrics are per variant)
    assert test.deployment_status == "deployed" and test.deployment.variants == ("AllTraffic",)
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
    endpoint = records(1)["test"].deployment.endpoint_name
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
    metrics = records(1)["test"].model_monitoring_metrics.to_json()
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


def test_the_same_window_twice_gives_the_same_record_and_one_audit_entry(stack):
    # Given an aggregated window
    deployed_to_test(stack)
    endpoint = records(1)["test"].deployment.endpoint_name
    put_endpoint_metrics(TEST_ACCOUNT, endpoint, IN_WINDOW, invocations=[5], latency=[1200.5])
    stack.invoke_job("MetricsAggregatorFunction", {"window_end": WINDOW_END.isoformat()})
    first = records(1)["test"]
    entries = len(wiring.governance_store().audit_entries(GROUP, 1))
    # When the aggregator runs again inside the same window (a retry, a second trigger)
    summary = stack.invoke_job(
        "MetricsAggregatorFunction", {"window_end": (WINDOW_END + timedelta(minutes=20)).isoformat()}
    )
    # Then nothing changes: the same record (collected time included), no new audit entry
    assert summary["unchanged"] == 1 and summary["updated"] == 0
    assert records(1)["test"] == first
    assert len(wiring.governance_store().audit_entries(GROUP, 1)) == entries
    assert first.model_monitoring_metrics.values["model_latency_avg_us"] == 1200.5
    # and the audit chain still verifies with the metrics in it
    state = wiring.governance_store().load_version(GROUP, 1)
    assert verify_chain(wiring.governance_store().audit_entries(GROUP, 1), state.audit_seq, state.audit_head).ok


def test_an_account_whose_role_cannot_be_assumed_does_not_stop_the_others(stack):
    # Given version 1 runs in test (333…) and in production (444…)
    arn = deployed_to_test(stack)
    lifecycle(stack, arn, "Staging", "Approved")
    stack.run_deployments()
    assert records(1)["production"].deployment_status == "deployed"
    for stage, account in (("test", TEST_ACCOUNT), ("production", PROD_ACCOUNT)):
        put_endpoint_metrics(account, records(1)[stage].deployment.endpoint_name, IN_WINDOW, invocations=[7])
    # and the test account's metrics read role does not trust us
    original = botocore.client.BaseClient._make_api_call

    def deny(client, operation, params):
        if operation == "AssumeRole" and params["RoleArn"] == f"arn:aws:iam::{TEST_ACCOUNT}:role/govsync-metrics-read":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "AssumeRole")
        return original(client, operation, params)

    stack.monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", deny)
    # When the aggregator runs
    summary = stack.invoke_job("MetricsAggregatorFunction", {"window_end": WINDOW_END.isoformat()})
    # Then production is collected, and the test account is reported, its record left as it was
    assert summary["accounts"][f"{PROD_ACCOUNT}/us-east-1"] == "ok"
    assert "AccessDenied" in summary["accounts"][f"{TEST_ACCOUNT}/us-east-1"]
    assert summary["updated"] == 1 and summary["failed"] == 1
    assert records(1)["production"].model_monitoring_metrics.values["invocations"] == 7
    assert records(1)["test"].model_monitoring_metrics is None
    # and the next run, with the role fixed, collects it
    stack.monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", original)
    wiring.reset()
    stack.current = ""
    summary = stack.invoke_job("MetricsAggregatorFunction", {"window_end": WINDOW_END.isoformat()})
    assert summary["updated"] == 1 and summary["unchanged"] == 1
    assert records(1)["test"].model_monitoring_metrics.values["invocations"] == 7


def test_a_breached_threshold_flags_the_record_and_publishes_one_event_until_resolved(stack):
    # Given the test stage alerts above 5% server errors
    stack.configure(MonitoringThresholds=json.dumps({"test": {"invocation_5xx_rate": 0.05}}))
    capture_central_events(stack)
    arn = deployed_to_test(stack)
    stack.drain("CentralEvents")  # the deployment's own notifications (docs/notifications.md)
    endpoint = records(1)["test"].deployment.endpoint_name
    put_endpoint_metrics(TEST_ACCOUNT, endpoint, IN_WINDOW, invocations=[100], e5=[9])
    # When a window with 9% errors is collected, and the next one with 10%
    stack.invoke_job("MetricsAggregatorFunction", {"window_end": WINDOW_END.isoformat()})
    alert = records(1)["test"].monitoring_alert
    put_endpoint_metrics(TEST_ACCOUNT, endpoint, IN_WINDOW + timedelta(hours=1), invocations=[100], e5=[10])
    stack.invoke_job("MetricsAggregatorFunction", {"window_end": (WINDOW_END + timedelta(hours=1)).isoformat()})
    # Then the record is flagged since the first window, and one alert event was published
    first = {"metric": "invocation_5xx_rate", "value": 0.09, "threshold": 0.05, "since": WINDOW_END.isoformat()}
    assert alert.to_json()["breaches"] == [first]
    assert records(1)["test"].monitoring_alert.since == WINDOW_END.isoformat()
    # the breach keeps the window its run began in, as the alert does
    assert [b.since for b in records(1)["test"].monitoring_alert.breaches] == [WINDOW_END.isoformat()]
    events = [json.loads(body) for body in stack.drain("CentralEvents")]
    assert [e["detail-type"] for e in events] == ["metric-alert"]
    assert events[0]["detail"]["model_group"] == arn.split("/")[-2] and events[0]["detail"]["stage"] == "test"
    # When a clean window follows
    put_endpoint_metrics(TEST_ACCOUNT, endpoint, IN_WINDOW + timedelta(hours=2), invocations=[100])
    stack.invoke_job("MetricsAggregatorFunction", {"window_end": (WINDOW_END + timedelta(hours=2)).isoformat()})
    # Then the alert is resolved, with its event
    assert records(1)["test"].monitoring_alert is None
    assert [json.loads(b)["detail-type"] for b in stack.drain("CentralEvents")] == ["metric-alert-resolved"]


def test_model_monitor_executions_with_violations_are_on_the_record(stack):
    # Given a data-quality schedule on the test endpoint whose latest execution found violations
    stack.configure(MonitoringThresholds=json.dumps({"test": {"monitor_violations": True}}))
    deployed_to_test(stack)
    endpoint = records(1)["test"].deployment.endpoint_name
    client_in("sagemaker", TEST_ACCOUNT).create_monitoring_schedule(
        MonitoringScheduleName="fraud-data-quality",
        MonitoringScheduleConfig=data_quality_schedule(endpoint, TEST_ACCOUNT),
    )
    motoext.record_monitoring_execution(
        TEST_ACCOUNT, "us-east-1", "fraud-data-quality", "Completed", IN_WINDOW - timedelta(hours=3)
    )
    motoext.record_monitoring_execution(
        TEST_ACCOUNT, "us-east-1", "fraud-data-quality", "CompletedWithViolations", IN_WINDOW
    )
    # When the aggregator runs
    stack.invoke_job("MetricsAggregatorFunction", {"window_end": WINDOW_END.isoformat()})
    # Then the record names the schedule and its latest execution, and the violations raise the alert
    record = records(1)["test"]
    (monitor,) = record.model_monitoring_metrics.to_json()["monitors"]
    assert monitor["schedule_name"] == "fraud-data-quality" and monitor["monitoring_type"] == "DataQuality"
    assert monitor["last_execution"]["status"] == "CompletedWithViolations"
    assert monitor["last_execution"]["violations"] is True
    assert record.monitoring_alert.breaches[0].metric == "monitor_violations"


def test_a_scheduled_run_with_bad_input_fails_naming_it(stack):
    with pytest.raises(ValidationError, match="window-end"):
        stack.invoke_job("MetricsAggregatorFunction", {"window-end": "yesterday"})


# ---------------------------------------------------------------------------------------- reconcile
def test_reconcile_repairs_a_deleted_record(stack):
    # Given version 1's development record was deleted from the table
    arn = register(stack.sagemaker)
    sync(stack, arn)
    boto3.client("dynamodb", region_name="us-east-1").delete_item(
        TableName=stack.table, Key={"pk": {"S": f"MODEL#{GROUP}#1"}, "sk": {"S": "V#STAGE#development"}}
    )
    assert "development" not in records(1)
    # When the reconciler runs
    summary = stack.invoke_job("ReconcilerFunction", {"job": "reconcile"})
    # Then the record is back, and the audit trail says the reconcile run wrote it
    assert (summary["checked"], summary["repaired"], summary["failed"]) == (1, 1, 0)
    assert records(1)["development"].model_status == "pending"
    entry = wiring.governance_store().audit_entries(GROUP, 1)[-1]
    assert entry.event_id == summary["run_id"] and "development" in entry.changes


def test_reconcile_repairs_a_stale_record_through_the_event_path(stack):
    # Given version 1 was approved, but the approval's event never arrived
    arn = register(stack.sagemaker)
    sync(stack, arn)
    stack.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert records(1)["development"].model_status == "pending"
    # When the reconciler runs
    summary = stack.invoke_job("ReconcilerFunction")
    # Then the record is approved, and the promotion the approval asks for was requested
    assert summary["repaired"] == 1
    assert records(1)["development"].model_status == "approved"
    assert records(1)["test"].deployment.status == "requested"
    assert [json.loads(b)["stage"] for b in stack.drain("DeployRequestsQueue")] == ["test"]
    # and a second run finds nothing to do
    again = stack.invoke_job("ReconcilerFunction")
    assert (again["checked"], again["up_to_date"], again["repaired"]) == (1, 1, 0)


def test_a_repaired_deployment_reads_the_endpoint_it_finds_instead_of_waiting_forever(stack):
    # Given version 1 live in test, then every item of the version lost from the table
    deployed_to_test(stack)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    items = dynamodb.query(
        TableName=stack.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"MODEL#{GROUP}#1"}},
    )["Items"]
    for item in items:
        dynamodb.delete_item(TableName=stack.table, Key={"pk": item["pk"], "sk": item["sk"]})
    assert records(1) == {}
    # When the reconciler repairs it, and the deploy request it asks for is handled
    summary = stack.invoke_job("ReconcilerFunction")
    assert summary["repaired"] == 1
    stack.run_deployments()
    # Then the kick found the endpoint already serving this version's config (no state change will
    # come for it) and recorded what the endpoint says: in service, so deployed, not kicked forever
    test = records(1)["test"]
    assert (test.deployment_status, test.deployment.status, test.deployment.endpoint_status) == (
        "deployed",
        "live",
        "IN_SERVICE",
    )


def test_reconcile_backfills_a_group_of_more_than_a_page_of_packages(stack):
    # Given 105 versions registered before the stack was installed (no record at all)
    arns = [register(stack.sagemaker) for _ in range(105)]
    stack.calls.clear()
    # When the reconciler runs
    summary = stack.invoke_job("ReconcilerFunction")
    # Then every version has its record, read a page at a time
    assert (summary["groups"], summary["checked"], summary["repaired"], summary["failed"]) == (1, 105, 105, 0)
    assert stack.calls[("sagemaker", "ListModelPackages")] == 2
    assert records(105)["development"].model_package_arn == arns[-1]
    # When it runs again
    stack.calls.clear()
    again = stack.invoke_job("ReconcilerFunction")
    # Then everything is up to date: heads read in batches, one describe per package, no write
    assert (again["checked"], again["up_to_date"], again["repaired"]) == (105, 105, 0)
    assert stack.calls[("dynamodb", "BatchGetItem")] == 3  # 200 keys, then 10
    assert stack.calls[("sagemaker", "DescribeModelPackage")] == 105
    # the only transactions are the run's own: its plan and its one work item, each counted once
    assert stack.work_items_handled == 1
    assert stack.calls[("dynamodb", "TransactWriteItems")] == 2
    assert not [c for c in stack.aws_calls("dynamodb") if c.endswith(":Scan")]


def test_a_package_that_cannot_be_read_is_reported_and_the_others_repaired(stack):
    # Given two versions without records, the first of which the registry refuses to describe
    first, second = register(stack.sagemaker), register(stack.sagemaker)
    original = botocore.client.BaseClient._make_api_call

    def refuse(client, operation, params):
        if operation == "DescribeModelPackage" and params["ModelPackageName"] == first:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, operation)
        return original(client, operation, params)

    stack.monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", refuse)
    # When the reconciler runs
    summary = stack.invoke_job("ReconcilerFunction")
    # Then the second is repaired and the first reported, with its reason
    assert (summary["checked"], summary["repaired"], summary["failed"]) == (2, 1, 1)
    assert summary["failures"] == [{"arn": first, "error": f"DescribeModelPackage {first}: AccessDeniedException no"}]
    assert records(2)["development"].model_package_arn == second


def test_each_window_is_kept_in_a_bounded_history(stack):
    # Given a deployed test stage with two windows of traffic, and a 10-day history
    stack.configure(MetricsHistoryDays="10")
    deployed_to_test(stack)
    endpoint = records(1)["test"].deployment.endpoint_name
    put_endpoint_metrics(TEST_ACCOUNT, endpoint, IN_WINDOW - timedelta(hours=1), invocations=[40], e5=[2])
    put_endpoint_metrics(TEST_ACCOUNT, endpoint, IN_WINDOW, invocations=[50])
    # When the aggregator collects both windows, the second one twice
    for end in (WINDOW_END - timedelta(hours=1), WINDOW_END, WINDOW_END):
        stack.invoke_job("MetricsAggregatorFunction", {"window_end": end.isoformat()})
    # Then the history holds one point per window, oldest first, with the window's totals
    history = wiring.governance_store().metrics_history(GROUP, 1, "test")
    assert [p.window_end for p in history] == [(WINDOW_END - timedelta(hours=1)).isoformat(), WINDOW_END.isoformat()]
    assert [p.values["invocations"] for p in history] == [40, 50]
    assert history[0].values["invocation_5xx_rate"] == 0.05 and history[0].endpoint_name == endpoint
    # and a later `since` leaves the first one out
    assert len(wiring.governance_store().metrics_history(GROUP, 1, "test", WINDOW_END.isoformat())) == 1
    # and each item expires (the table's TTL attribute) ten days after it was written
    items = boto3.client("dynamodb", region_name="us-east-1").query(
        TableName=stack.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"METRICS#{GROUP}#1#test"}},
    )["Items"]
    expires = [int(i["expires_at"]["N"]) for i in items]
    assert all(abs(e - (datetime.now(UTC) + timedelta(days=10)).timestamp()) < 300 for e in expires)
    # and the version's own partition (its records and audit) holds none of them
    assert set(records(1)) == {"development", "test"}
