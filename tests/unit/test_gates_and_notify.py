"""The homes of policy gates and notifications: a gate's protocol and its one list, a notification as a
value and the event bus as its channel."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from govsync.adapters.described_package import snapshot_from_describe
from govsync.domain import alerts
from govsync.domain.endpoint_metrics import Breach, EndpointMetrics, MonitoringAlert
from govsync.domain.governance import resolve_governance
from govsync.domain.records import StageConfig, build_stage_records
from govsync.gates import RULES, GateContext, GateResult, evaluate, failures
from govsync.notify import Notification, send_to_all
from govsync.notify.event_bus import EventBusChannel
from govsync.notify.monitoring import monitoring_alert

from .helpers import ARN, described

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CONFIG = StageConfig()


def context() -> GateContext:
    pkg = snapshot_from_describe(described())
    records = build_stage_records(pkg, resolve_governance(pkg, {}, CONFIG.metadata_keys), CONFIG)
    return GateContext(package=pkg, records=records, stage="test", now=NOW)


@dataclass(frozen=True)
class NeedsRisk:
    """A gate for the test: the version must name its risk tier."""

    name: str = "needs-risk"

    def check(self, context: GateContext) -> GateResult:
        risk = context.records["development"].model_risk
        return GateResult(self.name, bool(risk), "" if risk else "no risk tier")


@dataclass(frozen=True)
class Never:
    name: str = "never"

    def check(self, context: GateContext) -> GateResult:
        return GateResult(self.name, False, f"{context.package.arn} may not enter {context.stage}")


def test_no_gate_is_in_force_yet_so_every_deployment_passes():
    assert RULES == ()
    assert evaluate(context()) == []
    assert failures(evaluate(context())) == []


def test_every_gate_is_evaluated_and_each_failure_says_why():
    # Given two gates, the first passing, the second failing
    results = evaluate(context(), [NeedsRisk(), Never()])
    # Then both answer, in order, and only the failing one blocks, naming the version and the stage
    assert [r.gate for r in results] == ["needs-risk", "never"]
    (blocking,) = failures(results)
    assert blocking.gate == "never" and ARN in blocking.reason and "test" in blocking.reason


class Bus:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, object], list[str]]] = []

    def publish(self, bus: str, detail_type: str, detail: dict[str, object], resources: list[str]) -> str:
        self.sent.append((bus, detail_type, detail, resources))
        return f"event-{len(self.sent)}"


def test_the_event_bus_channel_sends_one_event_per_notification():
    bus = Bus()
    note = Notification("Something Happened", {"Answer": 42}, ("arn:x",))
    send_to_all([EventBusChannel(bus, "default")], note)
    assert bus.sent == [("default", "Something Happened", {"Answer": 42}, ["arn:x"])]


def test_a_raised_monitoring_alert_tells_the_window_the_breaches_and_the_values():
    pkg = snapshot_from_describe(described())
    record = build_stage_records(pkg, resolve_governance(pkg, {}, CONFIG.metadata_keys), CONFIG)["development"]
    window = EndpointMetrics("ep", "333333333333", "us-east-1", "s", "e", "c", {"invocation_5xx_rate": 0.03})
    alert = MonitoringAlert("s", "e", (Breach("invocation_5xx_rate", 0.03, 0.02),))
    after = replace(record, model_monitoring_metrics=window, monitoring_alert=alert)
    note = monitoring_alert(alerts.ALERT_RAISED, record, after)
    assert note.kind == alerts.ALERT_RAISED and note.resources == (ARN,)
    assert note.detail["EndpointName"] == "ep" and note.detail["Since"] == "s"
    assert note.detail["Breaches"] == [{"metric": "invocation_5xx_rate", "value": 0.03, "threshold": 0.02}]
    assert note.detail["Values"] == window.values
    # resolved: the alert's start comes from the record before, no breaches are left
    resolved = monitoring_alert(alerts.ALERT_RESOLVED, after, replace(after, monitoring_alert=None))
    assert resolved.detail["Since"] == "s" and resolved.detail["Breaches"] == []
