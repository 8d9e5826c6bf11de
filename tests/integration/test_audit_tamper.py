"""The audit trail tried as someone who can write the governance table would: each tamper below, made
with plain DynamoDB calls on the real table, is caught by the verification and named. (Tampers that
keep a chain consistent, a rewound head with its last entry gone or a whole chain rehashed, need the
anchors outside the table: they are not in this table.)"""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3
import pytest

from govsync import wiring
from govsync.adapters.sqs import REASON_ATTRIBUTE
from govsync.services.queries import audit_trail

from .conftest import GROUP, register
from .test_promotion import event_for

HEAD = "V#HEAD"


def key(version: int, sk: str) -> dict:
    return {"pk": {"S": f"MODEL#{GROUP}#{version}"}, "sk": {"S": sk}}


def entry_sk(seq: int) -> str:
    return f"AUDIT#{seq:010d}"


def three_entries(stack) -> str:
    """Version 1 with three audit entries: registered, approved, its decision's words changed."""
    arn = register(stack.sagemaker)
    assert stack.invoke(event_for(arn)) == {"batchItemFailures": []}
    for update in ({"ModelApprovalStatus": "Approved", "ApprovalDescription": "validated"},
                   {"ApprovalDescription": "validated on the hold-out set"}):  # fmt: skip
        stack.sagemaker.update_model_package(ModelPackageArn=arn, **update)
        assert stack.invoke(event_for(arn)) == {"batchItemFailures": []}
    assert len(wiring.governance_store().audit_entries(GROUP, 1)) == 3
    return arn


def item(ddb, table: str, version: int, sk: str) -> dict:
    return ddb.get_item(TableName=table, Key=key(version, sk), ConsistentRead=True)["Item"]


def put(ddb, table: str, found: dict, **changes: dict) -> None:
    ddb.put_item(TableName=table, Item={**found, **changes})


def delete(ddb, table: str, version: int, sk: str) -> None:
    ddb.delete_item(TableName=table, Key=key(version, sk))


def edit_entry(ddb, table):
    put(ddb, table, item(ddb, table, 1, entry_sk(2)), actor={"S": "mallory"})


def delete_middle(ddb, table):
    delete(ddb, table, 1, entry_sk(2))


def delete_last(ddb, table):
    delete(ddb, table, 1, entry_sk(3))


def swap_contents_keep_seq(ddb, table):
    first, second = item(ddb, table, 1, entry_sk(1)), item(ddb, table, 1, entry_sk(2))
    put(ddb, table, {**second, "sk": first["sk"], "seq": first["seq"]})
    put(ddb, table, {**first, "sk": second["sk"], "seq": second["seq"]})


def change_seq(ddb, table):
    put(ddb, table, item(ddb, table, 1, entry_sk(2)), seq={"N": "7"})


def swap_items_whole(ddb, table):
    first, third = item(ddb, table, 1, entry_sk(1)), item(ddb, table, 1, entry_sk(3))
    put(ddb, table, {**third, "sk": first["sk"]})
    put(ddb, table, {**first, "sk": third["sk"]})


def delete_head_only(ddb, table):
    delete(ddb, table, 1, HEAD)


def forge_after_head(ddb, table):
    last = item(ddb, table, 1, entry_sk(3))
    put(ddb, table, {**last, "sk": {"S": entry_sk(4)}, "seq": {"N": "4"}, "actor": {"S": "mallory"}})


def copy_chain_from_another_version(ddb, table):
    """Version 2's trail replaced by version 1's (its head too): every hash of it verifies."""
    for sk in (HEAD, entry_sk(1), entry_sk(2), entry_sk(3)):
        found = item(ddb, table, 1, sk)
        put(ddb, table, {**found, "pk": {"S": f"MODEL#{GROUP}#2"}})


def edit_record(ddb, table):
    """rejected -> approved would be the story; here approved -> rejected, by someone else."""
    found = item(ddb, table, 1, "V#STAGE#development")
    assert found["model_status"]["S"] == "approved"
    put(ddb, table, found, model_status={"S": "rejected"}, stage_status={"S": "development#rejected"},
        model_audit_user={"S": "mallory@example.com"})  # fmt: skip


