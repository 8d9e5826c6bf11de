"""Metrics aggregator: on its schedule, the endpoint metrics of every live deployment are read in
the stage accounts (one GetMetricData call per 500 queries per account) and written on the record
with their Model Monitor status; a stage's thresholds raise and resolve alerts.

One account that cannot be read is reported and left for the next run; the others go on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from govsync.domain import monitoring as mon
from govsync.domain.deployment import DeployState
from govsync.domain.errors import GovsyncError
from govsync.domain.records import STATUSES, StageRecord
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.ports import MetricsSource, MonitorSource, Notifier, Store, utc_now
from govsync.services.updates import Audit, update_records
from govsync.settings import Settings

ACTOR = "govsync-metrics-aggregator"
# a live deployment's record may have any decision (pending in a stage not decided yet, approved,
# rejected with nothing to roll back to, retired while still serving)
LIVE_STATUSES = STATUSES
Monitored = tuple[StageRecord, mon.MonitoredEndpoint]


@dataclass
class AggregationSummary:
    window_start: str
    window_end: str
    records: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    without_endpoint: int = 0
    alerts_raised: int = 0
    alerts_resolved: int = 0
    get_metric_data_calls: int = 0
    accounts: dict[str, str] = field(default_factory=dict)  # "account/region" -> ok | the error

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MetricsAggregator:
    settings: Settings
    store: Store
    cloudwatch: MetricsSource
    monitors: MonitorSource
    notifier: Notifier
    clock: Callable[[], datetime] = utc_now

    def run(self, window_end: datetime | None = None) -> AggregationSummary:
        now = self.clock()
        window = mon.window_ending(window_end or now, self.settings.metrics_window_minutes)
        summary = AggregationSummary(window.start.isoformat(), window.end.isoformat())
        calls_before = self.cloudwatch.calls
        for (account, region), items in sorted(self._deployed(summary).items()):
            where = f"{account}/{region}"
            try:
                answers, monitors = self._read_account(account, region, [ep for _, ep in items], window)
            except GovsyncError as exc:
                summary.accounts[where] = str(exc)
                summary.failed += len(items)
                logger.error("stage account metrics unreadable", account=account, region=region, error=str(exc))
                metrics.add_metric(name="MetricsAccountsFailed", unit=MetricUnit.Count, value=1)
                continue
            summary.accounts[where] = "ok"
            for record, endpoint in items:
                self._write(record, endpoint, window, answers, monitors.get(endpoint.endpoint_name, []), summary)
        summary.get_metric_data_calls = self.cloudwatch.calls - calls_before
        logger.info("metrics aggregated", **summary.to_json())
        metrics.add_metric(name="MetricsRecordsUpdated", unit=MetricUnit.Count, value=summary.updated)
        metrics.add_metric(name="MetricsRecordsFailed", unit=MetricUnit.Count, value=summary.failed)
        metrics.add_metric(name="GetMetricDataCalls", unit=MetricUnit.Count, value=summary.get_metric_data_calls)
        return summary

    def _deployed(self, summary: AggregationSummary) -> dict[tuple[str, str], list[Monitored]]:
        """The records whose deployment is live, by account and region: the by_stage_status index,
        one query per status a live deployment's record can have in each stage that deploys (a later
        approval, or a rejection with nothing to roll back to, leaves the endpoint serving)."""
        found: dict[tuple[str, str], list[Monitored]] = defaultdict(list)
        for stage in self.settings.stages:
            if stage not in self.settings.stage_targets:
                continue
            for status in LIVE_STATUSES:
                for record in self.store.records_by_stage_status(stage, status):
                    if record.deployment.status is not DeployState.LIVE:
                        continue
                    summary.records += 1
                    endpoint = mon.monitored_endpoint(record, self.settings.region)
                    if endpoint is None:
                        summary.without_endpoint += 1
                        continue
                    found[endpoint.location].append((record, endpoint))
        return found

    def _read_account(
        self, account: str, region: str, endpoints: list[mon.MonitoredEndpoint], window: mon.Window
    ) -> tuple[dict, dict[str, list[dict]]]:
        role_arn = self.settings.stage_role_arn(account, self.settings.metrics_role_name)
        external_id = self.settings.external_id_for(account)
        queries = mon.metric_queries(endpoints, window)
        values = self.cloudwatch.latest_values(
            [q for q, _ in queries.values()], window, role_arn=role_arn, region=region, external_id=external_id
        )
        answers = {key: values[query_id] for query_id, (_, key) in queries.items() if query_id in values}
        since = window.end - timedelta(hours=self.settings.monitor_lookback_hours)
        found = self.monitors.on_endpoints(
            {e.endpoint_name for e in endpoints}, since, role_arn=role_arn, region=region, external_id=external_id
        )
        monitors = {name: [mon.monitor_status(s, e) for s, e in pairs] for name, pairs in found.items()}
        return answers, monitors

    def _write(
        self,
        record: StageRecord,
        endpoint: mon.MonitoredEndpoint,
        window: mon.Window,
        answers: dict,
        monitors: list[dict],
        summary: AggregationSummary,
    ) -> None:
        collected = self.clock()
        now = collected.isoformat()
        values = mon.monitoring_metrics(endpoint, window, answers, monitors, now)
        found = mon.breaches(values, self.settings.monitoring_thresholds.get(endpoint.stage))

        def collect(records: dict[str, StageRecord]) -> dict[str, StageRecord] | None:
            current = records.get(endpoint.stage)
            if current is None or current.deployment.endpoint_name != endpoint.endpoint_name:
                return None  # redeployed since the query
            updated = mon.apply_monitoring(current, values, found)
            return None if updated is None else {**records, endpoint.stage: updated}

        try:
            # the history first: the same window rewrites the same point, so a failed record write
            # retried next run leaves neither missing
            expires = collected + timedelta(days=self.settings.metrics_history_days)
            self.store.save_metrics_point(mon.history_point(endpoint, values), expires)
            planned = mon.apply_monitoring(record, values, found)
            transition = mon.alert_transition(record.monitoring_alert, planned.monitoring_alert) if planned else None
            if transition and planned:  # before the write: a failed publish leaves the record as it was
                self._notify(transition, record, planned)
            audit = Audit(f"metrics-{window.end.isoformat()}", ACTOR, "monitoring-metrics", now)
            after = update_records(self.store, endpoint.group, endpoint.version, collect, audit)
        except GovsyncError as exc:
            summary.failed += 1
            logger.error("monitoring metrics not written", **endpoint.log_keys, error=str(exc))
            return
        if after is None:
            summary.unchanged += 1
            return
        summary.updated += 1
        if transition:
            summary.alerts_raised += transition == mon.ALERT_RAISED
            summary.alerts_resolved += transition != mon.ALERT_RAISED

    def _notify(self, detail_type: str, record: StageRecord, planned: StageRecord) -> None:
        alert = planned.monitoring_alert or record.monitoring_alert
        detail = {
            "ModelPackageArn": record.model_package_arn,
            "ModelPackageGroupName": record.model_group,
            "ModelPackageVersion": record.model_version,
            "Stage": record.model_stage,
            "EndpointName": planned.model_monitoring_metrics.get("endpoint_name"),
            "Account": planned.model_monitoring_metrics.get("account"),
            "WindowStart": planned.model_monitoring_metrics.get("window_start"),
            "WindowEnd": planned.model_monitoring_metrics.get("window_end"),
            "Since": alert.get("since"),
            "Breaches": planned.monitoring_alert.get("breaches", []),
            "Values": planned.model_monitoring_metrics.get("values", {}),
        }
        self.notifier.publish(self.settings.notification_bus, detail_type, detail, [record.model_package_arn])
        logger.warning(
            "monitoring alert" if planned.monitoring_alert else "monitoring alert resolved",
            model_group=record.model_group,
            model_version=record.model_version,
            stage=record.model_stage,
            breaches=planned.monitoring_alert.get("breaches", []),
        )
        metrics.add_metric(
            name="MonitoringAlerts" if planned.monitoring_alert else "MonitoringAlertsResolved",
            unit=MetricUnit.Count,
            value=1,
        )
