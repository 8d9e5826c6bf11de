"""Retirement's rules: a stage retired at once, its teardown requested only where something was deployed and
taken once; what the teardown found kept on the record and told once, in its documented shape; a failure
that cannot heal recorded, a transient one retried; an archived package retires every stage."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest

from govsync.adapters.described_package import snapshot_from_describe
from govsync.domain.deploy_requests import DeployRequest, open_requests
from govsync.domain.deployment import Action, Deployment, DeployState
from govsync.domain.errors import PermanentAwsError, RetryableError
from govsync.domain.governance import resolve_governance
from govsync.domain.record_facts import Teardown, TeardownResult
from govsync.domain.records import build_stage_records
from govsync.domain.retirement import archived, retire, retire_archived, torn_down, version_retired
from govsync.domain.stages import StageConfig
from govsync.domain.targets import StageTarget, Target, resolve_targets
from govsync.services.notifications import Notifier
from govsync.services.retirement import Teardowns
from govsync.services.updates import Audit, update_records

from ..fakes import InMemoryStore
from .helpers import GROUP, described
from .test_notifications import Heard

ROOT = Path(__file__).resolve().parents[2]
CONFIG = StageConfig()
NOW = "2026-12-06T10:00:00+00:00"
LIVE = Deployment(DeployState.LIVE, Action.PROMOTE, "444444444444", endpoint_name="fraud-detector-production")
TARGET = resolve_targets(
    {"production": StageTarget(account="444444444444")},
    role_name="govsync-deploy",
    region="us-east-1",
    partition="aws",
    central_account="111111111111",
)["production"]


def version_records():
    pkg = snapshot_from_describe(described())
    built = build_stage_records(pkg, resolve_governance(pkg, {}, CONFIG.metadata_keys), CONFIG)
    development = replace(built["development"], model_status="approved")
    return {"development": development, "production": replace(development, model_stage="production", deployment=LIVE)}


@dataclass
class FakeStrategy:
    """A deploy strategy's teardown: what it answers, or what it raises."""

    answer: TeardownResult | Exception
    calls: list[tuple[str, int]] = field(default_factory=list)

    def tear_down(self, target: Target, group: str, version: int) -> TeardownResult:
        self.calls.append((group, version))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def retired_store(strategy: FakeStrategy) -> tuple[InMemoryStore, Heard, Teardowns]:
    store, heard = InMemoryStore(), Heard()
    store.on_commit = Notifier([heard], store).committed
    records = version_records()
    records["production"] = retire(records["production"], by="olivia@example.com", at=NOW, door="govsync",
                                   comment="replaced", event_id="retire-1", message_id=None)  # fmt: skip
    update_records(store, GROUP, 1, lambda before: records, Audit("retire-1", "olivia@example.com", "retired", NOW))
    heard.notifications.clear()  # what setting the version up told
    teardowns = Teardowns(store, {TARGET.strategy: strategy}, {"production": TARGET}, clock=lambda: NOW_DT)
    return store, heard, teardowns


NOW_DT = datetime.fromisoformat(NOW)
REQUEST = DeployRequest(Action.RETIRE, GROUP, 1, "production", "retire-1")


def test_a_retired_stage_asks_for_its_teardown_only_where_something_was_deployed():
    records = version_records()
    production = retire(records["production"], by="o", at=NOW, door="govsync", comment="c", event_id="e",
                        message_id="m")  # fmt: skip
    development = retire(records["development"], by="o", at=NOW, door="govsync", comment="c", event_id="e",
                         message_id="m")  # fmt: skip
    assert production.model_status == development.model_status == "retired"
    assert production.retirement is not None and production.retirement.teardown is Teardown.REQUESTED
    assert development.retirement is not None and development.retirement.teardown is Teardown.NOTHING_DEPLOYED
    opened = open_requests({"production": production, "development": development})
    assert opened == [DeployRequest(Action.RETIRE, GROUP, 1, "production", "e")]
    assert open_requests({"production": production}, "another message") == []


