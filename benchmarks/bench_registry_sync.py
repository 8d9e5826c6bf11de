"""Registry sync: AWS calls per event and handler time per event against a raw-boto3 floor.

The floor makes the minimal calls a sync needs (DescribeModelPackage, one Query of the version,
one TransactWriteItems of head + record + audit entry; a duplicate needs the first two) with plain
boto3 on the same moto server. Handler and floor alternate event by event, so both see the same
table size and the same machine noise.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from typing import Any

import boto3

from benchmarks.harness import CallCounter, measured, median, report, timed
from govsync_local.emitter import MODEL_PACKAGE_STATE_CHANGE, delivered_event
from govsync_local.invoke import sqs_event

REGION = "us-east-1"
ACCOUNT = "111111111111"


def _event(arn: str, group: str, version: int) -> dict[str, Any]:
    detail = {"ModelPackageGroupName": group, "ModelPackageVersion": version, "ModelPackageArn": arn}
    return delivered_event(MODEL_PACKAGE_STATE_CHANGE, detail, account=ACCOUNT, region=REGION, resources=[arn])


def _sqs_event(body: dict[str, Any]) -> dict[str, Any]:
    return sqs_event(body, queue_arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:q", region=REGION)


def delivered(handler: Any, packages: list[tuple[str, str]], group: str) -> Iterator[tuple[int, str, str, dict]]:
    """The first package's event handled (the cold start, not measured); then, for each other
    (handler package, floor package), its version, both ARNs and the handler's event."""
    handler(_sqs_event(_event(packages[0][0], group, 1)), Context())
    for index, (handler_arn, floor_arn) in enumerate(packages[1:], start=2):
        yield index, handler_arn, floor_arn, _sqs_event(_event(handler_arn, group, index))


class Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bench"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _floor_items(table: str, group: str, version: int, n: int) -> list[dict[str, Any]]:
    pk = {"S": f"MODEL#{group}#{version}"}
    record = {
        "pk": pk,
        "sk": {"S": "V#STAGE#development"},
        "kind": {"S": "stage"},
        **{
            name: {"S": "x" * 24}
            for name in (
                "stage_status",
                "model_ref",
                "model_group",
                "model_stage",
                "model_status",
                "use_case_id",
                "use_case_name",
                "use_case_stage",
                "model_owner",
                "model_lob",
                "model_project",
                "model_risk",
                "model_audit_timestamp",
                "model_audit_user",
                "model_package_arn",
                "source_account",
                "registry_last_modified",
            )
        },
        "model_version": {"N": str(version)},
        "model_validation_metrics": {"M": {}},
        "model_monitoring_metrics": {"M": {}},
        "metadata_complete": {"BOOL": True},
        "metadata_missing": {"L": []},
    }
    head = {
        "pk": pk,
        "sk": {"S": "V#HEAD"},
        "kind": {"S": "head"},
        "source_version": {"S": f"{n:015d}#abc"},
        "audit_seq": {"N": "1"},
        "audit_head": {"S": "f" * 64},
    }
    audit = {
        "pk": pk,
        "sk": {"S": "AUDIT#0000000001"},
        "kind": {"S": "audit"},
        "changes": {"M": {"development": {"M": {"model_status": {"L": [{"NULL": True}, {"S": "pending"}]}}}}},
        **{name: {"S": "y" * 40} for name in ("event_id", "actor", "action", "source_time", "recorded_at")},
        "prev_hash": {"S": "0" * 64},
        "hash": {"S": "e" * 64},
    }
    # the version's record counted in its use case's tallies (what the lifecycle reads instead of every record)
    tally = {
        "TableName": table,
        "Key": {"pk": {"S": "USECASE#uc"}, "sk": {"S": f"U#TALLY#{group}#development"}},
        "UpdateExpression": "SET kind = :k ADD #r :one, approved :zero",
        "ExpressionAttributeNames": {"#r": "records"},
        "ExpressionAttributeValues": {":k": {"S": "usecase-tally"}, ":one": {"N": "1"}, ":zero": {"N": "0"}},
    }
    return [
        {"Put": {"TableName": table, "Item": head, "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": table, "Item": record}},
        {"Put": {"TableName": table, "Item": audit, "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": tally},
    ]


def _quiet(handler: Any) -> Any:
    """The handler with its EMF metric lines captured (they are still built and flushed)."""

    def call(event: dict[str, Any], context: Any) -> Any:
        with contextlib.redirect_stdout(io.StringIO()):
            return handler(event, context)

    return call


METADATA = {"UseCaseId": "uc", "UseCaseName": "n", "UseCaseStage": "development", "ModelOwner": "o",
            "ModelLoB": "l", "ModelProject": "p", "ModelRisk": "low"}  # fmt: skip


def register(sm: Any, group: str, model_data_url: str | None = None) -> str:
    """A pending version with complete metadata; with one model artifact when a URL is given."""
    container = {"Image": "img", **({"ModelDataUrl": model_data_url} if model_data_url else {})}
    return sm.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification={
            "Containers": [container],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties=METADATA,
    )["ModelPackageArn"]


def floor_read(sm: Any, ddb: Any, table: str, group: str, arn: str, version: int) -> None:
    """The floor's reads: the package, and one consistent Query of the version's items."""
    sm.describe_model_package(ModelPackageName=arn)
    ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :v)",
        ExpressionAttributeValues={":pk": {"S": f"MODEL#{group}#{version}"}, ":v": {"S": "V#"}},
        ConsistentRead=True,
    )


