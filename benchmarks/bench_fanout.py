"""Scheduled jobs at a large registry's scale, fanned out: reconcile over 100,000 versions and metrics
aggregation over 10,000 live deployments, against a moto server that answers every call after a
realistic latency (30 ms), the way they run in Lambda: the schedule's event plans the run onto the
job's work queue, and invocations (threads here, at the concurrency a stack would set) take one work
item each from the queue until the run is complete.

Figures: wall time against a floor (the calls the job cannot do without, made with plain boto3 at the
same concurrency and latency); the largest single invocation (Lambda's limit is 15 minutes); AWS calls
per version or deployment; work items and the parts they took (an invocation that runs short of time
hands the rest of its item on from its checkpoint: the benchmark gives invocations a short simulated
timeout so that this happens).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3

from benchmarks.harness import CallCounter, report

ROOT = Path(__file__).resolve().parents[1]
REGION, CENTRAL = "us-east-1", "111111111111"
TARGETS = {"test": "333333333333", "production": "444444444444"}
LATENCY_MS = 30
SIMULATED_TIMEOUT_S = 90  # an invocation hands on once less than CHECKPOINT_MARGIN_MS is left: ~30 s of work
G, V = "GRPSENTINEL", 987654321  # placeholders in the item templates


@contextlib.contextmanager
def bench_server() -> Iterator[str]:
    """benchmarks/bench_server.py in a child process (its CPU is not ours); its endpoint."""
    from govsync_local.server import CREDENTIALS_ENV, free_port, stop_process

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.bench_server", "-H", "127.0.0.1", "-p", str(port)],
                            cwd=ROOT, env={**os.environ, **CREDENTIALS_ENV}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                break
            time.sleep(0.1)
        yield endpoint
    finally:
        stop_process(proc)


def control(endpoint: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(f"{endpoint}/govsync-bench/{path}", method="POST",
                                     data=json.dumps(body or {}).encode())  # fmt: skip
    with urllib.request.urlopen(request, timeout=3600) as answer:
        return json.loads(answer.read())


@dataclasses.dataclass
class Stack:
    endpoint: str
    table: str
    queues: dict[str, str]
    spec: Any


@contextlib.contextmanager
def stack(function: str, parameters: dict[str, str]) -> Iterator[Stack]:
    """The template's table and queues on the bench server; `function`'s environment from template.yaml."""
    from govsync import wiring
    from govsync_local import template as tpl

    with bench_server() as endpoint:
        os.environ.update(AWS_ENDPOINT_URL=endpoint, POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_LOG_LEVEL="ERROR")
        template = tpl.load()
        ddb, sqs = boto3.client("dynamodb", region_name=REGION), boto3.client("sqs", region_name=REGION)
        table = "govsync-fanout"
        for definition in tpl.table_definitions(tpl.without_lambda(tpl.transformed(template))).values():
            ddb.create_table(TableName=table, **definition)
        names = ("ReconcileWorkQueue", "MetricsWorkQueue", "ScheduledJobsDLQ", "DeployRequestsQueue",
                 "RegistryEventsDLQ")  # fmt: skip
        timeout = {"VisibilityTimeout": "900"}
        queues = {n: sqs.create_queue(QueueName=f"bench-{n}", Attributes=timeout)["QueueUrl"] for n in names}
        key = f"arn:aws:kms:{REGION}:{CENTRAL}:key/bench"
        refs = {"GovernanceTable": table, "ArtifactBucket": "bench-central", **queues}
        ctx = tpl.Context(template, CENTRAL, REGION, parameters=parameters, refs=refs,
                          attributes={("GovernanceKey", "Arn"): key})  # fmt: skip
        spec = tpl.function_specs(template)[function]
        os.environ.update(tpl.function_environment(spec, ctx))
        wiring.reset()
        yield Stack(endpoint, table, queues, dataclasses.replace(spec, timeout=SIMULATED_TIMEOUT_S))


def item_templates(records: list[Any], heads: list[Any]) -> list[str]:
    """Items as PynamoDB writes them, with the group and version made placeholders."""
    texts = []
    for item in (*heads, *records):
        text = json.dumps(item.serialize())
        text = text.replace(f"{G}#{V:010d}", "__REF__").replace(G, "__GROUP__").replace(str(V), "__VERSION__")
        texts.append(text)
    return texts


@dataclasses.dataclass
class Invocations:
    durations: list[float] = dataclasses.field(default_factory=list)
    outcomes: Counter[str] = dataclasses.field(default_factory=Counter)


def drain(stack: Stack, job: Any, queue_name: str, concurrency: int, run_done: Callable[[], bool]) -> Invocations:
    """Lambda's SQS event source at `concurrency`: each thread its own handler (as each Lambda
    environment has), one message per invocation, deleted when the invocation reports no failure."""
    from govsync.handlers import scheduled
    from govsync_local.invoke import LocalContext, sqs_event

    found, lock, url = Invocations(), threading.Lock(), stack.queues[queue_name]

    def worker() -> None:
        handler, sqs = scheduled(job), boto3.client("sqs", region_name=REGION)
        idle = 0
        while idle < 3 and not run_done():
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1,
                                           AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])  # fmt: skip
            if not messages:
                idle += 1
                continue
            idle = 0
            message = messages[0]
            event = sqs_event(message["Body"], queue_arn=None, region=REGION)
            started = time.perf_counter()
            answer = handler(event, LocalContext(stack.spec))
            with lock:
                found.durations.append(time.perf_counter() - started)
                found.outcomes["failed" if answer["batchItemFailures"] else "ok"] += 1
            if not answer["batchItemFailures"]:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


def pool(tasks: list[Any], concurrency: int, do: Callable[[Any], None]) -> None:
    """`do` each task on `concurrency` threads (the floor's workers)."""
    work: queue.Queue[Any] = queue.Queue()
    for task in tasks:
        work.put(task)

    def worker() -> None:
        while True:
            try:
                task = work.get_nowait()
            except queue.Empty:
                return
            do(task)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def fanned_out(stack: Stack, job: Any, queue_name: str, event: dict[str, Any], concurrency: int) -> dict[str, Any]:
    """Plan the run as its schedule does, drain its work queue; the run's summary and figures."""
    from govsync import wiring
    from govsync.handlers import scheduled
    from govsync_local.invoke import LocalContext

    with CallCounter() as counter:
        started = time.perf_counter()
        plan_started = time.perf_counter()
        planned = scheduled(job)(event, LocalContext(stack.spec))
        plan_seconds = time.perf_counter() - plan_started
        runs = wiring.fanout().runs

        def done() -> bool:
            return runs.state(planned["job"], planned["run_id"]).complete

        invocations = drain(stack, job, queue_name, concurrency, done)
        wall = time.perf_counter() - started
        calls = counter.total()
    state = runs.state(planned["job"], planned["run_id"])
    return {"wall": wall, "plan": plan_seconds, "invocations": invocations, "calls": calls, "state": state,
            "items": planned["items"]}  # fmt: skip


# ---------------------------------------------------------------------------------------- reconcile
def _version_items(deployed_stage: str | None = None) -> tuple[list[Any], list[Any]]:
    """A version's items as the registry sync leaves them (head up to date; its first stage record, or
    its deployed stage's record live on an endpoint)."""
    from govsync.adapters.dynamodb_items import HEAD_SK, StageRecordItem, VersionHeadItem, version_pk
    from govsync.domain.deployment import Deployment
    from govsync.domain.naming import endpoint_name
    from govsync.domain.records import StageRecord

    stage = deployed_stage or "development"
    deployment = Deployment.from_json({"status": "live", "action": "promote", "account": TARGETS[stage],
                                       "region": REGION, "strategy": "sagemaker-endpoint",
                                       "endpoint_name": endpoint_name(G, stage), "variants": ["AllTraffic"]}
                                      ) if deployed_stage else Deployment.from_json({})  # fmt: skip
    record = StageRecord(
        model_group=G, model_version=V, model_stage=stage, model_status="pending", use_case_id="uc-bench",
        use_case_name="bench", use_case_stage="development", model_owner="o", model_lob="l", model_project="p",
        model_risk="low", model_validation_metrics={"auc": 0.97}, model_monitoring_metrics=None,
        model_audit_timestamp="2026-11-23T10:00:00+00:00", model_audit_user="bench",
        model_package_arn=f"arn:aws:sagemaker:{REGION}:{CENTRAL}:model-package/{G.lower()}/{V}",
        source_account=CENTRAL, registry_last_modified="2026-11-23T10:00:00+00:00", metadata_complete=True,
        metadata_missing=(), registry_status="pending", deployment=deployment,
    )  # fmt: skip
    head = VersionHeadItem(version_pk(G, V), HEAD_SK, model_group=G, model_version=V, source_version="9" * 20,
                           audit_seq=0, audit_head="0" * 64)  # fmt: skip
    return [StageRecordItem.from_record(record)], [head]


PACKAGE = {
    "InferenceSpecification": {"Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7-1"}],
                               "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    "CustomerMetadataProperties": {"ModelOwner": "o", "UseCaseId": "uc-bench"},
}  # fmt: skip


