"""Property: whatever the delivery order and duplication, the record ends as the registry says."""

import time
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govsync import wiring
from govsync.adapters.dynamodb_items import GovernanceItem, version_pk
from govsync.domain.audit import verify_chain

from .conftest import load_event, register

CHANGES = [
    ("create", {}),
    ("update", {"CustomerMetadataProperties": {"ModelOwner": "bob"}}),
    ("update", {"ModelApprovalStatus": "Approved"}),
    ("update", {"ModelLifeCycle": {"Stage": "Staging", "StageStatus": "PendingApproval"}}),
    ("update", {"ModelLifeCycle": {"Stage": "Staging", "StageStatus": "Approved", "StageDescription": "ok"}}),
]


def apply_change(stack, group: str, index: int) -> dict:
    """Make change `index` in the registry and return the event SageMaker would emit for it."""
    time.sleep(0.002)  # distinct LastModifiedTime milliseconds, as real registry changes have
    kind, args = CHANGES[index]
    if kind == "create":
        stack.sagemaker.create_model_package_group(ModelPackageGroupName=group)
        arn = register(stack.sagemaker, group=group)
    else:
        arn = f"arn:aws:sagemaker:us-east-1:111111111111:model-package/{group}/1"
        stack.sagemaker.update_model_package(ModelPackageArn=arn, **args)
    event = load_event("model-package-created")
    event["id"] = str(uuid.uuid4())
    event["detail"].update({"ModelPackageGroupName": group, "ModelPackageArn": arn})
    return event


def summary(group: str) -> dict:
    state = wiring.governance_store().load_version(group, 1)
    return {
        stage: (r.model_status, r.model_owner, r.use_case_id, r.metadata_complete, r.stage_description)
        for stage, r in state.records.items()
    }


deliveries = st.lists(
    st.lists(st.integers(0, len(CHANGES) - 1), max_size=3), min_size=len(CHANGES), max_size=len(CHANGES)
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(schedule=deliveries, last=st.integers(0, len(CHANGES) - 1), batch=st.booleans())
def test_any_order_with_duplicates_gives_the_in_order_record(stack, schedule, last, batch):
    # Given a reference version synced in order (each event right after its change)
    reference = f"ref-{uuid.uuid4().hex[:12]}"
    for index in range(len(CHANGES)):
        stack.invoke(apply_change(stack, reference, index))
    # And a version whose events arrive late, reordered, duplicated, sometimes in one batch
    group = f"grp-{uuid.uuid4().hex[:12]}"
    emitted, observed = [], set()
    for index in range(len(CHANGES)):
        emitted.append(apply_change(stack, group, index))
        picks = [emitted[min(i, index)] for i in schedule[index]]
        if picks:
            observed.add(index)
            if batch:
                stack.invoke(*picks)
            else:
                for event in picks:
                    stack.invoke(event)
    # When at least one event arrives after the last change
    stack.invoke(emitted[last])
    observed.add(len(CHANGES) - 1)
    # Then the record equals the in-order one
    assert summary(group) == summary(reference)
    # And there is one audit entry per distinct registry state observed, chained and verified
    store = wiring.governance_store()
    entries = store.audit_entries(group, 1)
    assert len(entries) == len(observed)
    head = store.load_version(group, 1).head
    assert verify_chain(entries, int(head.audit_seq), head.audit_head).ok
    assert [e.source_time for e in entries] == sorted({e.source_time for e in entries})
    # (moto copies the whole table on every transaction: keep it small across examples)
    for name in (group, reference):
        for item in GovernanceItem.query(version_pk(name, 1)):
            item.delete()
