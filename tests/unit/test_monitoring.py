"""Monitoring windows, CloudWatch queries, aggregation, thresholds and alerts (pure, no AWS)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govsync.adapters.cloudwatch import CloudWatchMetrics
from govsync.adapters.described_package import snapshot_from_describe
from govsync.adapters.dynamodb_attributes import plain
from govsync.adapters.monitors import monitor_status
from govsync.domain.alerts import ALERT_RAISED, ALERT_RESOLVED, Thresholds, alert_transition, apply_monitoring, breaches
from govsync.domain.deployment import Deployment
from govsync.domain.endpoint_metrics import Breach, EndpointMetrics, MonitoringAlert
from govsync.domain.governance import resolve_governance
from govsync.domain.monitoring import (
    MonitoredEndpoint,
    aggregate,
    metric_queries,
    monitored_endpoint,
    monitoring_metrics,
    number,
    window_ending,
)
from govsync.domain.records import build_stage_records, merge_records
from govsync.domain.stages import StageConfig
from govsync.settings import ConfigurationError, MetricsSettings

from .helpers import described

as_deployment = Deployment.from_json

NOW = datetime(2026, 11, 23, 10, 5, 42, tzinfo=UTC)


def endpoint(name: str = "fraud-detector-test", variants: tuple[str, ...] = ("AllTraffic",)) -> MonitoredEndpoint:
    return MonitoredEndpoint("fraud-detector", 1, "test", "333333333333", "us-east-1", name, variants)


def deployed_record(**deployment):
    pkg = snapshot_from_describe(described(ModelApprovalStatus="Approved"))
    governance = resolve_governance(pkg, {}, StageConfig().metadata_keys)
    record = build_stage_records(pkg, governance, StageConfig())["development"]
    return replace(record, model_stage="test", model_status="pending", deployment=as_deployment(deployment))


def test_every_run_inside_a_window_asks_for_the_same_window():
    window = window_ending(NOW, 60)
    assert (window.start, window.end) == (datetime(2026, 11, 23, 9, tzinfo=UTC), datetime(2026, 11, 23, 10, tzinfo=UTC))
    assert window_ending(NOW + timedelta(minutes=50), 60) == window
    assert window_ending(NOW + timedelta(minutes=55), 60).end == datetime(2026, 11, 23, 11, tzinfo=UTC)
    assert window_ending(NOW, 15).start == datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
    assert window.seconds == 3600


def test_queries_cover_each_variant_once_with_ids_cloudwatch_accepts():
    window = window_ending(NOW, 60)
    queries = metric_queries([endpoint(variants=("blue", "green")), endpoint(), endpoint()], window)
    # two variants of one endpoint, and one endpoint two records share (asked for once)
    assert len(queries) == 6 * 3
    stats = {(q["MetricStat"]["Metric"]["MetricName"], q["MetricStat"]["Stat"]) for q, _ in queries.values()}
    assert ("ModelLatency", "p90") in stats and ("Invocation5XXErrors", "Sum") in stats
    for query_id, (query, key) in queries.items():
        assert query["Id"] == query_id and query_id[0].islower() and query_id.isalnum()
        assert query["MetricStat"]["Period"] == 3600
        dims = {d["Name"]: d["Value"] for d in query["MetricStat"]["Metric"]["Dimensions"]}
        assert (dims["EndpointName"], dims["VariantName"]) == key[:2]


def test_a_deployed_record_names_its_endpoint_and_variants():
    record = deployed_record(endpoint_name="fraud-detector-test", account="333333333333", variants=["blue"])
    assert monitored_endpoint(record, "us-east-1").variants == ("blue",)
    assert (
        monitored_endpoint(replace(record, deployment=as_deployment({"account": "333333333333"})), "us-east-1") is None
    )
    default = replace(record, deployment=as_deployment({"endpoint_name": "e", "account": "333333333333"}))
    assert monitored_endpoint(default, "eu-west-1").variants == ("AllTraffic",)
    assert monitored_endpoint(default, "eu-west-1").region == "eu-west-1"


def test_totals_weigh_latency_by_invocations_and_take_the_worst_p90():
    answers = {
        ("e", "blue", "invocations"): 300.0,
        ("e", "blue", "invocation_5xx_errors"): 3.0,
        ("e", "blue", "model_latency_avg_us"): 1000.0,
        ("e", "blue", "model_latency_p90_us"): 2000.0,
        ("e", "green", "invocations"): 100.0,
        ("e", "green", "model_latency_avg_us"): 2000.0,
        ("e", "green", "model_latency_p90_us"): 5000.0,
    }
    totals, variants = aggregate(endpoint("e", ("blue", "green")), answers)
    assert totals["invocations"] == 400 and totals["invocation_5xx_errors"] == 3
    assert totals["invocation_5xx_rate"] == 0.007  # 3/400, to 3 decimals
    assert totals["model_latency_avg_us"] == 1250  # (300*1000 + 100*2000) / 400
    assert totals["model_latency_p90_us"] == 5000
    assert "overhead_latency_avg_us" not in totals
    assert variants["green"]["invocation_4xx_errors"] == 0


def test_no_traffic_means_zero_counts_and_no_latency():
    totals, _ = aggregate(endpoint(), {})
    assert totals == {
        "invocations": 0,
        "invocation_4xx_errors": 0,
        "invocation_5xx_errors": 0,
        "invocation_4xx_rate": 0,
        "invocation_5xx_rate": 0,
    }


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_numbers_come_back_from_dynamodb_unchanged(value):
    # DynamoDB stores numbers as decimals; what the audit chain hashed must read back the same
    stored = number(value)
    assert plain(Decimal(str(stored))) == stored
    assert type(plain(Decimal(str(stored)))) is type(stored)


def window_metrics(values: dict, monitors: tuple = ()) -> EndpointMetrics:
    return EndpointMetrics("e", "333333333333", "us-east-1", "s", "w", "c", values, {}, monitors)


def test_thresholds_judge_rates_only_with_enough_invocations():
    metrics = window_metrics({"invocations": 3, "invocation_5xx_rate": 0.667, "model_latency_p90_us": 900})
    assert breaches(metrics, Thresholds(invocation_5xx_rate=0.01, min_invocations=10)) == []
    assert [b.to_json() for b in breaches(metrics, Thresholds(invocation_5xx_rate=0.01))] == [
        {"metric": "invocation_5xx_rate", "value": 0.667, "threshold": 0.01}
    ]
    assert breaches(metrics, Thresholds(model_latency_p90_us=800))[0].metric == "model_latency_p90_us"
    assert breaches(metrics, None) == []
    with pytest.raises(ValueError):
        Thresholds(invocation_5xx_rate=5)


def test_monitor_violations_breach_only_when_asked():
    schedule = {"MonitoringScheduleName": "dq", "MonitoringScheduleStatus": "Scheduled", "EndpointName": "e"}
    execution = {"MonitoringExecutionStatus": "CompletedWithViolations", "ScheduledTime": NOW}
    monitors = [monitor_status(schedule, execution)]
    assert monitors[0].to_json()["last_execution"] == {
        "status": "CompletedWithViolations",
        "scheduled_time": NOW.isoformat(),
        "violations": True,
    }
    metrics = window_metrics({"invocations": 0}, tuple(monitors))
    assert breaches(metrics, Thresholds()) == []
    assert breaches(metrics, Thresholds(monitor_violations=True))[0].value == "dq"
    assert monitor_status(schedule, None).last_execution is None


def test_the_same_window_applies_once_and_alerts_raise_and_resolve():
    record = deployed_record(endpoint_name="fraud-detector-test", account="333333333333")
    window = window_ending(NOW, 60)
    values = monitoring_metrics(
        endpoint(), window, {("fraud-detector-test", "AllTraffic", "invocations"): 5.0}, [], "t1"
    )
    found = [Breach("invocation_5xx_rate", 0.5, 0.1)]
    first = apply_monitoring(record, values, found)
    assert first.monitoring_alert.to_json() == {
        "since": window.end.isoformat(),
        "window_end": window.end.isoformat(),
        "breaches": [
            {"metric": "invocation_5xx_rate", "value": 0.5, "threshold": 0.1, "since": window.end.isoformat()}
        ],
    }
    assert alert_transition(record.monitoring_alert, first.monitoring_alert) == ALERT_RAISED
    # collected again (another collection time, same window and values): nothing to write
    assert apply_monitoring(first, replace(values, collected_at="t2"), found) is None
    # the next window still breaching keeps the alert's start
    later = window_ending(NOW + timedelta(hours=1), 60)
    next_values = monitoring_metrics(endpoint(), later, {}, [], "t3")
    latency = Breach("model_latency_p90_us", 303500, 250000)
    second = apply_monitoring(first, next_values, [*found, latency])
    assert second.monitoring_alert.since == window.end.isoformat()
    # each breach says since when it runs (the chart's red points): the error rate from the first window,
    # the latency from this one
    assert [(b.metric, b.since) for b in second.monitoring_alert.breaches] == [
        ("invocation_5xx_rate", window.end.isoformat()),
        ("model_latency_p90_us", later.end.isoformat()),
    ]
    assert alert_transition(first.monitoring_alert, second.monitoring_alert) is None
    cleared = apply_monitoring(
        second, monitoring_metrics(endpoint(), window_ending(NOW + timedelta(hours=2), 60), {}, [], "t4"), []
    )
    assert cleared.monitoring_alert is None
    assert alert_transition(second.monitoring_alert, cleared.monitoring_alert) == ALERT_RESOLVED


class FakeCloudWatch:
    def __init__(self) -> None:
        self.requests: list[dict] = []

    def get_metric_data(self, **request):
        self.requests.append(request)
        return {"MetricDataResults": [{"Id": q["Id"], "Values": [1.0]} for q in request["MetricDataQueries"]]}


class FakeRoles:
    def __init__(self, client) -> None:
        self.client_args: list[tuple] = []
        self._client = client

    def client(self, *args):
        self.client_args.append(args)
        return self._client


def test_one_get_metric_data_call_per_500_queries():
    fake = FakeCloudWatch()
    source = CloudWatchMetrics(FakeRoles(fake))
    window = window_ending(NOW, 60)
    queries = [q for q, _ in metric_queries([endpoint(f"e{i}") for i in range(200)], window).values()]
    values = source.latest_values(queries, window, role_arn="arn:aws:iam::333333333333:role/r", region="us-east-1",
                                  external_id=None)  # fmt: skip
    assert len(queries) == 1200 and len(values) == 1200
    assert [len(r["MetricDataQueries"]) for r in fake.requests] == [500, 500, 200]
    assert source.calls == 3


def test_thresholds_must_name_stages_of_the_chain():
    env = {"GOVSYNC_TABLE": "table", "AWS_REGION": "us-east-1", "GOVSYNC_ALLOWED_ACCOUNTS": "111111111111"}
    settings = MetricsSettings.from_env(
        {**env, "GOVSYNC_MONITORING_THRESHOLDS": '{"production": {"invocation_5xx_rate": 0.01}}'}
    )
    assert settings.monitoring_thresholds["production"].invocation_5xx_rate == 0.01
    with pytest.raises(ConfigurationError, match="not in the chain"):
        MetricsSettings.from_env({**env, "GOVSYNC_MONITORING_THRESHOLDS": '{"prod": {}}'})
    with pytest.raises(ConfigurationError, match="extra"):
        MetricsSettings.from_env({**env, "GOVSYNC_MONITORING_THRESHOLDS": '{"production": {"5xx": 0.01}}'})


def test_a_registry_change_keeps_what_monitoring_wrote():
    # Given a test record with metrics and an alert
    record = deployed_record(endpoint_name="e", account="333333333333")
    metrics, alert = window_metrics({"invocations": 1}), MonitoringAlert("w", "w", ())
    watched = replace(record, model_monitoring_metrics=metrics, monitoring_alert=alert)
    # When the package changes in the registry (its lifecycle names the test stage)
    lifecycle = {"Stage": "Staging", "StageStatus": "Approved"}
    pkg = snapshot_from_describe(described(ModelApprovalStatus="Approved", ModelLifeCycle=lifecycle))
    implied = build_stage_records(pkg, resolve_governance(pkg, {}, StageConfig().metadata_keys), StageConfig())
    after = merge_records({"test": watched}, implied)["test"]
    # Then the metrics and the alert stay
    assert after.model_monitoring_metrics == metrics and after.monitoring_alert == alert
