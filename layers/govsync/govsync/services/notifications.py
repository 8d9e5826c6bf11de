"""Telling people what changed: after a change is committed, the notifications its audit entry implies
(`domain.notifications`) go to every channel (the notifications topic, the central bus), then the
version's head records them told (`notified_seq`).

One message per fact: a redelivered event or a re-run job writes no audit entry, so tells nothing. A
delivery that fails is not retried on its own: the version's next committed change tells what was left
first, in order. A failure never fails the change (it is committed already): it is logged and counted
(`NotificationsFailed`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from govsync.domain.audit import AuditEntry
from govsync.domain.notifications import Notice, notices
from govsync.domain.version_state import VersionState
from govsync.notify import Channel, Notification, send_to_all
from govsync.observability import MetricUnit, logger, metrics


class NotifiedTrail(Protocol):
    """What the notifier needs of the governance table."""

    def audit_entries(self, group: str, version: int) -> list[AuditEntry]: ...

    def mark_notified(self, group: str, version: int, seq: int) -> bool: ...


def as_notification(notice: Notice) -> Notification:
    return Notification(notice.type, notice.to_json())


@dataclass(frozen=True, slots=True)
class Notifier:
    channels: Sequence[Channel]
    trail: NotifiedTrail
    dashboard_url: str | None = None

    def committed(self, state: VersionState, entry: AuditEntry | None) -> None:
        """`entry` was just committed over `state`: tell what it (and any change left untold) implies."""
        if entry is None or not self.channels:
            return
        told = state.notified_seq
        entries: Iterable[AuditEntry] = [entry]
        if told < entry.seq - 1:  # an earlier delivery failed: its entries first, in order
            earlier = [e for e in self.trail.audit_entries(state.group, state.version) if told < e.seq < entry.seq]
            entries = [*sorted(earlier, key=lambda e: e.seq), entry]
        try:
            sent = 0
            for each in entries:
                for notice in notices(each, self.dashboard_url):
                    send_to_all(self.channels, as_notification(notice))
                    sent += 1
                    logger.info("notified", type=notice.type, stage=notice.stage, notification_id=notice.id)
            self.trail.mark_notified(state.group, state.version, entry.seq)
        except Exception as exc:  # committed already: tell it with the version's next change
            logger.warning("notification not delivered; the version's next change tells it", error=str(exc)[:300])
            metrics.add_metric(name="NotificationsFailed", unit=MetricUnit.Count, value=1)
            return
        if sent:
            metrics.add_metric(name="Notifications", unit=MetricUnit.Count, value=sent)
