"""Scheduled jobs on a moto server holding several accounts.

Metrics aggregator, run in one process as `govsync schedule run` does: N live deployments spread over
three stage accounts. Figures: GetMetricData calls against ⌈queries/500⌉ per account, Scans (none),
and the run's time against a floor doing the same calls with plain boto3 (the live index's keys and
BatchGetItem of their records, AssumeRole and GetMetricData per account, the Model Monitor listing,
then per record one Query and one TransactWriteItems of head + record + audit entry).

Reconcile: N versions, all with their records. Figures: the run's time against a floor doing the
same calls with plain boto3 (group listing, package pages, BatchGetItem of heads and first records,
one DescribeModelPackage per package); peak traced memory reconciling N versions against N/5.
The first-install backfill of those versions is timed too (no floor: it is N full syncs).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from benchmarks.bench_registry_sync import register
from benchmarks.harness import CallCounter, median, report, timed
from govsync.domain.deployment import Deployment
from govsync.jobs import METRICS_AGGREGATION, RECONCILE, JobInput

as_deployment = Deployment.from_json

REGION = "us-east-1"
CENTRAL = "111111111111"
TARGETS = {"test": "333333333333", "preprod": "555555555555", "production": "444444444444"}
AGGREGATOR_PARAMETERS = {
    "StageNames": "development,test,preprod,production",
    "StageTargets": json.dumps({stage: {"account": account} for stage, account in TARGETS.items()}),
    "DeployAccounts": ",".join(TARGETS.values()),
}
METRICS = (("Invocations", "Sum"), ("Invocation4XXErrors", "Sum"), ("Invocation5XXErrors", "Sum"),
           ("ModelLatency", "Average"), ("ModelLatency", "p90"), ("OverheadLatency", "Average"))  # fmt: skip
ROUNDS = 2


def _client(service: str, endpoint: str, account: str | None = None) -> Any:
    if account is None:
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint)
    sts = boto3.client("sts", region_name=REGION, endpoint_url=endpoint)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/bench", RoleSessionName="bench")["Credentials"]
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


@contextlib.contextmanager
def _quiet() -> Any:
    with contextlib.redirect_stdout(io.StringIO()):
        yield


# ---------------------------------------------------------------------------------------- aggregator
def _seed_deployments(endpoint: str, deployed: int, windows: list[datetime]) -> dict[str, int]:
    """Live deployment records (written as the deploy and status functions leave them), and an
    hour of endpoint traffic in each window in their accounts. Returns endpoints per account."""
    from govsync import wiring
    from govsync.domain.audit import GENESIS, new_entry
    from govsync.domain.naming import endpoint_name
    from govsync.domain.records import StageRecord
    from govsync.domain.version_state import VersionState

    store = wiring.governance_store()
    per_account: Counter[str] = Counter()
    data: dict[str, list[dict[str, Any]]] = {account: [] for account in TARGETS.values()}
    stages = list(TARGETS)
    for index in range(deployed):
        group, stage = f"bench-{index:05d}", stages[index % len(stages)]
        account = TARGETS[stage]
        name = endpoint_name(group, stage)
        record = StageRecord(
            model_group=group, model_version=1, model_stage=stage, model_status="pending", use_case_id="uc",
            use_case_name="n", use_case_stage="development", model_owner="o", model_lob="l", model_project="p",
            model_risk="low", model_validation_metrics={"auc": 0.97}, model_monitoring_metrics=None,
            model_audit_timestamp="2026-11-23T10:00:00+00:00", model_audit_user="bench",
            model_package_arn=f"arn:aws:sagemaker:{REGION}:{CENTRAL}:model-package/{group}/1",
            source_account=CENTRAL, registry_last_modified="2026-11-23T10:00:00+00:00", metadata_complete=True,
            metadata_missing=(), registry_status="approved",
            deployment=as_deployment({"status": "live", "action": "promote", "account": account, "region": REGION,
                        "strategy": "sagemaker-endpoint", "endpoint_name": name, "variants": ["AllTraffic"]}),
        )  # fmt: skip
        entry = new_entry(group=group, version=1, seq=1, prev_hash=GENESIS, event_id="seed", actor="bench",
                          action="seed", changes={stage: {"model_status": [None, "pending"]}},
                          source_time="2026-11-23T10:00:00+00:00", recorded_at="2026-11-23T10:00:00+00:00")  # fmt: skip
        store.commit(VersionState(group, 1), [record], entry, f"{1:015d}#seed")
        per_account[account] += 1
        dims = [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "AllTraffic"}]
        for window_end in windows:
            when = window_end - timedelta(minutes=30)
            data[account] += [
                {"MetricName": "Invocations", "Dimensions": dims, "Timestamp": when, "Value": 10 + index % 7},
                {"MetricName": "ModelLatency", "Dimensions": dims, "Timestamp": when,
                 "Values": [1000.0 + index % 50, 2000.0, 5000.0], "Unit": "Microseconds"},
            ]  # fmt: skip
    for account, datums in data.items():
        cloudwatch = _client("cloudwatch", endpoint, account)
        for start in range(0, len(datums), 500):
            cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=datums[start : start + 500])
    return dict(per_account)


class AggregatorFloor:
    """The aggregator's calls with plain boto3, clients made once (as a warm Lambda keeps them)."""

    def __init__(self, endpoint: str, table: str) -> None:
        self.endpoint, self.table = endpoint, table
        self.ddb = _client("dynamodb", endpoint)
        self.clients: dict[str, tuple[Any, Any]] = {}

    def _account(self, account: str) -> tuple[Any, Any]:
        if account not in self.clients:
            self.clients[account] = (_client("cloudwatch", self.endpoint, account),
                                     _client("sagemaker", self.endpoint, account))  # fmt: skip
        return self.clients[account]

    def run(self, window_end: datetime) -> None:
        start = window_end - timedelta(hours=1)
        by_account: dict[str, list[dict[str, Any]]] = {}
        for stage in TARGETS:
            pages = self.ddb.get_paginator("query").paginate(
                TableName=self.table, IndexName="by_live", KeyConditionExpression="live_stage = :s",
                ExpressionAttributeValues={":s": {"S": stage}},
            )  # fmt: skip
            keys = [{"pk": item["pk"], "sk": item["sk"]} for page in pages for item in page["Items"]]
            for offset in range(0, len(keys), 100):
                answer = self.ddb.batch_get_item(
                    RequestItems={self.table: {"Keys": keys[offset : offset + 100], "ConsistentRead": True}}
                )
                for item in answer["Responses"][self.table]:
                    by_account.setdefault(item["deployment"]["M"]["account"]["S"], []).append(item)
        for account, items in by_account.items():
            cloudwatch, sagemaker = self._account(account)
            queries = []
            for item in items:
                dims = [{"Name": "EndpointName", "Value": item["deployment"]["M"]["endpoint_name"]["S"]},
                        {"Name": "VariantName", "Value": "AllTraffic"}]  # fmt: skip
                for metric, stat in METRICS:
                    queries.append({"Id": f"q{len(queries)}", "ReturnData": True, "MetricStat": {
                        "Metric": {"Namespace": "AWS/SageMaker", "MetricName": metric, "Dimensions": dims},
                        "Period": 3600, "Stat": stat}})  # fmt: skip
            values = {}
            for offset in range(0, len(queries), 500):
                answer = cloudwatch.get_metric_data(MetricDataQueries=queries[offset : offset + 500], StartTime=start,
                                                    EndTime=window_end, ScanBy="TimestampDescending")  # fmt: skip
                values.update({r["Id"]: r["Values"][:1] for r in answer["MetricDataResults"]})
            for _ in sagemaker.get_paginator("list_monitoring_schedules").paginate():
                pass
            for index, item in enumerate(items):
                self._write(item, values, index, window_end)

    def _write(self, item: dict[str, Any], values: dict[str, list[float]], index: int, window_end: datetime) -> None:
        pk = item["pk"]
        state = self.ddb.query(
            TableName=self.table, KeyConditionExpression="pk = :pk AND begins_with(sk, :v)",
            ExpressionAttributeValues={":pk": pk, ":v": {"S": "V#"}}, ConsistentRead=True,
        )["Items"]  # fmt: skip
        head = next(i for i in state if i["sk"]["S"] == "V#HEAD")
        seq = int(head["audit_seq"]["N"])
        metrics = {"M": {
            "window_end": {"S": window_end.isoformat()}, "collected_at": {"S": datetime.now(UTC).isoformat()},
            "values": {"M": {f"m{k}": {"N": str(v[0])} for k, v in enumerate(
                values.get(f"q{index * 6 + j}", [0]) or [0] for j in range(6))}},
        }}  # fmt: skip
        record = {**item, "model_monitoring_metrics": metrics}
        audit = {
            "pk": pk, "sk": {"S": f"AUDIT#{seq + 1:010d}"}, "kind": {"S": "audit"},
            "changes": {"M": {item["model_stage"]["S"]: {"M": {"model_monitoring_metrics": {
                "L": [item.get("model_monitoring_metrics", {"M": {}}), metrics]}}}}},
            **{name: {"S": "y" * 40} for name in ("event_id", "actor", "action", "source_time", "recorded_at")},
            "prev_hash": head["audit_head"], "hash": {"S": "e" * 64},
        }  # fmt: skip
        self.ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": self.table, "Item": {**head, "audit_seq": {"N": str(seq + 1)}},
                     "ConditionExpression": "audit_seq = :s", "ExpressionAttributeValues": {":s": {"N": str(seq)}}}},
            {"Put": {"TableName": self.table, "Item": record}},
            {"Put": {"TableName": self.table, "Item": audit, "ConditionExpression": "attribute_not_exists(pk)"}},
        ])  # fmt: skip


