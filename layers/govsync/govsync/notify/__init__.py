"""Notifications: what govsync tells people and their tools, as values, and the channels that carry them.

A `Notification` is a fact worth telling, in one documented shape per type (`domain.notifications`
reads them off the audit trail; `services.notifications` tells them once each); a channel is a module of
this package behind the `Channel` protocol: the central event bus (`notify.event_bus`), the
notifications topic (`notify.topic`), signed webhooks (`notify.webhook`). A new channel or a new type of
notification changes no service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Notification:
    """One fact to tell: its kind, its JSON-ready detail and the ARNs it is about."""

    kind: str
    detail: Mapping[str, object]
    resources: tuple[str, ...] = field(default_factory=tuple)


class Channel(Protocol):
    """A way a notification leaves govsync. `send` raises a retryable error when it could not."""

    def send(self, notification: Notification) -> None: ...


def send_to_all(channels: Iterable[Channel], notification: Notification) -> None:
    """Every channel hears the notification, in order; the first failure stops (and is retried)."""
    for channel in channels:
        channel.send(notification)
