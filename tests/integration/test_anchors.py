"""Anchors outside the table, on the real adapters (S3 with Object Lock, CloudWatch Logs, the table's
trail listings): the tampers a consistent chain hides from the table's own verification are each caught
against the anchors and named, and nobody can delete or overwrite an anchor."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from govsync import wiring
from govsync.adapters.anchor_bucket import summary_key
from govsync.adapters.dynamodb_items import AuditItem
from govsync.services.queries import audit_trail

from .conftest import ANCHOR_BUCKET, ANCHOR_LOG_GROUP, GROUP, load_handler, register, use_function_environment
from .test_audit_tamper import HEAD, delete, delete_head_only, entry_sk, item, three_entries
from .test_promotion import event_for


def anchor_now(stack) -> dict:
    """The scheduled AuditAnchorFunction, as EventBridge Scheduler starts it."""
    use_function_environment(stack.monkeypatch, "AuditAnchorFunction", stack.ctx)
    stack.current = "AuditAnchorFunction"
    handler, context = load_handler("AuditAnchorFunction")
    return handler({"job": "audit-anchor"}, context)


def anchored_check(stack):
    use_function_environment(stack.monkeypatch, "AuditAnchorFunction", stack.ctx)
    stack.current = "AuditAnchorFunction"
    from govsync.wiring.anchor import anchoring

    return anchoring().check()


def two_versions(stack) -> None:
    three_entries(stack)
    arn2 = register(stack.sagemaker)
    assert stack.invoke(event_for(arn2)) == {"batchItemFailures": []}


def test_the_anchor_is_written_once_locked_for_ten_years_and_copied_to_its_log_group(stack):
    two_versions(stack)
    written = anchor_now(stack)
    assert (written["seq"], written["versions"], written["entries"], written["findings"]) == (1, 2, 4, [])
    s3 = stack.s3
    head = s3.head_object(Bucket=ANCHOR_BUCKET, Key=summary_key(1))
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=3640)  # ten years
    # nobody deletes the anchor's version, or writes over its key
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=ANCHOR_BUCKET, Key=summary_key(1), VersionId=head["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=ANCHOR_BUCKET, Key=summary_key(1), Body=b"{}", IfNoneMatch="*")
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    # the summary is in the log group too
    logs = boto3.client("logs", region_name="us-east-1")
    (copied,) = logs.get_log_events(logGroupName=ANCHOR_LOG_GROUP, logStreamName="anchors")["events"]
    assert json.loads(copied["message"])["root"] == written["root"]
    # and the next anchor follows it
    assert anchor_now(stack)["prev_hash"] == written["hash"]
    assert anchored_check(stack).ok


def rewind_head(ddb, table):
    """The last entry deleted and the head moved back onto entry 2: a consistent, shorter chain."""
    delete(ddb, table, 1, entry_sk(3))
    second = item(ddb, table, 1, entry_sk(2))
    ddb.put_item(TableName=table, Item={**item(ddb, table, 1, HEAD), "audit_seq": {"N": "2"},
                                        "audit_head": second["hash"]})  # fmt: skip


def rewrite_chain(ddb, table):
    """Entry 2's actor changed and every hash after it recomputed, the head too: the chain verifies."""
    store = wiring.governance_store()
    entries = store.audit_entries(GROUP, 1)
    rewritten = [entries[0]]
    for entry in entries[1:]:
        changed = replace(entry, actor="mallory") if entry.seq == 2 else entry
        rewritten.append(replace(changed, prev_hash=rewritten[-1].hash).sealed())
    for entry in rewritten[1:]:
        AuditItem.from_entry(entry).save()
    ddb.put_item(TableName=table, Item={**item(ddb, table, 1, HEAD), "audit_head": {"S": rewritten[-1].hash}})


