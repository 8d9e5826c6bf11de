"""Due dates against the local AWS: a model going live in production gets its review date from the
deployment status function; the scheduled DueDatesFunction (on the table's indexes) marks it due and
reminds the waiting approval, each told once on the notifications topic; a review through the API resets
it; the registrant may not review their own model."""

from __future__ import annotations

from datetime import datetime, timedelta

from .conftest import GROUP, load_handler, use_function_environment
from .test_governance_api import REGISTRANT_MAP, api
from .test_notifications import told
from .test_promotion import promote_to_production, records


def due_dates(stack, now: datetime | None = None) -> dict:
    """The scheduled function: its handler on the schedule's input (now), or its service at `now`."""
    use_function_environment(stack.monkeypatch, "DueDatesFunction", stack.ctx)
    stack.current = "DueDatesFunction"
    if now is None:
        handler, context = load_handler("DueDatesFunction")
        return handler({"job": "due-dates"}, context)
    from govsync.wiring.due_dates import due_dates as built

    return built().run(now)


def test_a_live_production_model_comes_due_is_reviewed_and_its_waiting_approval_is_reminded(stack):
    promote_to_production(stack)  # medium risk: reviewed every 180 days, an approval waits 72 h
    production = records(1)["production"]
    assert production.deployment_status == "deployed" and production.review is not None
    live_at = datetime.fromisoformat(production.deployment.deployed_at or "")
    assert production.review.next_review_due == (live_at + timedelta(days=180)).isoformat()
    assert (production.review.state, production.review.every_days) == ("scheduled", 180)
    stack.notifications()  # what promotion told

    # the scheduled run now: nothing is due yet, production's approval waits within its SLA
    now = due_dates(stack)
    assert (now["live"], now["waiting"], now["reminded"], now["reviews_due"]) == (1, 1, 0, 0)
    assert told(stack) == []

    # 170 days on (twice): one reminder, the review due; each told once
    later = live_at + timedelta(days=170)
    first = due_dates(stack, later)
    assert (first["reminded"], first["reviews_due"]) == (1, 1)
    due_dates(stack, later)
    assert told(stack) == [("approval-reminder", "production"), ("review-due", "production")]

    # the registrant may not review it; an approver does, through the API
    stack.configure(IdentityMap=REGISTRANT_MAP)
    status, answer, _ = api(stack, "alice", "POST", f"/models/{GROUP}/versions/1/reviews", {"comment": "mine is fine"})
    assert status == 403 and "separation of duties" in answer["message"]
    status, answer, _ = api(stack, "olivia", "POST", f"/models/{GROUP}/versions/1/reviews", {"comment": "drift ok"})
    assert status == 200, answer
    review = records(1)["production"].review
    assert review is not None and (review.state, review.last_by, review.last_comment) == (
        "scheduled", "olivia@example.com", "drift ok")  # fmt: skip
    status, answer, _ = api(stack, "olivia", "POST", f"/models/{GROUP}/versions/1/reviews", {"comment": " "})
    assert status == 400 and "comment" in answer["message"]
    status, answer, _ = api(stack, "olivia", "POST", f"/models/{GROUP}/versions/7/reviews", {"comment": "x"})
    assert status == 404
    # the inventory's queue flags the approval past its SLA
    status, answer, _ = api(stack, "victor", "GET", "/approvals/pending")
    (waiting,) = answer["pending"]
    assert (waiting["stage"], waiting["sla_hours"], waiting["overdue"]) == ("production", 72, False)
