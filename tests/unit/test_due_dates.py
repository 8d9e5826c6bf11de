"""Due dates with a fixed clock: a review scheduled when a model goes live in the last stage, due and
overdue by its risk tier's cadence, told once each; a review decision that resets it (separation of
duties applied); approvals reminded once per SLA period, however often the job runs."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from govsync.adapters.described_package import snapshot_from_describe
from govsync.domain.deployment import Action, Deployment, DeployState
from govsync.domain.due_dates import Cadence, advance_review, remind, review_done, schedule_review
from govsync.domain.errors import Refused
from govsync.domain.governance import resolve_governance
from govsync.domain.people import Person
from govsync.domain.records import build_stage_records
from govsync.domain.stages import StageConfig
from govsync.services.due_dates import DueDates, Reviews
from govsync.services.notifications import Notifier
from govsync.services.updates import Audit, update_records

from ..fakes import InMemoryStore
from .helpers import GROUP, described
from .test_notifications import Heard

ROOT = Path(__file__).resolve().parents[2]
CONFIG = StageConfig()
STAGES = CONFIG.stages
LIVE_AT = datetime(2026, 1, 1, tzinfo=UTC)
CADENCE = Cadence()  # high 90 days, notice 14; SLA high 24 h
OLIVIA = Person("olivia", "olivia@example.com", frozenset({"approvers"}))
ALICE = Person("alice", "alice@example.com", frozenset({"approvers"}))  # registered the version (helpers)


def records(risk: str = "high"):
    pkg = snapshot_from_describe(described())
    built = build_stage_records(pkg, resolve_governance(pkg, {}, CONFIG.metadata_keys), CONFIG)
    return {stage: replace(built["development"], model_stage=stage, model_risk=risk) for stage in STAGES}


def live(record, at: datetime = LIVE_AT):
    deployment = Deployment(DeployState.LIVE, Action.PROMOTE, "444444444444", endpoint_name="fraud-prod",
                            deployed_at=at.isoformat())  # fmt: skip
    return replace(record, deployment=deployment, model_status="approved")


def stored(risk: str = "high", production_live: bool = True, pending_since: datetime | None = None):
    """A store holding version 1: live in production (or not), its test stage waiting (or not)."""
    store, heard = InMemoryStore(), Heard()
    store.on_commit = Notifier([heard], store).committed
    version = records(risk)
    if production_live:
        version["production"] = live(version["production"])
    else:
        del version["production"]
    if pending_since is not None:
        requested = replace(version["test"].deployment, requested_at=pending_since.isoformat())
        version["test"] = replace(version["test"], model_status="pending", deployment=requested)
    else:
        version["test"] = replace(version["test"], model_status="approved")
    version["development"] = replace(version["development"], model_status="approved")
    update_records(store, GROUP, 1, lambda before: version, Audit("setup", "test", "setup", LIVE_AT.isoformat()))
    heard.notifications.clear()
    return store, heard


@pytest.mark.parametrize(("risk", "days"), [("high", 90), ("Medium", 180), ("low", 365), (None, 90), ("odd", 90)])
def test_a_model_going_live_in_the_last_stage_is_due_for_review_by_its_tier(risk, days):
    record = live(records(risk)["production"])
    scheduled = schedule_review(record, CADENCE, "production", LIVE_AT)
    assert scheduled.review is not None
    assert scheduled.review.next_review_due == (LIVE_AT + timedelta(days=days)).isoformat()
    assert (scheduled.review.state, scheduled.review.every_days) == ("scheduled", days)
    # only the last stage, only live
    assert schedule_review(live(records(risk)["test"]), CADENCE, "production", LIVE_AT).review is None
    assert schedule_review(records(risk)["production"], CADENCE, "production", LIVE_AT).review is None


def test_a_review_is_due_from_its_notice_and_overdue_after_its_date():
    record = schedule_review(live(records()["production"]), CADENCE, "production", LIVE_AT)
    assert advance_review(record, CADENCE, "production", LIVE_AT + timedelta(days=75)) is None  # 15 days ahead
    due = advance_review(record, CADENCE, "production", LIVE_AT + timedelta(days=76))
    assert due is not None and due.review is not None and due.review.state == "due"
    assert advance_review(due, CADENCE, "production", LIVE_AT + timedelta(days=90)) is None  # the day itself: due
    overdue = advance_review(due, CADENCE, "production", LIVE_AT + timedelta(days=90, seconds=1))
    assert overdue is not None and overdue.review is not None and overdue.review.state == "overdue"


def test_the_job_tells_due_then_overdue_once_each_however_often_it_runs():
    store, heard = stored()
    job = DueDates(CADENCE, STAGES, store)
    first = job.run(LIVE_AT + timedelta(days=1))  # a model live before reviews existed gets its date
    assert (first["live"], first["reviews_scheduled"], first["reviews_due"]) == (1, 1, 0)
    for day in (80, 80, 81, 91, 91, 120):
        job.run(LIVE_AT + timedelta(days=day))
    assert heard.types == [("review-due", "production"), ("review-overdue", "production")]
    schemas = {kind: json.loads((ROOT / "docs" / "notifications" / f"{kind}.schema.json").read_text())
               for kind in ("review-due", "review-overdue")}  # fmt: skip
    for notification in heard.notifications:
        jsonschema.validate(notification.detail, schemas[notification.kind], format_checker=jsonschema.FormatChecker())
    due = (LIVE_AT + timedelta(days=90)).isoformat()
    assert heard.notifications[0].detail["summary"] == f"production's periodic review is due (due {due})"


def test_a_review_decision_records_who_and_why_and_sets_the_next_date():
    store, heard = stored()
    DueDates(CADENCE, STAGES, store).run(LIVE_AT + timedelta(days=95))  # overdue
    registry = FakeRegistry()
    at = LIVE_AT + timedelta(days=96)
    reviews = Reviews(CADENCE, STAGES, store, registry, "us-east-1", {}, clock=lambda: at)
    answer = reviews.review(OLIVIA, GROUP, 1, "  drift within bounds; fairness report attached  ")
    assert answer["review"] == {"next_review_due": (at + timedelta(days=90)).isoformat(), "state": "scheduled",
                                "every_days": 90, "last_at": at.isoformat(), "last_by": "olivia@example.com",
                                "last_comment": "drift within bounds; fairness report attached"}  # fmt: skip
    entry = store.audit_entries(GROUP, 1)[-1]
    assert (entry.action, entry.actor) == ("review", "olivia@example.com")
    assert entry.changes["production"]["review"][0]["state"] == "overdue"
    # the next run finds nothing to tell
    told = len(heard.notifications)
    DueDates(CADENCE, STAGES, store).run(at + timedelta(days=1))
    assert len(heard.notifications) == told


def test_a_review_is_refused_to_the_registrant_a_viewer_without_words_and_where_nothing_is_live():
    store, _ = stored()
    reviews = Reviews(CADENCE, STAGES, store, FakeRegistry(), "us-east-1", {"arn:aws:sts::222222222222:*": "alice"})
    seq = store.load_version(GROUP, 1).audit_seq
    with pytest.raises(Refused, match=r"separation of duties: alice@example\.com registered this version") as refused:
        reviews.review(ALICE, GROUP, 1, "looks fine to me")
    assert refused.value.status == 403
    with pytest.raises(Refused) as viewer:
        reviews.review(Person("v", groups=frozenset({"viewers"})), GROUP, 1, "ok")
    assert viewer.value.status == 403
    with pytest.raises(Refused, match="comment") as empty:
        reviews.review(OLIVIA, GROUP, 1, "   ")
    assert empty.value.status == 400
    with pytest.raises(Refused) as unknown:
        reviews.review(OLIVIA, GROUP, 9, "ok")
    assert unknown.value.status == 404
    not_live, _ = stored()
    failed = Deployment(DeployState.FAILED, Action.PROMOTE, "444444444444", error="ResourceLimitExceeded")
    update_records(not_live, GROUP, 1, lambda r: {**r, "production": replace(r["production"], deployment=failed)},
                   Audit("failed", "test", "endpoint-failed", LIVE_AT.isoformat()))  # fmt: skip
    with pytest.raises(Refused, match="not live in production") as conflict:
        Reviews(CADENCE, STAGES, not_live, FakeRegistry(), "us-east-1", {}).review(OLIVIA, GROUP, 1, "ok")
    assert conflict.value.status == 409
    assert store.load_version(GROUP, 1).audit_seq == seq  # nothing written


def test_an_approval_is_reminded_once_per_sla_period_and_never_twice_for_one():
    since = datetime(2026, 12, 1, 9, tzinfo=UTC)
    store, heard = stored(production_live=False, pending_since=since)
    job = DueDates(CADENCE, STAGES, store)
    for hours in (1, 23, 24, 25, 30, 47, 48, 48, 100):
        job.run(since + timedelta(hours=hours))
    reminders = [n.detail for n in heard.notifications if n.kind == "approval-reminder"]
    # periods 1 and 2 reminded as they came; at 100 h the job had missed periods 3: one reminder, count 4
    assert [r["detail"]["count"] for r in reminders] == [1, 2, 4]
    assert reminders[0]["summary"] == "test has waited over 24 h for a decision (SLA 24 h)"
    schema = json.loads((ROOT / "docs" / "notifications" / "approval-reminder.schema.json").read_text())
    for reminder in reminders:
        jsonschema.validate(reminder, schema, format_checker=jsonschema.FormatChecker())


def test_a_new_wait_starts_its_reminders_again_and_a_decided_stage_is_not_reminded():
    since = datetime(2026, 12, 1, 9, tzinfo=UTC)
    record = replace(records("medium")["test"], model_status="pending",
                     deployment=Deployment(requested_at=since.isoformat()))  # fmt: skip
    reminded = remind(record, CADENCE, since + timedelta(hours=73))
    assert reminded is not None and reminded.approval_reminder is not None
    assert (reminded.approval_reminder.count, reminded.approval_reminder.sla_hours) == (1, 72)
    again = replace(reminded, deployment=Deployment(requested_at=(since + timedelta(days=5)).isoformat()))
    assert remind(again, CADENCE, since + timedelta(days=5, hours=71)) is None
    renewed = remind(again, CADENCE, since + timedelta(days=5, hours=72))
    assert renewed is not None and renewed.approval_reminder is not None and renewed.approval_reminder.count == 1
    assert remind(replace(record, model_status="approved"), CADENCE, since + timedelta(days=30)) is None


def test_review_done_uses_the_tier_and_the_pending_queue_flags_what_is_past_its_sla():
    record = review_done(live(records("low")["production"]), CADENCE, "o", "fine", LIVE_AT)
    assert record.review is not None and record.review.next_review_due == (LIVE_AT + timedelta(days=365)).isoformat()
    assert Cadence(sla_hours={"high": 4}).sla("medium") == 4  # a tier not named takes the shortest


class FakeRegistry:
    def describe_package(self, arn: str, region: str):
        return snapshot_from_describe(described())


def test_a_run_with_nothing_due_reads_no_version_and_writes_nothing():
    store, _ = stored(pending_since=LIVE_AT + timedelta(days=1, hours=12))
    job = DueDates(CADENCE, STAGES, store)
    job.run(LIVE_AT + timedelta(days=1))  # the live model's first review date
    loads, seq = [], store.load_version(GROUP, 1).audit_seq
    read = store.load_version
    store.load_version = lambda group, version: loads.append((group, version)) or read(group, version)  # type: ignore[method-assign]
    summary = job.run(LIVE_AT + timedelta(days=2))  # test has waited 12 h of its 24, the review is far off
    assert (summary["waiting"], summary["live"], summary["reminded"]) == (1, 1, 0)
    assert loads == [] and store.load_version(GROUP, 1).audit_seq == seq
