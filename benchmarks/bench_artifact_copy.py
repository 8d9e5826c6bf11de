"""Artifact copy: AWS calls and handler time per new version with one artifact against a raw-boto3
floor, and the handler's peak RSS copying a 2 GiB artifact vs a 1 MiB one.

The floor makes the calls a verified server-side copy and sync cannot do without: DescribeModelPackage,
one Query of the version, HeadObject of the source (size, ETag, checksum, metadata), one CopyObject
(conditional on the ETag, checksum requested), one TransactWriteItems. On a redelivery the handler
also HEADs the destination first (a copy an earlier attempt left is not made again); the events here
are first deliveries.

Peak RSS runs the handler once per size in a fresh child process against the same moto server (with
the local stack's moto extension): the copy is server-side, so the artifact's size must not show.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from benchmarks.bench_registry_sync import (
    Context,
    _event,
    _floor_items,
    _quiet,
    _sqs_event,
    delivered,
    floor_read,
    register,
)
from benchmarks.harness import CallCounter, measured, median, report, timed

REGION = "us-east-1"
MIB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]


def upload(s3: Any, bucket: str, key: str, size: int) -> None:
    """An object of `size` bytes, multipart above 64 MiB (never more than one part in memory)."""
    if size <= 64 * MIB:
        s3.put_object(Bucket=bucket, Key=key, Body=os.urandom(size), ContentType="application/x-gzip")
        return
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key=key, ContentType="application/x-gzip", ChecksumAlgorithm="CRC64NVME"
    )["UploadId"]
    parts, offset, number = [], 0, 1
    chunk = os.urandom(64 * MIB)
    while offset < size:
        body = chunk[: min(64 * MIB, size - offset)]
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body)["ETag"]
        parts.append({"ETag": etag, "PartNumber": number})
        offset, number = offset + len(body), number + 1
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})


FLOOR_CALLS = 5  # what the floor below makes for a new version with one artifact


def calls_and_time(
    endpoint: str, table: str, handler: Any, dev_bucket: str, central_bucket: str, key_arn: str, versions: int
) -> list[str]:
    handler = _quiet(handler)
    sm = boto3.client("sagemaker", region_name=REGION, endpoint_url=endpoint)
    ddb = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
    upload(s3, dev_bucket, "bench/model.tar.gz", MIB)
    uri = f"s3://{dev_bucket}/bench/model.tar.gz"
    for group in ("copy-handler", "copy-floor"):
        sm.create_model_package_group(ModelPackageGroupName=group)
    packages = [(register(sm, "copy-handler", uri), register(sm, "copy-floor", uri)) for _ in range(versions)]

    handler_times, floor_times, handler_calls = [], [], []
    with CallCounter() as counter:
        for index, _, floor_arn, event in delivered(handler, packages, "copy-handler"):
            seconds, calls = measured(counter, lambda event=event: handler(event, Context()))
            handler_times.append(seconds)
            handler_calls.append(calls)
            items = _floor_items(table, "copy-floor", index, index)

            def floor(arn: str = floor_arn, items: list = items, version: int = index) -> None:
                floor_read(sm, ddb, table, "copy-floor", arn, version)
                head = s3.head_object(Bucket=dev_bucket, Key="bench/model.tar.gz", ChecksumMode="ENABLED")
                s3.copy_object(
                    CopySource={"Bucket": dev_bucket, "Key": "bench/model.tar.gz"},
                    Bucket=central_bucket,
                    Key=f"floor/{version}/model.tar.gz",
                    CopySourceIfMatch=head["ETag"],
                    ChecksumAlgorithm="CRC64NVME",
                    MetadataDirective="REPLACE",
                    ContentType=head["ContentType"],
                    Metadata=head["Metadata"],
                    ServerSideEncryption="aws:kms",
                    SSEKMSKeyId=key_arn,
                )
                ddb.transact_write_items(TransactItems=items)

            floor_times.append(timed(floor))
    ratio = median(handler_times) / median(floor_times)
    worst = max(handler_calls)
    return [
        f"artifact copy ({versions - 1} new versions with one 1 MiB artifact; medians)",
        report("AWS calls per new version with one artifact (max)", worst, "<= 5", worst <= FLOOR_CALLS),
        "    (the floor: describe, query, HEAD of the source, CopyObject, transaction; a verified copy needs the"
        " source's HEAD)",
        report("handler time per new version / floor (ratio)", ratio, "<= 1.3", ratio <= 1.3),
        f"    floor median: {median(floor_times) * 1000:.1f} ms",
    ]


CHILD = """
import json, sys
from benchmarks.bench_registry_sync import Context
from govsync_local import template as tpl
from govsync_local.invoke import load_handler


def high_water_kib():
    status = open("/proc/self/status").read()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


handler = load_handler(tpl.function_specs(tpl.load())["RegistrySyncFunction"])
before = high_water_kib()  # this process's own peak (VmHWM starts afresh at exec, unlike ru_maxrss)
result = handler(json.loads(sys.argv[1]), Context())
print("RSS " + json.dumps({"before_kib": before, "after_kib": high_water_kib(), "result": result}))
"""


def peak_rss(endpoint: str, dev_bucket: str, size: int, label: str) -> dict[str, Any]:
    sm = boto3.client("sagemaker", region_name=REGION, endpoint_url=endpoint)
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
    group = f"rss-{label}"
    sm.create_model_package_group(ModelPackageGroupName=group)
    upload(s3, dev_bucket, f"rss/{label}/model.tar.gz", size)
    arn = register(sm, group, f"s3://{dev_bucket}/rss/{label}/model.tar.gz")
    event = _sqs_event(_event(arn, group, 1))
    env = {**os.environ, "POWERTOOLS_METRICS_DISABLED": "true", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(event)],
        env=env, capture_output=True, text=True, timeout=1800, cwd=ROOT,
    )  # fmt: skip
    line = next((x for x in run.stdout.splitlines() if x.startswith("RSS ")), None)
    if run.returncode != 0 or line is None:
        raise RuntimeError(f"peak RSS child failed: {run.stderr[-2000:]}")
    data = json.loads(line.removeprefix("RSS "))
    if data["result"] != {"batchItemFailures": []}:
        raise RuntimeError(f"peak RSS child: the sync failed: {data['result']}")
    return data


def memory(endpoint: str, dev_bucket: str, big_mib: int) -> list[str]:
    small = peak_rss(endpoint, dev_bucket, MIB, "small")
    big = peak_rss(endpoint, dev_bucket, big_mib * MIB, "big")
    delta = (big["after_kib"] - small["after_kib"]) / 1024
    return [
        f"artifact copy memory (handler in a fresh process, peak RSS; {big_mib} MiB vs 1 MiB artifact)",
        report(f"peak RSS {big_mib} MiB copy minus 1 MiB copy (MB)", delta, "<= 10", abs(delta) <= 10),
        f"    peak RSS: 1 MiB copy {small['after_kib'] / 1024:.1f} MB, {big_mib} MiB copy"
        f" {big['after_kib'] / 1024:.1f} MB (after imports, before the handler ran:"
        f" {small['before_kib'] / 1024:.1f} / {big['before_kib'] / 1024:.1f} MB)",
    ]
