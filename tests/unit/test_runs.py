"""A fanned-out run's pieces: work items parse strictly and name their parts; parts add up, failures
are kept up to a bound; a run is complete once every planned and handed-on part is done."""

import json
from collections import Counter

import pytest

from govsync.domain.errors import RejectedEvent
from govsync.domain.runs import MAX_FAILURES, PartResult, RunState, WorkItem, parse_work_item, totals


def item(**changes) -> WorkItem:
    return WorkItem(job="reconcile", run_id="reconcile-1", item_id="us-east-1/fraud", work={"group": "fraud"},
                    **changes)  # fmt: skip


def test_a_work_item_round_trips_and_its_next_part_carries_the_checkpoint():
    first = item()
    assert parse_work_item(first.to_body(), "reconcile") == first
    second = first.next_part("token-2")
    assert (second.part, second.cursor, second.part_id) == (1, "token-2", "us-east-1/fraud#00001")
    assert first.part_id == "us-east-1/fraud#00000" and first.cursor is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "malformed work item"),
        (json.dumps({"job": "reconcile", "run_id": "r", "item_id": "x"}), "malformed work item"),  # no work
        (json.dumps({"job": "reconcile", "run_id": "r", "item_id": "x", "work": {}, "extra": 1}), "malformed"),
        (json.dumps({"job": "reconcile", "run_id": "r", "item_id": "x", "work": {}, "part": -1}), "malformed"),
        (json.dumps({"job": "metrics-aggregation", "run_id": "r", "item_id": "x", "work": {}}), "reached the"),
    ],
)
def test_what_is_not_a_work_item_of_the_job_is_rejected(body, reason):
    with pytest.raises(RejectedEvent, match=reason):
        parse_work_item(body, "reconcile")


def test_parts_add_up_and_keep_a_bounded_list_of_failures():
    parts = []
    for n in range(3):
        piece = PartResult(Counter(checked=10, repaired=n))
        for k in range(30):
            piece.failed(f"arn-{n}-{k}", "throttled")
        piece.notes["window_end"] = f"w{n}"
        parts.append(piece)
    total = totals(parts)
    assert total.counts == Counter(checked=30, repaired=3, failed=90)
    assert len(total.failures) == MAX_FAILURES and total.failures[0]["arn"] == "arn-0-0"
    assert total.notes == {"window_end": "w2"}


def test_a_run_is_complete_once_planned_and_every_expected_part_is_done():
    state = RunState("reconcile", "r", "t", planned=False, expected=3, done=3)
    assert not state.complete  # still planning: more items may come
    assert RunState("reconcile", "r", "t", planned=True, expected=4, done=3).complete is False
    assert RunState("reconcile", "r", "t", planned=True, expected=4, done=4).complete
