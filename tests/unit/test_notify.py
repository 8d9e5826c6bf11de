"""The central event bus as a notification channel (the notifications themselves: test_notifications)."""

from __future__ import annotations

from govsync.notify import Notification, send_to_all
from govsync.notify.event_bus import EventBusChannel


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
