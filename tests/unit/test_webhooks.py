"""Signed webhooks: the signature a receiver verifies (the documented recipe), the endpoints per type,
retries with backoff, then the dead-letter queue with the reason; bad configuration named."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from govsync.domain.webhooks import endpoints_for, signature, url_problem, verify
from govsync.notify import Notification
from govsync.notify.webhook import WebhookChannel
from govsync.settings import ConfigurationError, SyncSettings

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-webhook-key"
NOW = 1_796_500_000.0


def test_a_receiver_verifies_exactly_what_was_signed_lately():
    body = b'{"type":"deployed"}'
    signed = signature(SECRET, int(NOW), body)
    assert re.fullmatch(r"v1=[0-9a-f]{64}", signed)
    assert verify(SECRET, str(int(NOW)), body, signed, NOW + 299)
    assert not verify(SECRET, str(int(NOW)), body + b" ", signed, NOW)  # another body
    assert not verify("another secret", str(int(NOW)), body, signed, NOW)
    assert not verify(SECRET, str(int(NOW)), body, signed, NOW + 301)  # too old: a replay
    assert not verify(SECRET, "soon", body, signed, NOW)


def test_the_docs_recipe_verifies_a_delivery_and_refuses_a_forged_one():
    page = (ROOT / "docs" / "notifications.md").read_text()
    recipe = page.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(recipe, "docs/notifications.md", "exec"), namespace)
    body = b'{"id":"x","type":"deployed"}'
    timestamp = str(int(NOW))
    headers = {"X-Govsync-Timestamp": timestamp, "X-Govsync-Signature": signature(SECRET, int(NOW), body)}
    assert namespace["verified"](SECRET, headers, body, now=NOW)
    assert not namespace["verified"](SECRET, {**headers, "X-Govsync-Signature": "v1=" + "0" * 64}, body, now=NOW)


def test_endpoints_per_type_then_for_every_type_each_once():
    hooks = {"deployed": ["https://a.example.com/h", "https://b.example.com/h"], "*": ["https://b.example.com/h"]}
    assert endpoints_for(hooks, "deployed") == ["https://a.example.com/h", "https://b.example.com/h"]
    assert endpoints_for(hooks, "gate-failed") == ["https://b.example.com/h"]
    assert endpoints_for({}, "deployed") == []
    assert url_problem("https://hooks.example.com/x") is None and url_problem("http://127.0.0.1:9/h") is None
    assert "https://" in url_problem("http://hooks.example.com/x")


@dataclass
class Receiver:
    answers: list[int | Exception]  # what each POST gets, in order (the last one repeats)
    posts: list[tuple[str, bytes, dict]] = field(default_factory=list)

    def post(self, url, body, headers):
        self.posts.append((url, body, dict(headers)))
        answer = self.answers[min(len(self.posts) - 1, len(self.answers) - 1)]
        if isinstance(answer, Exception):
            raise answer
        return answer


@dataclass
class DeadLetters:
    sent: list[tuple[str, str, str | None]] = field(default_factory=list)

    def send(self, body, *, reason, event_id, message_id):
        self.sent.append((body, reason, event_id))


NOTIFICATION = Notification("deployed", {"id": "abc:test:deployed", "type": "deployed", "stage": "test"})


def channel(answers, secret=lambda: SECRET) -> tuple[WebhookChannel, Receiver, DeadLetters, list[float]]:
    receiver, dead, slept = Receiver(answers), DeadLetters(), []
    hooks = {"deployed": ["https://hooks.example.com/govsync"]}
    return WebhookChannel(hooks, receiver, secret, dead, clock=lambda: NOW, sleep=slept.append), receiver, dead, slept


def test_a_delivery_is_signed_with_its_type_and_id():
    sender, receiver, dead, slept = channel([204])
    sender.send(NOTIFICATION)
    ((url, body, headers),) = receiver.posts
    assert url == "https://hooks.example.com/govsync" and dead.sent == [] and slept == []
    assert headers["X-Govsync-Type"] == "deployed" and headers["X-Govsync-Id"] == "abc:test:deployed"
    assert verify(SECRET, headers["X-Govsync-Timestamp"], body, headers["X-Govsync-Signature"], NOW)
    sender.send(Notification("gate-failed", {"id": "x"}))  # no endpoint for that type
    assert len(receiver.posts) == 1


def test_transient_failures_are_retried_with_backoff_then_dead_lettered_with_the_reason():
    sender, receiver, dead, slept = channel([503, ConnectionResetError("reset"), 502])
    sender.send(NOTIFICATION)
    assert len(receiver.posts) == 3 and slept == [1.0, 2.0]
    ((body, reason, event_id),) = dead.sent
    assert reason == "webhook https://hooks.example.com/govsync: HTTP 502 after 3 attempt(s)"
    assert event_id == "abc:test:deployed" and '"type":"deployed"' in body
    sender, receiver, dead, slept = channel([429, 200])
    sender.send(NOTIFICATION)
    assert len(receiver.posts) == 2 and dead.sent == []


def test_a_refusal_is_not_retried_and_an_unreadable_secret_is_dead_lettered():
    sender, receiver, dead, _ = channel([403])
    sender.send(NOTIFICATION)
    assert len(receiver.posts) == 1 and dead.sent[0][1].endswith("HTTP 403: the receiver refused it")

    def denied() -> str:
        raise PermissionError("AccessDenied")

    sender, receiver, dead, _ = channel([204], secret=denied)
    sender.send(NOTIFICATION)
    assert receiver.posts == [] and "the signing secret is not readable (PermissionError" in dead.sent[0][1]


ENV = {"GOVSYNC_TABLE": "gov", "AWS_REGION": "us-east-1"}
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:govsync-WebhookSecret-AbCdEf"
DLQ = "https://sqs.us-east-1.amazonaws.com/111111111111/govsync-NotificationsDLQ"


@pytest.mark.parametrize(
    ("webhooks", "extra", "message"),
    [('{"deploy": ["https://h.example.com"]}', True, "unknown notification types ['deploy']"),
     ('{"*": ["http://h.example.com/x"]}', True, "a webhook takes an https:// URL"),
     ('{"*": ["https://h.example.com/x"]}', False, "GOVSYNC_WEBHOOKS needs GOVSYNC_WEBHOOK_SECRET_ARN")],
)  # fmt: skip
def test_bad_webhook_settings_are_named(webhooks, extra, message):
    env = {**ENV, "GOVSYNC_WEBHOOKS": webhooks}
    if extra:
        env |= {"GOVSYNC_WEBHOOK_SECRET_ARN": SECRET_ARN, "GOVSYNC_NOTIFICATIONS_DLQ_URL": DLQ}
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        SyncSettings.from_env(env)