def reconcile(versions: int = 100_000, per_group: int = 1000, concurrency: int = 16) -> list[str]:
    from govsync.handlers import CHECKPOINT_MARGIN_MS
    from govsync.jobs import RECONCILE

    groups = [f"bench-{g:04d}" for g in range(max(1, versions // per_group))]
    with stack("ReconcilerFunction", {}) as s:
        records, heads = _version_items()
        started = time.perf_counter()
        seeded = control(s.endpoint, "seed", {"account": CENTRAL, "region": REGION, "groups": groups,
                                              "versions": per_group, "package": PACKAGE, "table": s.table,
                                              "items": item_templates(records, heads)})  # fmt: skip
        seed_seconds = time.perf_counter() - started
        control(s.endpoint, f"latency?ms={LATENCY_MS}")
        ours = fanned_out(s, RECONCILE, "ReconcileWorkQueue", {"job": "reconcile"}, concurrency)
        floor_calls, floor_seconds = reconcile_floor(s, groups, concurrency)
    checked, total = ours["state"].summary["checked"], seeded["packages"]
    title = (
        f"reconcile, fanned out ({total} versions in {len(groups)} groups, all up to date; {LATENCY_MS} ms a call; "
        f"concurrency {concurrency}; seeded in {seed_seconds:.0f} s)"
    )
    checks = [report("versions checked", checked, f"= {total}", checked == total)]
    return [
        *_lines(title, ours, floor_seconds, floor_calls, total, "version", checks),
        f"    (invocations hand on with {CHECKPOINT_MARGIN_MS // 1000} s left of a simulated {SIMULATED_TIMEOUT_S} s "
        "timeout; the function's is 900 s)",
    ]


def reconcile_floor(s: Stack, groups: list[str], concurrency: int) -> tuple[int, float]:
    """Per group: its package pages, BatchGetItem of heads and first records per page, one
    DescribeModelPackage per package: plain boto3 at the same concurrency."""
    local = threading.local()

    def do(group: str) -> None:
        if not hasattr(local, "sm"):
            local.sm, local.ddb = (
                boto3.client("sagemaker", region_name=REGION),
                boto3.client("dynamodb", region_name=REGION),
            )
        token = None
        while True:
            page = local.sm.list_model_packages(ModelPackageGroupName=group, ModelPackageType="Versioned",
                                                MaxResults=100, **({"NextToken": token} if token else {}))  # fmt: skip
            summaries = page["ModelPackageSummaryList"]
            keys = [{"pk": {"S": f"MODEL#{p['ModelPackageGroupName']}#{p['ModelPackageVersion']}"}, "sk": {"S": sk}}
                    for p in summaries for sk in ("V#HEAD", "V#STAGE#development")]  # fmt: skip
            for offset in range(0, len(keys), 100):
                local.ddb.batch_get_item(RequestItems={s.table: {"Keys": keys[offset : offset + 100],
                                                                 "ConsistentRead": True}})  # fmt: skip
            for package in summaries:
                local.sm.describe_model_package(ModelPackageName=package["ModelPackageArn"])
            token = page.get("NextToken")
            if not token:
                return

    with CallCounter() as counter:
        started = time.perf_counter()
        pool(groups, concurrency, do)
        return counter.total(), time.perf_counter() - started


# ---------------------------------------------------------------------------------------- metrics
def aggregation(deployed: int = 10_000, concurrency: int = 16) -> list[str]:
    from govsync.jobs import METRICS_AGGREGATION

    parameters = {"StageNames": "development,test,production",
                  "StageTargets": json.dumps({stage: {"account": account} for stage, account in TARGETS.items()}),
                  "DeployAccounts": ",".join(TARGETS.values())}  # fmt: skip
    with stack("MetricsAggregatorFunction", parameters) as s:
        started = time.perf_counter()
        seeded = 0
        for stage in TARGETS:
            records, heads = _version_items(stage)
            groups = [f"live-{stage}-{g:05d}" for g in range(deployed // len(TARGETS))]
            seeded += control(s.endpoint, "seed", {"account": CENTRAL, "region": REGION, "groups": groups,
                                                   "versions": 1, "table": s.table,
                                                   "items": item_templates(records, heads)})["items"] // 2  # fmt: skip
        seed_seconds = time.perf_counter() - started
        control(s.endpoint, f"latency?ms={LATENCY_MS}")
        ours = fanned_out(s, METRICS_AGGREGATION, "MetricsWorkQueue", {"job": "metrics-aggregation"}, concurrency)
        floor_calls, floor_seconds = aggregation_floor(s, concurrency)
    summary = ours["state"].summary
    return _lines(
        f"metrics aggregation, fanned out ({seeded} live deployments in {len(TARGETS)} accounts; {LATENCY_MS} ms "
        f"a call; concurrency {concurrency}; seeded in {seed_seconds:.0f} s)",
        ours,
        floor_seconds,
        floor_calls,
        seeded,
        "deployment",
        checks=[report("live deployments written", summary["updated"], f"= {seeded}", summary["updated"] == seeded)],
    )


def aggregation_floor(s: Stack, concurrency: int) -> tuple[int, float]:
    """The live keys from the index; per chunk of 100, BatchGetItem of the records, per account one
    AssumeRole, one GetMetricData and one ListMonitoringSchedules, then per record one Query (its
    version) and its writes (the history point, the transaction): plain boto3, the same concurrency."""
    from govsync.services.fanout import plan_chunks
    from govsync.services.metrics_aggregation import CHUNK

    ddb = boto3.client("dynamodb", region_name=REGION)
    keys = []
    for stage in TARGETS:
        for page in ddb.get_paginator("query").paginate(
            TableName=s.table, IndexName="by_live", KeyConditionExpression="live_stage = :s",
            ExpressionAttributeValues={":s": {"S": stage}},
        ):  # fmt: skip
            keys += [(item["pk"], stage) for item in page["Items"]]
    local = threading.local()

    def do(chunk: list[Any]) -> None:
        if not hasattr(local, "ddb"):
            local.ddb, local.sts = boto3.client("dynamodb", region_name=REGION), boto3.client("sts", region_name=REGION)
        stage = chunk[0][1]
        items = local.ddb.batch_get_item(RequestItems={s.table: {"Keys": [
            {"pk": pk, "sk": {"S": f"V#STAGE#{stage}"}} for pk, _ in chunk], "ConsistentRead": True}})  # fmt: skip
        creds = local.sts.assume_role(RoleArn=f"arn:aws:iam::{TARGETS[stage]}:role/metrics", RoleSessionName="bench")
        keys_ = creds["Credentials"]
        session = {"aws_access_key_id": keys_["AccessKeyId"], "aws_secret_access_key": keys_["SecretAccessKey"],
                   "aws_session_token": keys_["SessionToken"], "region_name": REGION}  # fmt: skip
        now = time.time()
        boto3.client("cloudwatch", **session).get_metric_data(
            MetricDataQueries=[{"Id": "q0", "MetricStat": {"Metric": {"Namespace": "AWS/SageMaker",
                                "MetricName": "Invocations"}, "Period": 3600, "Stat": "Sum"}}],
            StartTime=now - 3600, EndTime=now)  # fmt: skip
        boto3.client("sagemaker", **session).list_monitoring_schedules()
        for item in items["Responses"][s.table]:
            pk = item["pk"]
            local.ddb.query(TableName=s.table, KeyConditionExpression="pk = :pk AND begins_with(sk, :v)",
                            ExpressionAttributeValues={":pk": pk, ":v": {"S": "V#"}}, ConsistentRead=True)  # fmt: skip
            local.ddb.put_item(TableName=s.table, Item={"pk": {"S": f"METRICS#{pk['S']}"}, "sk": {"S": "w"}})
            local.ddb.transact_write_items(TransactItems=[{"Put": {"TableName": s.table, "Item": item}}])

    with CallCounter() as counter:
        started = time.perf_counter()
        pool(list(plan_chunks(keys, CHUNK)), concurrency, do)
        return counter.total(), time.perf_counter() - started


def _lines(title: str, ours: dict[str, Any], floor_seconds: float, floor_calls: int, items: int, what: str,
           checks: list[str]) -> list[str]:  # fmt: skip
    invocations, state = ours["invocations"], ours["state"]
    ratio = ours["wall"] / floor_seconds
    largest = max(invocations.durations, default=0.0)
    return [
        title,
        *checks,
        report(
            "run complete, one summary (parts done = expected)",
            state.done,
            f"= {state.expected}",
            state.complete and state.summary is not None,
        ),
        report("wall time / floor at the same concurrency (ratio)", ratio, "<= 1.3", ratio <= 1.3),
        report("largest single invocation, s", largest, "< 300", largest < 300),
        f"    wall {ours['wall']:.0f} s (planning {ours['plan']:.1f} s), floor {floor_seconds:.0f} s; "
        f"{ours['items']} work items in {len(invocations.durations)} invocations "
        f"({len(invocations.durations) - ours['items']} continued in a next part); AWS calls per {what}: "
        f"{ours['calls'] / max(1, items):.3f} (floor {floor_calls / max(1, items):.3f})",
    ]
