"""The notifications topic as a channel: one SNS message per notification, `type` a message attribute
(subscribers filter on it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from govsync.notify import Notification


class TopicPublisher(Protocol):
    """Publish of one message (the SNS adapter)."""

    def publish(self, subject: str, message: dict[str, Any], attributes: dict[str, str]) -> str: ...


@dataclass(frozen=True, slots=True)
class TopicChannel:
    publisher: TopicPublisher

    def send(self, notification: Notification) -> None:
        detail = dict(notification.detail)
        subject = f"govsync {notification.kind}: {detail.get('model_group')} v{detail.get('model_version')}"
        self.publisher.publish(subject, detail, {"type": notification.kind, "source": "govsync"})
