"""Notifications read off the audit trail: each type from the change that implies it, in its documented
shape (docs/notifications/<type>.schema.json); one message per fact under redelivery and re-runs; a
failed delivery told with the version's next change, once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import jsonschema
import pytest

from govsync.adapters.described_package import snapshot_from_describe
from govsync.domain.deployment import Action, Deployment, DeployState
from govsync.domain.endpoint_metrics import Breach, EndpointMetrics, MonitoringAlert
from govsync.domain.gate_results import GateOutcome, GateReport, GateResult
from govsync.domain.governance import resolve_governance
from govsync.domain.notifications import TYPES, version_link
from govsync.domain.records import build_stage_records
from govsync.domain.registry_decisions import RegistryDecision
from govsync.domain.stages import StageConfig
from govsync.notify import Notification
from govsync.services.notifications import Notifier
from govsync.services.updates import Audit, update_records

from ..fakes import InMemoryStore
from .helpers import GROUP, described

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = {kind: json.loads((ROOT / "docs" / "notifications" / f"{kind}.schema.json").read_text()) for kind in TYPES}
CONFIG = StageConfig()
DASHBOARD = "https://abc123.execute-api.us-east-1.amazonaws.com/v1/dashboard/index.html"
NOW = "2026-12-06T10:00:00+00:00"


@dataclass
class Heard:
    """A channel that keeps what it hears; `fail` makes its next sends fail (a throttled topic)."""

    notifications: list[Notification] = field(default_factory=list)
    fail: int = 0

    def send(self, notification: Notification) -> None:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("Publish: throttled")
        self.notifications.append(notification)

    @property
    def types(self) -> list[tuple[str, str]]:
        return [(n.kind, str(n.detail["stage"])) for n in self.notifications]


def stack() -> tuple[InMemoryStore, Heard]:
    store, heard = InMemoryStore(), Heard()
    store.on_commit = Notifier([heard], store, DASHBOARD).committed
    return store, heard


def change(store: InMemoryStore, edit, event: str = "e1") -> None:
    update_records(store, GROUP, 1, edit, Audit(event, "arn:aws:sts::111111111111:assumed-role/govsync/f", "test", NOW))


def registered(store: InMemoryStore) -> None:
    pkg = snapshot_from_describe(described())
    records = build_stage_records(pkg, resolve_governance(pkg, {}, CONFIG.metadata_keys), CONFIG)
    change(store, lambda before: {**before, **records}, "registered")


def with_stage(stage: str, **changes):
    """Change the stage's record (a new stage starts from development's facts, none of its decisions)."""

    def edit(records):
        fresh = replace(records["development"], model_stage=stage, registry_decision=None, gates=None)
        return {**records, stage: replace(records.get(stage) or fresh, **changes)}

    return edit


def test_each_type_from_the_change_that_implies_it_in_its_documented_shape():
    store, heard = stack()
    registered(store)
    alice = "arn:aws:sts::222222222222:assumed-role/ds/alice"
    unauthorized = RegistryDecision("approved", "registry", (alice,), NOW, authorized=False,
                                    reason="an identity of a dev account may not decide")  # fmt: skip
    change(store, with_stage("development", registry_decision=unauthorized))
    blocked = GateReport("test", "2026-12-06", NOW, (GateResult("approvers", GateOutcome.FAIL, "0 of 2 approvers"),))
    change(store, with_stage("test", model_status="pending", gates=blocked))
    live = Deployment(DeployState.LIVE, Action.PROMOTE, "333333333333", endpoint_name="fraud-detector-test")
    change(store, with_stage("test", deployment=live))
    failed = Deployment(DeployState.FAILED, Action.PROMOTE, "444444444444", error="ResourceLimitExceeded")
    change(store, with_stage("production", model_status="approved", deployment=failed))
    rolled = replace(live, status=DeployState.ROLLED_BACK, previous_version=None)
    change(store, with_stage("test", deployment=rolled))
    assert heard.types == [("approval-requested", "development"), ("unauthorized-decision", "development"),
                           ("approval-requested", "test"), ("gate-failed", "test"), ("deployed", "test"),
                           ("deployment-failed", "production"), ("rolled-back", "test")]  # fmt: skip
    for notification in heard.notifications:
        jsonschema.validate(notification.detail, SCHEMAS[notification.kind], format_checker=jsonschema.FormatChecker())
        assert notification.detail["link"] == f"{DASHBOARD}#/models/{GROUP}/1"
    gate = next(n.detail for n in heard.notifications if n.kind == "gate-failed")
    assert gate["summary"] == "deploying into test waits: approvers: 0 of 2 approvers"
    failure = next(n.detail for n in heard.notifications if n.kind == "deployment-failed")
    assert failure["detail"] == {"account": "444444444444", "action": "promote", "error": "ResourceLimitExceeded"}


def test_a_redelivered_event_or_a_rerun_tells_nothing_twice():
    store, heard = stack()
    registered(store)
    registered(store)  # the same change again: no entry, nothing told
    live = Deployment(DeployState.LIVE, Action.PROMOTE, "333333333333")
    change(store, with_stage("test", deployment=live))
    change(store, with_stage("test", deployment=live))  # a re-run finds it live already
    assert heard.types == [("approval-requested", "development"), ("approval-requested", "test"), ("deployed", "test")]
    assert len({n.detail["id"] for n in heard.notifications}) == 3


def test_a_failed_delivery_is_told_with_the_versions_next_change_once_and_in_order():
    store, heard = stack()
    registered(store)
    heard.fail = 1
    change(store, with_stage("test", model_status="pending"))  # committed; its notification not delivered
    assert heard.types == [("approval-requested", "development")] and store.notified[(GROUP, 1)] == 1
    change(store, with_stage("test", deployment=Deployment(DeployState.LIVE, Action.PROMOTE, "333333333333")))
    assert heard.types == [("approval-requested", "development"), ("approval-requested", "test"), ("deployed", "test")]
    assert store.notified[(GROUP, 1)] == 3
    assert [n.detail["audit_seq"] for n in heard.notifications] == [1, 2, 3]


def test_a_version_older_than_notifications_tells_only_what_changes_from_now():
    store, heard = stack()
    registered(store)
    heard.notifications.clear()
    del store.notified[(GROUP, 1)]  # written before notifications: no V#NOTIFIED item
    change(store, with_stage("test", model_status="pending"))
    assert heard.types == [("approval-requested", "test")]


def test_links_only_when_the_dashboard_is_configured():
    assert version_link(None, GROUP, 1) is None
    assert version_link(DASHBOARD + "#/inventory", "a b", 2) == f"{DASHBOARD}#/models/a%20b/2"


@pytest.mark.parametrize("kind", TYPES)
def test_every_schema_is_a_valid_json_schema_with_the_shared_envelope(kind):
    schema = SCHEMAS[kind]
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["type"] == {"const": kind}
    assert {"id", "time", "model_group", "model_version", "stage", "summary", "detail"} <= set(schema["required"])


def test_the_docs_example_is_a_message_of_its_documented_shape():
    page = (ROOT / "docs" / "notifications.md").read_text()
    example = json.loads(page.split("```json\n", 1)[1].split("```", 1)[0])
    jsonschema.validate(example, SCHEMAS[example["type"]], format_checker=jsonschema.FormatChecker())


def test_a_metric_alert_is_told_when_raised_and_when_resolved_not_while_it_stays():
    store, heard = stack()
    registered(store)
    heard.notifications.clear()

    def window(end: str, alert: MonitoringAlert | None):
        metrics = EndpointMetrics("fraud-detector-test", "333333333333", "us-east-1", "s", end, end,
                                  {"invocations": 100, "invocation_5xx_rate": 0.09})  # fmt: skip
        return with_stage("test", model_monitoring_metrics=metrics, monitoring_alert=alert)

    raised = MonitoringAlert("w1", "w1", (Breach("invocation_5xx_rate", 0.09, 0.05),))
    change(store, window("w1", raised), "metrics-w1")
    change(store, window("w2", replace(raised, window_end="w2")), "metrics-w2")  # still breached: nothing new
    change(store, window("w3", None), "metrics-w3")
    metric = [n.kind for n in heard.notifications if n.kind.startswith("metric")]
    assert metric == ["metric-alert", "metric-alert-resolved"]
    alert, resolved = [n.detail for n in heard.notifications if n.kind.startswith("metric")]
    assert alert["summary"] == "test's metrics breach its thresholds: invocation_5xx_rate 0.09 over 0.05"
    assert alert["detail"]["since"] == resolved["detail"]["since"] == "w1"
    assert alert["detail"]["endpoint_name"] == "fraud-detector-test" and resolved["detail"]["window_end"] == "w3"
    for detail, kind in ((alert, "metric-alert"), (resolved, "metric-alert-resolved")):
        jsonschema.validate(detail, SCHEMAS[kind], format_checker=jsonschema.FormatChecker())
