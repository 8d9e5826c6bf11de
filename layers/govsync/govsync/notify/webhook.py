"""Signed webhooks as a channel: each notification POSTed as JSON to the endpoints configured for its
type (`*`: every type), signed (`domain.webhooks`), retried with backoff on a network error, a timeout,
408, 429 or a 5xx; after the last try (or at once on another 4xx: the receiver refuses it) the
notification goes to the notifications dead-letter queue with the reason. The channel never fails the
change that made the notification: a receiver's trouble is the receiver's, dead-lettered to redrive."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from govsync.domain.webhooks import ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, TYPE_HEADER, endpoints_for, signature
from govsync.notify import Notification

RETRIED_CLIENT_ERRORS = frozenset({408, 429})


class Poster(Protocol):
    """One HTTP POST; its status (raises on a network error or a timeout)."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int: ...


class DeadLetter(Protocol):
    def send(self, body: str, *, reason: str, event_id: str | None, message_id: str) -> None: ...


@dataclass
class WebhookChannel:
    webhooks: Mapping[str, Sequence[str]]  # type (or "*") -> endpoint URLs
    poster: Poster
    secret: Callable[[], str]  # the signing secret (read when first needed)
    dead_letter: DeadLetter
    attempts: int = 3
    backoff_seconds: float = 1.0  # then doubled at each try
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    def send(self, notification: Notification) -> None:
        urls = endpoints_for(self.webhooks, notification.kind)
        if not urls:
            return
        body = json.dumps(dict(notification.detail), sort_keys=True, separators=(",", ":"), default=str).encode()
        for url in urls:
            reason = self._deliver(url, notification, body)
            if reason is not None:
                self.dead_letter.send(body.decode(), reason=f"webhook {url}: {reason}",
                                      event_id=str(notification.detail.get("id")), message_id=url)  # fmt: skip

    def _deliver(self, url: str, notification: Notification, body: bytes) -> str | None:
        """None when delivered; else why not, after the tries it deserved."""
        try:
            secret = self.secret()
        except Exception as exc:
            return f"the signing secret is not readable ({type(exc).__name__}: {str(exc)[:200]})"
        reason = ""
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                self.sleep(self.backoff_seconds * 2 ** (attempt - 2))
            timestamp = int(self.clock())
            headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: str(timestamp),
                       SIGNATURE_HEADER: signature(secret, timestamp, body), TYPE_HEADER: notification.kind,
                       ID_HEADER: str(notification.detail.get("id"))}  # fmt: skip
            try:
                status = self.poster.post(url, body, headers)
            except Exception as exc:  # network, TLS, timeout
                reason = f"{type(exc).__name__}: {str(exc)[:200]} after {attempt} attempt(s)"
                continue
            if 200 <= status < 300:
                return None
            reason = f"HTTP {status} after {attempt} attempt(s)"
            if status < 500 and status not in RETRIED_CLIENT_ERRORS:
                return f"HTTP {status}: the receiver refused it"
        return reason
