"""Notifications: a notification as a value and the event bus as its channel."""

from __future__ import annotations

from dataclasses import replace

from govsync.adapters.described_package import snapshot_from_describe
from govsync.domain import alerts
from govsync.domain.endpoint_metrics import Breach, EndpointMetrics, MonitoringAlert
from govsync.domain.governance import resolve_governance
from govsync.domain.records import StageConfig, build_stage_records
from govsync.notify import Notification, send_to_all
from govsync.notify.event_bus import EventBusChannel
from govsync.notify.monitoring import monitoring_alert

from .helpers import ARN, described

CONFIG = StageConfig()


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
