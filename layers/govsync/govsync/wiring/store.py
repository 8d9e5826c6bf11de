"""What every function shares: the governance table (told of each committed change, where the function
notifies) and the dead-letter queue."""

from __future__ import annotations

from govsync.adapters.eventbus import EventPublisher
from govsync.adapters.http import HttpPoster
from govsync.adapters.secrets import SecretValue
from govsync.adapters.sns import TopicPublisher
from govsync.adapters.sqs import SqsDeadLetter
from govsync.adapters.store import GovernanceStore
from govsync.notify import Channel
from govsync.notify.event_bus import EventBusChannel
from govsync.notify.topic import TopicChannel
from govsync.notify.webhook import WebhookChannel
from govsync.services.notifications import Notifier
from govsync.settings import Common, Notifying, Queued, Targets, settings_for
from govsync.wiring.built import built_once


@built_once
def governance_store() -> GovernanceStore:
    settings = settings_for(Common)
    return GovernanceStore(settings.governance_table, settings.region)


def dead_letter(settings: Queued) -> SqsDeadLetter:
    return SqsDeadLetter(settings.dead_letter_queue_url, settings.region)


def notified_store[S: Notifying](settings: S) -> GovernanceStore:
    """The governance table, its committed changes told on the central bus and the notifications topic."""
    store = governance_store()
    if store.on_commit is None:
        channels: list[Channel] = []
        if isinstance(settings, Targets):
            channels.append(EventBusChannel(EventPublisher(settings.region), settings.notification_bus))
        if settings.notification_topic_arn:
            channels.append(TopicChannel(TopicPublisher(settings.notification_topic_arn)))
        if any(settings.webhooks.values()) and settings.webhook_secret_arn:  # last: it never fails the others
            dead = SqsDeadLetter(settings.notifications_dlq_url, settings.region)
            channels.append(
                WebhookChannel(settings.webhooks, HttpPoster(), SecretValue(settings.webhook_secret_arn), dead)
            )
        store.on_commit = Notifier(channels, store, settings.dashboard_url).committed
    return store