def aggregator(endpoint: str, table: str, deployed: int = 1000) -> list[str]:

    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2 * ROUNDS + 1)
    windows = [base + timedelta(hours=k) for k in range(2 * ROUNDS + 1)]
    ours, floors, calls, summaries = [], [], Counter(), []
    with CallCounter() as counter, _quiet():  # every client made from here on is counted
        started = time.perf_counter()
        per_account = _seed_deployments(endpoint, deployed, windows)
        setup = time.perf_counter() - started
        expected = sum(math.ceil(n * len(METRICS) / 500) for n in per_account.values())
        floor = AggregatorFloor(endpoint, table)
        METRICS_AGGREGATION.run(JobInput(window_end=windows[0]))  # cold: clients, roles, imports
        for account in TARGETS.values():  # the floor's clients, made once
            floor._account(account)
        for k in range(ROUNDS):
            counter.reset()
            window = JobInput(window_end=windows[1 + 2 * k])
            ours.append(timed(lambda window=window: summaries.append(METRICS_AGGREGATION.run(window))))
            calls = Counter(counter.calls)
            floors.append(timed(lambda k=k: floor.run(windows[2 + 2 * k])))
    summary = summaries[-1]
    ratio = median(ours) / median(floors)
    metric_calls = calls["cloudwatch:GetMetricData"]
    scans = calls["dynamodb:Scan"]
    accounts = ", ".join(f"{a}: {n}" for a, n in sorted(per_account.items()))
    return [
        f"metrics aggregator ({deployed} live deployments in 3 accounts [{accounts}]; {ROUNDS} runs, medians;"
        f" seeded in {setup:.0f}s)",
        report(
            "GetMetricData calls per run (sum of ceil(queries/500))",
            metric_calls,
            f"= {expected}",
            metric_calls == expected,
        ),
        report("Scan calls per run", scans, "= 0", scans == 0),
        report("records written per run", summary["updated"], f"= {deployed}", summary["updated"] == deployed),
        report("run time / raw-boto3 floor (ratio)", ratio, "<= 1.3", ratio <= 1.3),
        f"    floor median {median(floors):.2f} s, ours {median(ours):.2f} s; calls per run: "
        + ", ".join(f"{k} {v}" for k, v in sorted(calls.items())),
    ]