def run(endpoint: str, table: str, handler: Any, versions: int = 120) -> list[str]:
    handler = _quiet(handler)
    sm = boto3.client("sagemaker", region_name=REGION, endpoint_url=endpoint)
    ddb = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)
    for group in ("bench-handler", "bench-floor"):
        sm.create_model_package_group(ModelPackageGroupName=group)
    # no artifact: this benchmark is the sync alone (bench_artifact_copy adds one)
    packages = [(register(sm, "bench-handler"), register(sm, "bench-floor")) for _ in range(versions)]

    handler_new, handler_dup, floor_new, floor_dup = [], [], [], []
    calls_new, calls_dup = [], []
    with CallCounter() as counter:
        for index, _, floor_arn, event in delivered(handler, packages, "bench-handler"):
            for times, calls in ((handler_new, calls_new), (handler_dup, calls_dup)):  # new, then its duplicate
                seconds, count = measured(counter, lambda event=event: handler(event, Context()))
                times.append(seconds)
                calls.append(count)

            items = _floor_items(table, "bench-floor", index, index)

            def floor_duplicate(arn: str = floor_arn, version: int = index) -> None:
                floor_read(sm, ddb, table, "bench-floor", arn, version)

            def floor_sync(arn: str = floor_arn, items: list = items, version: int = index) -> None:
                floor_duplicate(arn, version)
                ddb.transact_write_items(TransactItems=items)

            floor_new.append(timed(floor_sync))
            floor_dup.append(timed(floor_duplicate))

    new_ratio = median(handler_new) / median(floor_new)
    dup_ratio = median(handler_dup) / median(floor_dup)
    worst_new, worst_dup = max(calls_new), max(calls_dup)
    return [
        f"registry sync ({versions - 1} new versions without artifacts, each delivered twice; medians;"
        " server: moto in a child process)",
        report("AWS calls per new-version event (max)", worst_new, "<= 3", worst_new <= 3),
        report("AWS calls per duplicate event (max)", worst_dup, "<= 2", worst_dup <= 2),
        report("handler time per new-version event / floor (ratio)", new_ratio, "<= 1.3", new_ratio <= 1.3),
        report("handler time per duplicate event / floor (ratio)", dup_ratio, "<= 1.3", dup_ratio <= 1.3),
        f"    floor medians: new {median(floor_new) * 1000:.1f} ms, duplicate {median(floor_dup) * 1000:.1f} ms"
        f" (pid {os.getpid()})",
    ]
