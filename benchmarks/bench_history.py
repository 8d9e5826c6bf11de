"""Per-event cost against history: a registry event's DynamoDB items read and time, for a version of a
use case with 10 earlier versions and for one with 10,000 (all approved in development, so that each
approval asks the use-case lifecycle whether every model is approved). Both the registration of a new
version and its approval are measured; the goal is that history costs nothing: ratio <= 1.2."""

from __future__ import annotations

import time
from typing import Any

import boto3

from benchmarks.bench_registry_sync import Context, _event, _quiet, _sqs_event
from benchmarks.harness import CallCounter, median, report

REGION, ACCOUNT = "us-east-1", "111111111111"
EVENTS = 15  # new versions per history size: each registered, then approved


def _seed(endpoint: str, table: str, group: str, use_case: str, earlier: int) -> None:
    """`earlier` approved versions of `group` in `use_case`: their packages, heads, development records
    and the use case's tallies, as the registry sync leaves them."""
    from benchmarks import bench_fanout
    from govsync import wiring
    from govsync.adapters.dynamodb_items import TALLY_PREFIX, UseCaseTallyItem, use_case_pk
    from govsync.domain.usecases import UseCase

    records, heads = bench_fanout._version_items()
    approved = (("uc-bench", use_case), ('"pending"', '"approved"'), ("development#pending", "development#approved"),
                ('"counted_approved": {"BOOL": false}', '"counted_approved": {"BOOL": true}'))  # fmt: skip
    texts = bench_fanout.item_templates(records, heads)
    for old, new in approved:
        texts = [t.replace(old, new) for t in texts]
    package = {**bench_fanout.PACKAGE, "ModelApprovalStatus": "Approved",
               "CustomerMetadataProperties": {**METADATA, "UseCaseId": use_case}}  # fmt: skip
    bench_fanout.control(endpoint, "seed", {"account": ACCOUNT, "region": REGION, "groups": [group],
                                            "versions": earlier, "package": package, "table": table,
                                            "items": texts})  # fmt: skip
    store = wiring.governance_store()
    UseCaseTallyItem(use_case_pk(use_case), f"{TALLY_PREFIX}{group}#development", model_group=group,
                     model_stage="development", records=earlier, approved=earlier).save()  # fmt: skip
    store.save_use_case(UseCase(use_case, "bench", "development"), None)


METADATA = {"UseCaseId": "uc", "UseCaseName": "n", "UseCaseStage": "development", "ModelOwner": "o",
            "ModelLoB": "l", "ModelProject": "p", "ModelRisk": "low"}  # fmt: skip


def _events(handler: Any, sm: Any, group: str, use_case: str, counter: CallCounter) -> dict[str, list[float]]:
    """EVENTS new versions of the group: each registered (its event handled), then approved (again);
    per kind of event, the items read and the seconds each took."""
    found: dict[str, list[float]] = {"registered items": [], "approved items": [], "registered s": [],
                                      "approved s": []}  # fmt: skip
    spec = {"Containers": [{"Image": "img"}], "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"]}  # fmt: skip
    for _ in range(EVENTS + 1):
        arn = sm.create_model_package(
            ModelPackageGroupName=group,
            InferenceSpecification=spec,
            ModelApprovalStatus="PendingManualApproval",
            CustomerMetadataProperties={**METADATA, "UseCaseId": use_case},
        )["ModelPackageArn"]
        version = int(arn.rsplit("/", 1)[1])
        for kind in ("registered", "approved"):
            if kind == "approved":
                sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
            counter.reset()
            started = time.perf_counter()
            answer = handler(_sqs_event(_event(arn, group, version)), Context())
            seconds = time.perf_counter() - started
            assert answer == {"batchItemFailures": []}, answer
            found[f"{kind} items"].append(counter.items_read)
            found[f"{kind} s"].append(seconds)
    return {k: v[1:] for k, v in found.items()}  # the first: clients and imports warming up


def run(earlier: int = 10_000) -> list[str]:
    from benchmarks import bench_fanout

    lines = [f"per-event cost against history (a version with 10 earlier versions in its use case, and {earlier})"]
    with bench_fanout.stack("RegistrySyncFunction", {}) as s:
        from govsync_local import template as tpl
        from govsync_local.invoke import load_handler

        sync = _quiet(load_handler(tpl.function_specs(tpl.load())["RegistrySyncFunction"]))
        sm = boto3.client("sagemaker", region_name=REGION)
        results = {}
        with CallCounter() as counter:
            for size in (10, earlier):
                group, use_case = f"history-{size}", f"uc-history-{size}"
                _seed(s.endpoint, s.table, group, use_case, size)
                results[size] = _events(sync, sm, group, use_case, counter)
    small, large = results[10], results[earlier]
    for kind in ("registered", "approved"):
        read = median(small[f"{kind} items"]), median(large[f"{kind} items"])
        items = read[1] / read[0] if read[0] else (1.0 if read[1] == 0 else float("inf"))
        seconds = median(large[f"{kind} s"]) / median(small[f"{kind} s"])
        lines.append(report(f"{kind}: items read, {earlier} / 10 earlier (ratio)", items, "<= 1.2", items <= 1.2))
        lines.append(report(f"{kind}: time, {earlier} / 10 earlier (ratio)", seconds, "<= 1.2", seconds <= 1.2))
        lines.append(
            f"    {kind}: items read {median(small[f'{kind} items']):.0f} and {median(large[f'{kind} items']):.0f}; "
            f"{median(small[f'{kind} s']) * 1000:.0f} ms and {median(large[f'{kind} s']) * 1000:.0f} ms (medians of "
            f"{EVENTS})"
        )
    return lines