# ---------------------------------------------------------------------------------------- reconcile
GROUP_SIZE = 1000


class ReconcileFloor:
    def __init__(self, endpoint: str, table: str, first_stage: str) -> None:
        self.sm, self.ddb, self.table, self.first = (
            _client("sagemaker", endpoint),
            _client("dynamodb", endpoint),
            table,
            first_stage,
        )

    def run(self) -> int:
        checked = 0
        groups = self.sm.get_paginator("list_model_package_groups")
        for option in ("SameAccount", "CrossAccount"):
            for page in groups.paginate(CrossAccountFilterOption=option):
                for group in page["ModelPackageGroupSummaryList"]:
                    if option == "CrossAccount":
                        continue  # the same groups again here (moto ignores the option)
                    packages = self.sm.get_paginator("list_model_packages").paginate(
                        ModelPackageGroupName=group["ModelPackageGroupArn"], ModelPackageType="Versioned"
                    )
                    for package_page in packages:
                        checked += self._page(package_page["ModelPackageSummaryList"])
        return checked

    def _page(self, summaries: list[dict[str, Any]]) -> int:
        keys = [{"pk": {"S": f"MODEL#{p['ModelPackageGroupName']}#{p['ModelPackageVersion']}"}, "sk": {"S": sk}}
                for p in summaries for sk in ("V#HEAD", f"V#STAGE#{self.first}")]  # fmt: skip
        for offset in range(0, len(keys), 100):
            projection = "pk, sk, kind, model_group, model_version, source_version"
            request = {
                self.table: {
                    "Keys": keys[offset : offset + 100],
                    "ConsistentRead": True,
                    "ProjectionExpression": projection,
                }
            }
            while request:
                answer = self.ddb.batch_get_item(RequestItems=request)
                request = answer.get("UnprocessedKeys") or None
        for package in summaries:
            self.sm.describe_model_package(ModelPackageName=package["ModelPackageArn"])
        return len(summaries)