def test_the_teardown_is_recorded_told_once_and_a_redelivery_changes_nothing():
    deleted = TeardownResult(Teardown.TORN_DOWN, "deleted endpoint e", "e")
    strategy = FakeStrategy(deleted)
    store, heard, teardowns = retired_store(strategy)
    assert teardowns.tear_down(REQUEST) is True
    production = store.load_version(GROUP, 1).records["production"]
    assert production.deployment.status is DeployState.RETIRED and production.deployment_status == "retired"
    assert production.retirement is not None and production.retirement.result == "deleted endpoint e"
    assert teardowns.tear_down(REQUEST) is False and strategy.calls == [(GROUP, 1)]
    assert heard.types == [("retired", "production")]
    schema = json.loads((ROOT / "docs" / "notifications" / "retired.schema.json").read_text())
    jsonschema.validate(heard.notifications[0].detail, schema, format_checker=jsonschema.FormatChecker())
    assert heard.notifications[0].detail["summary"] == "production retired by olivia@example.com: deleted endpoint e"


def test_a_refusal_in_the_stage_account_is_recorded_and_a_transient_error_retried():
    store, _, teardowns = retired_store(FakeStrategy(PermanentAwsError("AccessDenied: not authorized")))
    assert teardowns.tear_down(REQUEST) is True
    retirement = store.load_version(GROUP, 1).records["production"].retirement
    assert retirement is not None and retirement.teardown is Teardown.FAILED
    assert retirement.result == "the teardown in 444444444444 failed: AccessDenied: not authorized"
    store, _, teardowns = retired_store(FakeStrategy(RetryableError("endpoint is updating")))
    with pytest.raises(RetryableError):
        teardowns.tear_down(REQUEST)
    retirement = store.load_version(GROUP, 1).records["production"].retirement
    assert retirement is not None and retirement.teardown is Teardown.REQUESTED  # the next delivery tries again


def test_only_a_requested_teardown_moves_and_a_not_serving_one_keeps_the_deployment():
    record = version_records()["production"]
    assert torn_down(record, TeardownResult(Teardown.TORN_DOWN, "x"), NOW) is None
    waiting = retire(record, by="o", at=NOW, door="govsync", comment=None, event_id="e", message_id=None)
    other = torn_down(waiting, TeardownResult(Teardown.NOT_SERVING, "serves v2"), NOW)
    assert other is not None and other.deployment == record.deployment


def test_archiving_retires_every_stage_and_a_version_counts_as_retired_when_all_its_stages_are():
    pkg = snapshot_from_describe(described(ModelLifeCycle={"Stage": "ARCHIVED", "StageStatus": "Approved",
                                                           "StageDescription": "end of life"}))  # fmt: skip
    assert archived(pkg)
    records = retire_archived(version_records(), pkg, at=NOW, event_id="e", message_id="m")
    assert {r.model_status for r in records.values()} == {"retired"}
    assert {r.retirement.comment for r in records.values() if r.retirement} == {"end of life"}
    assert version_retired(records.values())
    assert not version_retired(version_records().values())
    rejected = {**records, "development": replace(records["development"], model_status="rejected")}
    assert version_retired(rejected.values())
    assert not archived(snapshot_from_describe(described()))


def test_two_retirements_at_once_write_one_and_neither_fails():
    from govsync.domain.people import Person
    from govsync.services.retirement import Retirements

    store = InMemoryStore()
    update_records(store, GROUP, 1, lambda before: version_records(), Audit("setup", "test", "setup", NOW))
    sent: list[dict] = []
    queue = type("Queue", (), {"configured": True, "send_json": lambda self, body: sent.append(body)})()
    first = Retirements(("development", "test", "production"), store, queue, clock=lambda: NOW_DT)
    olivia, oscar = (Person(n, f"{n}@example.com", frozenset({"approvers"})) for n in ("olivia", "oscar"))
    read = store.load_version

    def racing(group, version):  # oscar's retirement lands between olivia's read and her write
        state = read(group, version)
        store.load_version = read  # type: ignore[method-assign]
        first.retire(oscar, GROUP, 1, "production", "his")
        return state

    store.load_version = racing  # type: ignore[method-assign]
    answer = first.retire(olivia, GROUP, 1, "production", "hers")
    assert answer["retirement"]["by"] == "oscar@example.com"  # his stands; hers wrote nothing
    assert [e.action for e in store.audit_entries(GROUP, 1)].count("retired") == 1
    assert [r["action"] for r in sent] == ["retire", "retire"]  # each asked for the teardown (skipped there)