def delete_version(ddb, table):
    """Every item of version 1: head, records, entries."""
    for found in ddb.query(TableName=table, KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": {"S": f"MODEL#{GROUP}#1"}})["Items"]:  # fmt: skip
        ddb.delete_item(TableName=table, Key={"pk": found["pk"], "sk": found["sk"]})


def delete_anchor(s3):
    s3.delete_object(Bucket=ANCHOR_BUCKET, Key=summary_key(1))  # a delete marker: the locked version stays


def overwrite_anchor(s3):
    body = json.loads(s3.get_object(Bucket=ANCHOR_BUCKET, Key=summary_key(1))["Body"].read())
    s3.put_object(Bucket=ANCHOR_BUCKET, Key=summary_key(1), Body=json.dumps({**body, "versions": 1}).encode())


TABLE_CASES: dict[str, tuple[Callable, str, bool]] = {
    # tamper: (what, words the anchored check says, whether the table's own verification sees it)
    # (the records still hold entry 3's state, so the table's own check sees this one too)
    "the last entry deleted and the head rewound": (rewind_head, "the head is at entry 2, before entry 3", True),
    "a whole chain rewritten, every hash recomputed": (rewrite_chain, "the chain was rewritten", False),
    "a version's every item deleted": (
        delete_version,
        f"{GROUP} v1: anchor 1 sealed 3 entries; the table has no",
        False,
    ),
    "the head deleted only": (delete_head_only, "the table has no head for it", True),
}
BUCKET_CASES: dict[str, tuple[Callable, str]] = {
    "an anchor deleted": (delete_anchor, "anchor 1 has a delete marker over it"),
    "an anchor written again": (overwrite_anchor, "anchor 1 was written again (2 versions"),
}


@pytest.mark.parametrize("case", TABLE_CASES, ids=list(TABLE_CASES))
def test_a_tamper_the_table_cannot_show_is_caught_against_the_anchors(stack, case):
    # Given two versions, anchored
    two_versions(stack)
    anchor_now(stack)
    # When someone who can write the table tampers with it consistently
    tamper, said, table_sees_it = TABLE_CASES[case]
    tamper(boto3.client("dynamodb", region_name="us-east-1"), stack.table)
    # Then the table's own verification may find it all in order, but the anchors do not
    own = audit_trail(wiring.governance_store(), GROUP, 1)
    assert (own.exists and not own.verdict.ok) is table_sees_it, own.verdict
    check = anchored_check(stack)
    assert not check.ok and any(said in problem for problem in check.problems), check.problems
    # and the next anchor records it, for good
    written = anchor_now(stack)
    assert any(said in finding for finding in written["findings"]), written
    assert any(said in finding for finding in anchored_check(stack).recorded)


@pytest.mark.parametrize("case", BUCKET_CASES, ids=list(BUCKET_CASES))
def test_an_anchor_deleted_or_written_again_is_named_and_its_locked_version_read(stack, case):
    two_versions(stack)
    first = anchor_now(stack)
    tamper, said = BUCKET_CASES[case]
    tamper(stack.s3)
    check = anchored_check(stack)
    assert not check.ok and any(said in problem for problem in check.problems), check.problems
    assert check.latest is not None and check.latest.hash == first["hash"]  # the locked version


def test_every_trail_is_listed_though_its_records_are_gone(stack):
    # Given a version whose records and head were deleted (its entries remain)
    two_versions(stack)
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    delete(ddb, stack.table, 1, "V#STAGE#development")
    delete_head_only(ddb, stack.table)
    store = wiring.governance_store()
    # Then the trail listings still name it: its first entry is listed apart from its head
    assert [leaf.key for leaf in store.trail_heads()] == [(GROUP, 2)]
    assert sorted(store.trail_starts()) == [(GROUP, 1), (GROUP, 2)]


def test_the_api_says_whether_a_version_s_chain_is_the_one_its_anchor_sealed(stack):
    from .test_governance_api import api

    two_versions(stack)
    path = f"/models/{GROUP}/versions/1/audit"
    assert api(stack, "victor", "GET", path)[1]["anchored"] == {"anchor": None, "sealed": False, "ok": True,
                                                                "reason": "no anchor yet"}  # fmt: skip
    written = anchor_now(stack)
    anchored = api(stack, "victor", "GET", path)[1]["anchored"]
    assert anchored == {"anchor": written["seq"], "anchored_at": written["created_at"], "sealed": True,
                        "sealed_seq": 3, "ok": True, "reason": ""}  # fmt: skip
    rewrite_chain(boto3.client("dynamodb", region_name="us-east-1"), stack.table)
    status, trail, _ = api(stack, "victor", "GET", path)
    assert status == 200 and trail["verification"]["verified"] is True  # the table alone cannot tell
    assert trail["anchored"]["ok"] is False and "the chain was rewritten" in trail["anchored"]["reason"]