def _peak_memory(run: Any) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


def reconcile(endpoint: str, table: str, versions: int = 10_000) -> list[str]:
    from govsync.settings import ReconcileSettings, settings_for

    sm = _client("sagemaker", endpoint)
    groups = [f"reconcile-{g:03d}" for g in range(max(1, math.ceil(versions / GROUP_SIZE)))]
    started = time.perf_counter()
    for index, group in enumerate(groups):
        sm.create_model_package_group(ModelPackageGroupName=group)
        for _ in range(min(GROUP_SIZE, versions - index * GROUP_SIZE)):
            register(sm, group)
    setup = time.perf_counter() - started
    ours, floors, summaries = [], [], []
    with CallCounter() as counter, _quiet():  # every client made from here on is counted
        backfill_started = time.perf_counter()
        backfill = RECONCILE.run(JobInput())
        backfill_time = time.perf_counter() - backfill_started
        floor = ReconcileFloor(endpoint, table, settings_for(ReconcileSettings).stages[0])
        for _ in range(ROUNDS):
            counter.reset()
            ours.append(timed(lambda: summaries.append(RECONCILE.run(JobInput()))))
            calls = Counter(counter.calls)
            floors.append(timed(floor.run))
        fifth = groups[: max(1, len(groups) // 5)]
        small = _peak_memory(lambda: RECONCILE.run(JobInput(groups=fifth)))
        full = _peak_memory(lambda: RECONCILE.run(JobInput()))
    ratio = median(ours) / median(floors)
    checked = summaries[-1]["checked"]
    growth = full / small
    small_versions = min(versions, len(fifth) * GROUP_SIZE)
    return [
        f"reconcile ({versions} versions in {len(groups)} groups, all with records; {ROUNDS} runs, medians;"
        f" registered in {setup:.0f}s)",
        report("versions checked per run", checked, f"= {versions}", checked == versions),
        report("run time / raw-boto3 floor (ratio)", ratio, "<= 1.3", ratio <= 1.3),
        report(f"peak traced memory, {versions} / {small_versions} versions (ratio)", growth, "<= 1.2", growth <= 1.2),
        f"    floor median {median(floors):.1f} s, ours {median(ours):.1f} s; peak {full:.1f} MiB vs {small:.1f} MiB;"
        f" calls per run: " + ", ".join(f"{k} {v}" for k, v in sorted(calls.items())),
        f"    first-install backfill: {backfill['repaired']} repaired, {backfill['failed']} failed in "
        f"{backfill_time:.0f} s ({backfill_time / max(1, backfill['repaired']) * 1000:.1f} ms per version; "
        f"pid {os.getpid()})",
    ]
