"""A kick whose endpoint is being updated waits for it on the deploy queue: a delayed copy of the request
that says since when it waits, for at most SageMaker's longest update, then the dead-letter queue with
the reason. Without a queue the busy endpoint is retried like any transient error."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from govsync.domain.deploy_requests import Outcome, parse_deploy_request, waiting_again
from govsync.domain.errors import EndpointBusy, RejectedEvent, RetryableError
from govsync.domain.guardrails import LONGEST_UPDATE
from govsync.services.update_waits import wait_for_update

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
REQUEST = json.dumps({"action": "promote", "model_group": "g", "model_version": 3, "stage": "production",
                      "event_id": "e-1"})  # fmt: skip
BUSY = EndpointBusy("endpoint g-production in 444444444444 is Updating; cannot update it yet")


class Later:
    def __init__(self):
        self.sent = []

    def send_later(self, body, delay_seconds):
        self.sent.append((body, delay_seconds))


def test_a_waiting_request_says_since_when_it_waits_and_keeps_its_first_wait():
    first, since = waiting_again(REQUEST, NOW)
    assert since == NOW and json.loads(first) == {**json.loads(REQUEST), "waiting_since": NOW.isoformat()}
    again, still = waiting_again(first, NOW + timedelta(minutes=2))
    assert still == NOW and again == first
    # the deploy function reads it as the same request
    assert parse_deploy_request(again, ("development", "test", "production")) == parse_deploy_request(
        REQUEST, ("development", "test", "production")
    )
    for wrong in ("soon", "2026-12-07T09:00:00"):  # a time, with its zone
        with pytest.raises(RejectedEvent, match="waiting_since"):
            parse_deploy_request(json.dumps({**json.loads(REQUEST), "waiting_since": wrong}), ("production",))


def test_the_request_comes_back_later_until_the_longest_update_is_over():
    queue = Later()
    assert wait_for_update(queue, REQUEST, BUSY, NOW, 120) is Outcome.WAITING
    ((body, delay),) = queue.sent
    assert delay == 120 and json.loads(body)["waiting_since"] == NOW.isoformat()
    # still busy two minutes on: the same first wait, another copy
    assert wait_for_update(queue, body, BUSY, NOW + timedelta(minutes=2), 120) is Outcome.WAITING
    assert queue.sent[1][0] == body
    # past SageMaker's longest update: the dead-letter queue, with why
    with pytest.raises(RejectedEvent, match="is Updating; cannot update it yet after waiting since 2026-12-07T09:00"):
        wait_for_update(queue, body, BUSY, NOW + LONGEST_UPDATE, 120)
    assert len(queue.sent) == 2


def test_without_a_queue_a_busy_endpoint_is_retried_as_before():
    with pytest.raises(RetryableError, match="is Updating"):
        wait_for_update(None, REQUEST, BUSY, NOW, 120)