def rename_approver(ddb, table):
    found = item(ddb, table, 1, "V#STAGE#development")
    decision = found["registry_decision"]["M"]
    assert decision["by"]["L"]  # who approved, as the registry recorded them
    renamed = {"L": [{"S": "mallory@example.com"}]}
    put(ddb, table, found, registry_decision={"M": {**decision, "by": renamed}})


def delete_record(ddb, table):
    delete(ddb, table, 1, "V#STAGE#development")


CASES: dict[str, tuple[Callable, int, str]] = {
    # tamper: (what, the version it breaks, words the verdict says)
    "an edited entry": (edit_entry, 1, "entry 2 was edited"),
    "a deleted middle entry": (delete_middle, 1, "entry 2 is missing"),
    "a deleted last entry": (delete_last, 1, "entry 3 is missing"),
    "two entries' contents swapped, their seq kept": (swap_contents_keep_seq, 1, "entry 1 was edited"),
    "an entry's seq changed": (change_seq, 1, "the entry kept as entry 2 says it is 7"),
    "two items swapped whole": (swap_items_whole, 1, "the entry kept as entry 1 says it is 3"),
    "the head deleted only": (delete_head_only, 1, "audit items exist (3) for a version with no head"),
    "a forged entry after the head": (forge_after_head, 1, "entry 4 is after the chain head (entry 3)"),
    "a chain copied from another version": (copy_chain_from_another_version, 2, f"belongs to {GROUP} v1"),
    "a stage record edited behind the chain's back": (edit_record, 1, "the development record differs from"),
    "a decision's approver renamed": (rename_approver, 1, "the development record differs from"),
    "a stage record deleted": (delete_record, 1, "the development record is gone"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_tamper_is_caught_and_named(stack, case):
    # Given a version with three audit entries (and a second version, whose own trail verifies)
    three_entries(stack)
    arn2 = register(stack.sagemaker)
    assert stack.invoke(event_for(arn2)) == {"batchItemFailures": []}
    store = wiring.governance_store()
    assert audit_trail(store, GROUP, 1).verdict.ok and audit_trail(store, GROUP, 2).verdict.ok
    # When someone who can write the table tampers with it
    tamper, version, said = CASES[case]
    tamper(boto3.client("dynamodb", region_name="us-east-1"), stack.table)
    # Then the verification says the trail is broken, and what is wrong
    verdict = audit_trail(store, GROUP, version).verdict
    assert not verdict.ok and said in verdict.reason, verdict


def test_a_sync_never_writes_a_head_over_a_trail_whose_head_is_gone(stack):
    # Given a version whose head someone deleted (its entries remain)
    arn = three_entries(stack)
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    delete_head_only(ddb, stack.table)
    # When the registry event comes again (a redelivery, or the reconciler's repair)
    answer = stack.invoke(event_for(arn))
    # Then nothing is written over the trail: the event is dead-lettered at once (retrying cannot mend
    # it) with the reason, for a person
    assert answer == {"batchItemFailures": []}, answer
    assert "Item" not in ddb.get_item(TableName=stack.table, Key=key(1, HEAD), ConsistentRead=True)
    assert len(wiring.governance_store().audit_entries(GROUP, 1)) == 3
    (dead,) = stack.dead_letters()
    reason = dead["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]
    assert "audit items exist for a version with no head" in reason, reason


def test_reconcile_reports_a_trail_whose_head_is_gone_and_repairs_the_others(stack):
    # Given two versions, the first one's head deleted (its entries remain), the second one's record lost
    three_entries(stack)
    arn2 = register(stack.sagemaker)
    assert stack.invoke(event_for(arn2)) == {"batchItemFailures": []}
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    delete_head_only(ddb, stack.table)
    delete(ddb, stack.table, 2, "V#STAGE#development")
    # When the reconciler runs
    summary = stack.invoke_job("ReconcilerFunction", {"job": "reconcile"})
    # Then it says what it found for the first and leaves it, and still looks at the second
    assert summary["failed"] == 1 and summary["checked"] == 2, summary
    assert "audit items exist for a version with no head" in json.dumps(summary), summary
    assert "Item" not in ddb.get_item(TableName=stack.table, Key=key(1, HEAD), ConsistentRead=True)
    assert len(wiring.governance_store().audit_entries(GROUP, 1)) == 3
