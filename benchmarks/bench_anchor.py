"""Anchoring at scale: every chain head of a 100,000-version table sealed into an anchor (the check
against the previous anchor included), then the table held against it, on the bench server with the
template's table and an Object Lock bucket. The floor is reading the same trail listing with plain boto3
(Query, DynamoDB's pages): the anchor's time is a ratio of it, and its memory is held to what the
function is given (MemorySize)."""

from __future__ import annotations

import os
import time
import tracemalloc
from typing import Any

import boto3

from benchmarks.bench_fanout import bench_server, control
from benchmarks.harness import report

REGION, CENTRAL = "us-east-1", "111111111111"
PER_GROUP = 1000
ENTRIES = 3  # each version's chain length
RATIO_GOAL = 4.0  # anchor time over the listing floor
FUNCTION_MEMORY_MIB = 1024  # AuditAnchorFunction's MemorySize


def _item_templates() -> list[str]:
    """A version's head (listed under TRAIL) and its last entry, with the group and version placeholders."""
    import json

    from govsync.adapters.dynamodb_items import HEAD_SK, AuditItem, VersionHeadItem, model_ref, version_pk
    from govsync.domain.audit import GENESIS, new_entry

    g, v = "GROUPX", 7777777
    entry = new_entry(group=g, version=v, seq=ENTRIES, prev_hash=GENESIS, event_id="e", actor="bench",
                      action="registry-sync", changes={}, source_time="t", recorded_at="t")  # fmt: skip
    head = VersionHeadItem(version_pk(g, v), HEAD_SK, model_group=g, model_version=v, model_ref=model_ref(g, v),
                           source_version="9" * 20, audit_seq=ENTRIES, audit_head=entry.hash)  # fmt: skip
    texts = []
    for item in (head, AuditItem.from_entry(entry)):
        text = json.dumps(item.serialize())
        texts.append(text.replace(f"{g}#{v:010d}", "__REF__").replace(g, "__GROUP__").replace(str(v), "__VERSION__"))
    return texts


def _listing_floor(table: str) -> tuple[float, int]:
    ddb = boto3.client("dynamodb", region_name=REGION)
    started, count = time.perf_counter(), 0
    for page in ddb.get_paginator("query").paginate(
        TableName=table, IndexName="by_stage_status", KeyConditionExpression="stage_status = :t",
        ExpressionAttributeValues={":t": {"S": "TRAIL"}},
    ):  # fmt: skip
        count += page["Count"]
    return time.perf_counter() - started, count


def _measured(fn: Any) -> tuple[Any, float, float]:
    tracemalloc.start()
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, seconds, peak


def run(versions: int) -> list[str]:
    from govsync import wiring
    from govsync_local import template as tpl

    groups = [f"anchor-bench-{i:03d}" for i in range(max(versions // PER_GROUP, 1))]
    with bench_server() as endpoint:
        os.environ.update(AWS_ENDPOINT_URL=endpoint, POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_LOG_LEVEL="ERROR")
        template = tpl.load()
        ddb, s3 = boto3.client("dynamodb", region_name=REGION), boto3.client("s3", region_name=REGION)
        table, bucket, log_group = "govsync-anchor-bench", "govsync-anchors-bench", "/govsync/bench/anchors"
        for definition in tpl.table_definitions(tpl.without_lambda(tpl.transformed(template))).values():
            ddb.create_table(TableName=table, **definition)
        s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        lock = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}}
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=lock)
        boto3.client("logs", region_name=REGION).create_log_group(logGroupName=log_group)
        ctx = tpl.Context(template, CENTRAL, REGION, refs={"GovernanceTable": table, "AnchorBucket": bucket,
                                                           "AnchorLogGroup": log_group})  # fmt: skip
        os.environ.update(tpl.function_environment(tpl.function_specs(template)["AuditAnchorFunction"], ctx))
        wiring.reset()
        started = time.perf_counter()
        control(endpoint, "seed", {"account": CENTRAL, "region": REGION, "groups": groups, "versions": PER_GROUP,
                                   "table": table, "items": _item_templates()})  # fmt: skip
        seeded = time.perf_counter() - started
        from govsync.wiring.anchor import anchoring

        floor, listed = _listing_floor(table)
        first, first_s, first_mib = _measured(anchoring().anchor)
        second, second_s, second_mib = _measured(anchoring().anchor)
        check, check_s, _ = _measured(anchoring().check)
    total = len(groups) * PER_GROUP
    title = (f"anchoring ({total} versions, {ENTRIES} entries each; seeded in {seeded:.0f} s; listing them with "
             f"plain boto3: {floor:.1f} s)")  # fmt: skip
    return [
        title,
        report(
            "versions sealed by the first anchor", first["versions"], f"= {total}", first["versions"] == total == listed
        ),
        report("first anchor (nothing to compare): seconds", first_s, "info", True),
        report("first anchor / listing floor", first_s / floor, f"<= {RATIO_GOAL}", first_s / floor <= RATIO_GOAL),
        report("second anchor (checked against the first): seconds", second_s, "< 900", second_s < 900),
        report("second anchor / listing floor", second_s / floor, f"<= {RATIO_GOAL}", second_s / floor <= RATIO_GOAL),
        report(
            "second anchor: peak memory allocated (MiB)",
            max(first_mib, second_mib),
            f"< {FUNCTION_MEMORY_MIB}",
            max(first_mib, second_mib) < FUNCTION_MEMORY_MIB,
        ),
        report("check against the anchors: seconds", check_s, "< 900", check_s < 900 and check.ok),
        report(
            "differences found (an untouched table)",
            len(second["findings"]) + len(check.problems),
            "= 0",
            not second["findings"] and not check.problems,
        ),
    ]
