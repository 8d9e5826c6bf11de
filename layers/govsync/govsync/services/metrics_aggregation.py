"""Metrics aggregator: on its schedule, the endpoint metrics of every live deployment are read in
the stage accounts (one GetMetricData call per 500 queries per account) and written on the record
with their Model Monitor status; a stage's thresholds raise and resolve alerts.

A run is fanned out (`govsync.services.fanout`): planned from the `by_live` index (the keys of the live
deployments only), one work item per CHUNK of them; an item loads its records, reads each account once
and writes each record. One account that cannot be read is reported and left for the next run; the
others go on.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from govsync.domain import alerts
from govsync.domain import monitoring as mon
from govsync.domain.deployment import DeployState
from govsync.domain.endpoint_metrics import MonitorStatus
from govsync.domain.errors import GovsyncError
from govsync.domain.records import StageRecord
from govsync.domain.runs import PartResult, WorkItem
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.fanout import plan_chunks
from govsync.services.ports import MetricsSource, MonitorSource, Store, utc_now
from govsync.services.updates import Audit, update_records
from govsync.settings import MetricsSettings

ACTOR = "govsync-metrics-aggregator"
CHUNK = 100  # live deployments per work item (a few hundred AWS calls: well within one invocation)
COUNTS = ("records", "updated", "unchanged", "failed", "without_endpoint", "alerts_raised", "alerts_resolved",
          "get_metric_data_calls")  # fmt: skip
Monitored = tuple[StageRecord, mon.MonitoredEndpoint]


@dataclass
class MetricsAggregator:
    settings: MetricsSettings
    store: Store
    cloudwatch: MetricsSource
    monitors: MonitorSource
    clock: Callable[[], datetime] = utc_now
    job: str = "metrics-aggregation"

    def plan(self, window_end: datetime | None, planning: PartResult) -> Iterator[tuple[str, dict[str, Any]]]:
        """The window, and the live deployments of each stage that deploys, CHUNK to an item."""
        window = mon.window_ending(window_end or self.clock(), self.settings.metrics_window_minutes)
        planning.notes.update(window_start=window.start.isoformat(), window_end=window.end.isoformat())
        for stage in self.settings.stages:
            if stage not in self.settings.stage_targets:
                continue
            for chunk in plan_chunks(self.store.live_versions(stage), CHUNK):
                item = {"window_end": window.end.isoformat(), "stage": stage, "versions": [list(k) for k in chunk]}
                yield f"{stage}/{chunk[0][0]}/{chunk[0][1]}", item

    def work(self, item: WorkItem, keep_going: Callable[[], bool]) -> PartResult:
        """One chunk: its records loaded, each account read once, each record written; once
        `keep_going()` is not, the versions not written yet go to the item's next part."""
        piece = PartResult()
        stage, window = (
            item.work["stage"],
            mon.window_ending(datetime.fromisoformat(item.work["window_end"]), self.settings.metrics_window_minutes),
        )
        versions = [tuple(v) for v in (json.loads(item.cursor) if item.cursor else item.work["versions"])]
        calls_before = self.cloudwatch.calls
        located: dict[tuple[str, str], list[Monitored]] = defaultdict(list)
        try:
            records = self.store.records_at([(g, int(v), stage) for g, v in versions])
        except GovsyncError as exc:
            piece.failed(f"{stage} records", str(exc))
            return piece
        for record in records:
            if record.deployment.status is not DeployState.LIVE:
                continue  # no longer live since the run was planned
            piece.counts["records"] += 1
            endpoint = mon.monitored_endpoint(record, self.settings.region)
            if endpoint is None:
                piece.counts["without_endpoint"] += 1
                continue
            located[endpoint.location].append((record, endpoint))
        left = {(r.model_group, r.model_version) for items in located.values() for r, _ in items}
        for n, ((account, region), items) in enumerate(sorted(located.items())):
            if n and not keep_going():  # at least one account a part: every part moves on
                piece.cursor = json.dumps(sorted([g, v] for g, v in left))
                break
            self._account(account, region, items, window, piece)
            left -= {(r.model_group, r.model_version) for r, _ in items}
        piece.counts["get_metric_data_calls"] += self.cloudwatch.calls - calls_before
        metrics.add_metric(name="MetricsRecordsUpdated", unit=MetricUnit.Count, value=piece.counts["updated"])
        metrics.add_metric(name="MetricsRecordsFailed", unit=MetricUnit.Count, value=piece.counts["failed"])
        return piece

    def summary(self, run_id: str, total: PartResult) -> dict[str, Any]:
        accounts = {where: "ok" for where in total.notes if "/" in where}
        accounts.update({f["account"]: f["error"] for f in total.failures if "account" in f})
        return {
            "run_id": run_id,
            "window_start": total.notes.get("window_start"),
            "window_end": total.notes.get("window_end"),
            **{name: total.counts[name] for name in COUNTS},
            "accounts": dict(sorted(accounts.items())),
            "failures": [f for f in total.failures if "arn" in f],
        }

    def _account(
        self, account: str, region: str, items: list[Monitored], window: mon.Window, piece: PartResult
    ) -> None:
        where = f"{account}/{region}"
        try:
            answers, monitors = self._read_account(account, region, [ep for _, ep in items], window)
        except GovsyncError as exc:
            piece.counts["failed"] += len(items)
            piece.failures.append({"account": where, "error": str(exc)})
            logger.error("stage account metrics unreadable", account=account, region=region, error=str(exc))
            metrics.add_metric(name="MetricsAccountsFailed", unit=MetricUnit.Count, value=1)
            return
        piece.notes[where] = "ok"
        for record, endpoint in items:
            self._write(record, endpoint, window, answers, monitors.get(endpoint.endpoint_name, []), piece)

    def _read_account(
        self, account: str, region: str, endpoints: list[mon.MonitoredEndpoint], window: mon.Window
    ) -> tuple[dict[mon.QueryKey, float], dict[str, list[MonitorStatus]]]:
        role_arn = self.settings.stage_role_arn(account, self.settings.metrics_role_name)
        external_id = self.settings.external_id_for(account)
        queries = mon.metric_queries(endpoints, window)
        values = self.cloudwatch.latest_values(
            [q for q, _ in queries.values()], window, role_arn=role_arn, region=region, external_id=external_id
        )
        answers = {key: values[query_id] for query_id, (_, key) in queries.items() if query_id in values}
        since = window.end - timedelta(hours=self.settings.monitor_lookback_hours)
        monitors = self.monitors.on_endpoints(
            {e.endpoint_name for e in endpoints}, since, role_arn=role_arn, region=region, external_id=external_id
        )
        return answers, monitors

    def _write(
        self,
        record: StageRecord,
        endpoint: mon.MonitoredEndpoint,
        window: mon.Window,
        answers: dict[mon.QueryKey, float],
        monitors: list[MonitorStatus],
        piece: PartResult,
    ) -> None:
        collected = self.clock()
        now = collected.isoformat()
        values = mon.monitoring_metrics(endpoint, window, answers, monitors, now)
        found = alerts.breaches(values, self.settings.monitoring_thresholds.get(endpoint.stage))

        try:
            # the history first: the same window rewrites the same point, so a failed record write
            # retried next run leaves neither missing
            expires = collected + timedelta(days=self.settings.metrics_history_days)
            self.store.save_metrics_point(mon.history_point(endpoint, values), expires)
            planned = alerts.apply_monitoring(record, values, found)
            transition = alerts.alert_transition(record.monitoring_alert, planned.monitoring_alert) if planned else None
            if transition and planned:  # told once the write commits (services.notifications)
                self._log_alert(record, planned)
            audit = Audit(f"metrics-{window.end.isoformat()}", ACTOR, "monitoring-metrics", now)
            after = update_records(
                self.store,
                endpoint.group,
                endpoint.version,
                lambda records: alerts.records_with_window(records, endpoint.stage, values, found),
                audit,
            )
        except GovsyncError as exc:
            piece.failed(record.model_package_arn, str(exc))
            logger.error("monitoring metrics not written", **endpoint.log_keys, error=str(exc))
            return
        if after is None:
            piece.counts["unchanged"] += 1
            return
        piece.counts["updated"] += 1
        if transition:
            piece.counts["alerts_raised"] += transition == alerts.ALERT_RAISED
            piece.counts["alerts_resolved"] += transition != alerts.ALERT_RAISED

    def _log_alert(self, record: StageRecord, planned: StageRecord) -> None:
        logger.warning(
            "monitoring alert" if planned.monitoring_alert else "monitoring alert resolved",
            model_group=record.model_group,
            model_version=record.model_version,
            stage=record.model_stage,
            breaches=planned.monitoring_alert.to_json()["breaches"] if planned.monitoring_alert else [],
        )
        metrics.add_metric(
            name="MonitoringAlerts" if planned.monitoring_alert else "MonitoringAlertsResolved",
            unit=MetricUnit.Count,
            value=1,
        )
