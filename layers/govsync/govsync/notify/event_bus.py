"""The central event bus as a notification channel: one event per notification, `source: govsync`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from govsync.notify import Notification


class EventPublisher(Protocol):
    """PutEvents of one event (the EventBridge adapter)."""

    def publish(self, bus: str, detail_type: str, detail: dict[str, object], resources: list[str]) -> str: ...


@dataclass(frozen=True, slots=True)
class EventBusChannel:
    publisher: EventPublisher
    bus: str  # the bus's name or ARN

    def send(self, notification: Notification) -> None:
        self.publisher.publish(self.bus, notification.kind, dict(notification.detail), list(notification.resources))
