"""Deploy requests: what the registry sync hands the deploy function, and the checks on a message."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from govsync.domain.deployment import Action, Deployment, DeployState, Rollback, RollbackState
from govsync.domain.errors import RejectedEvent
from govsync.domain.events import rejection_reason
from govsync.domain.record_facts import Retirement, Teardown
from govsync.domain.records import StageRecord


class Outcome(StrEnum):
    """What the deploy function made of one request."""

    KICKED = "kicked"
    SKIPPED = "skipped"
    REFUSED = "refused"
    BLOCKED = "blocked"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    NO_ROLLBACK = "no_rollback"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    RETIRED = "retired"
    WAITING = "waiting"  # the stage's endpoint is being updated: the request comes back later


@dataclass(frozen=True, slots=True)
class DeployRequest:
    action: Action
    model_group: str
    model_version: int
    stage: str
    event_id: str

    def to_json(self) -> dict[str, str | int]:
        return {
            "action": self.action.value,
            "model_group": self.model_group,
            "model_version": self.model_version,
            "stage": self.stage,
            "event_id": self.event_id,
        }


def open_requests(records: dict[str, StageRecord], message_id: str | None = None) -> list[DeployRequest]:
    """The deploy requests these records hold that no deploy function has taken yet (only those the
    message `message_id` opened, if given)."""
    requests = []
    for stage, record in records.items():
        deployment, rollback, retirement = record.deployment, record.deployment.rollback, record.retirement
        waiting: list[tuple[Action, Deployment | Rollback | Retirement]] = []
        if deployment.status is DeployState.REQUESTED:
            waiting.append((Action.PROMOTE, deployment))
        if rollback is not None and rollback.status is RollbackState.REQUESTED:
            waiting.append((Action.ROLLBACK, rollback))
        if retirement is not None and retirement.teardown is Teardown.REQUESTED:
            waiting.append((Action.RETIRE, retirement))
        requests += [
            DeployRequest(action, record.model_group, record.model_version, stage, asked.requested_by_event or "")
            for action, asked in waiting
            if message_id in (None, asked.requested_by_message)
        ]
    return requests


def to_send(
    before: dict[str, StageRecord], after: dict[str, StageRecord], message_id: str | None, *, redelivered: bool
) -> list[DeployRequest]:
    """What the message that made the change `before` -> `after` sends: the requests the change opened,
    and, when this message is handed again (an earlier attempt may have committed, then failed to
    send), the requests it opened then that are still open. A duplicate of the same event is another
    message: it sends nothing."""
    sending = [r for r in open_requests(after) if r not in open_requests(before)]
    if redelivered and message_id is not None:
        sending += [r for r in open_requests(after, message_id) if r not in sending]
    return sending


class DeployRequestMessage(BaseModel):
    """The body of a message on the deploy requests queue."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    action: Action
    model_group: str = Field(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
    model_version: int = Field(ge=1)
    stage: str = Field(min_length=1, max_length=64)
    event_id: str = Field(default="", max_length=128)
    # since when the request waits for the stage's endpoint to finish an update (`waiting_again`)
    waiting_since: AwareDatetime | None = None

    def request(self) -> DeployRequest:
        return DeployRequest(self.action, self.model_group, self.model_version, self.stage, self.event_id)


def parse_deploy_request(body: str, stages: tuple[str, ...]) -> DeployRequest:
    try:
        message = DeployRequestMessage.model_validate_json(body)
    except ValidationError as exc:
        raise RejectedEvent(rejection_reason(exc, "deploy request")) from exc
    if message.stage not in stages:
        raise RejectedEvent(f"deploy request names an unknown stage {message.stage[:64]!r}")
    return message.request()


def waiting_again(body: str, now: datetime) -> tuple[str, datetime]:
    """The request again, to come back once the stage's endpoint may be done updating, and since when it
    waits (its first wait's time, kept across its returns)."""
    message = DeployRequestMessage.model_validate_json(body)
    since = message.waiting_since or now
    return json.dumps({**json.loads(body), "waiting_since": since.isoformat()}, sort_keys=True), since
