"""The settings every function shares, in blocks: the table and region, a queue-fed function's dead
letters, the stage chain, the stage targets, whose events are accepted and who may register. Every
setting is declared once, in these blocks or in `settings.capabilities`, with its variable, default and
meaning; a function's settings (`settings.functions`) are the blocks it needs."""

from __future__ import annotations

import re
from typing import Any, Self, TypedDict

from pydantic import field_validator, model_validator

from govsync.domain.artifacts import BUCKET_NAME
from govsync.domain.events import ACCOUNT_ID, REGION, EventPolicy
from govsync.domain.governance import DEFAULT_METADATA_KEYS
from govsync.domain.registrations import parse_dev_accounts
from govsync.domain.stages import StageConfig
from govsync.domain.targets import StageTarget, Target, resolve_targets, role_arn
from govsync.settings.declare import SettingsModel, check_each, setting

STAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}:[0-9]{12}:key/[A-Za-z0-9-]{1,128}")
QUEUE_URL = re.compile(r"https?://[^\s/]+/[0-9]{12}/[A-Za-z0-9_-]{1,80}(\.fifo)?")
ROLE_NAME = r"^[\w+=,.@-]{1,64}$"


class EachMatches(TypedDict):
    each_matches: re.Pattern[str]
    pattern_means: str


ACCOUNT = EachMatches(each_matches=ACCOUNT_ID, pattern_means="a 12-digit account id")
BUCKET = EachMatches(each_matches=BUCKET_NAME, pattern_means="an S3 bucket name")
QUEUE = EachMatches(each_matches=QUEUE_URL, pattern_means="an SQS queue URL")


def unknown_stages(names: object, stages: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(names) - set(stages))  # type: ignore[call-overload]
    if unknown:
        raise ValueError(f"{what} names stages that are not in the chain: {unknown}")


class Common(SettingsModel):
    """What every function has: the table and the region."""

    governance_table: str = setting("GOVSYNC_TABLE", "the governance table", min_length=3)
    region: str = setting(
        "AWS_REGION",
        "the function's region (Lambda sets it)",
        each_matches=REGION,
        pattern_means="a region name",
        min_length=1,
    )


class Queued(Common):
    """A queue-fed function: where the messages it cannot process go, and when."""

    dead_letter_queue_url: str | None = setting(
        "GOVSYNC_DEAD_LETTER_QUEUE_URL", "where the function's rejected messages go, with their reason", None, **QUEUE
    )
    max_receive_count: int = setting(
        "GOVSYNC_MAX_RECEIVE_COUNT",
        "the queues' maxReceiveCount: on that delivery a transient failure is dead-lettered with its reason",
        5,
        ge=1,
        le=1000,
    )


class StageChain(Common):
    """The promotion chain and how the registry's words map onto it."""

    stages: tuple[str, ...] = setting(
        "GOVSYNC_STAGES",
        "the promotion chain, first stage first",
        ("development", "test", "production"),
        reading="list",
    )
    stage_aliases: dict[str, str] = setting(
        "GOVSYNC_STAGE_ALIASES",
        "ModelLifeCycle stage names mapped onto stages (JSON)",
        lambda: {"staging": "test", "prod": "production"},
        reading="json",
    )
    metadata_keys: dict[str, str] = setting(
        "GOVSYNC_METADATA_KEYS",
        "record field -> the metadata key it is read from (JSON; unset keys keep theirs)",
        lambda: dict(DEFAULT_METADATA_KEYS),
        reading="json",
        tuning=True,
    )

    @field_validator("stages")
    @classmethod
    def _stages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) < 1 or len({s.lower() for s in value}) != len(value):
            raise ValueError("stages must be a non-empty list of distinct names")
        check_each(value, STAGE_NAME, "a stage name (letters, digits, - and _, at most 63)")
        return value

    @field_validator("metadata_keys")
    @classmethod
    def _keys(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = set(value) - set(DEFAULT_METADATA_KEYS)
        if unknown:
            raise ValueError(f"unknown record fields {sorted(unknown)}")
        return {**DEFAULT_METADATA_KEYS, **value}

    @property
    def stage_config(self) -> StageConfig:
        return StageConfig(stages=self.stages, aliases=self.stage_aliases, metadata_keys=self.metadata_keys)


class Targets(StageChain):
    """Where each stage deploys: its account, strategy and roles."""

    account_id: str | None = setting("GOVSYNC_ACCOUNT_ID", "the central account", None, **ACCOUNT)
    partition: str = setting("GOVSYNC_PARTITION", "the central account's partition", "aws")
    stage_targets: dict[str, StageTarget] = setting(
        "GOVSYNC_STAGE_TARGETS", "stage -> its target: account, strategy and its options (JSON)", dict, reading="json"
    )
    deploy_role_name: str = setting(
        "GOVSYNC_DEPLOY_ROLE_NAME",
        "the role assumed in each stage account to deploy",
        "govsync-deploy",
        pattern=ROLE_NAME,
    )

    @field_validator("stage_targets")
    @classmethod
    def _strategies(cls, value: dict[str, StageTarget]) -> dict[str, StageTarget]:
        """Each target's strategy exists and has what it needs (the strategies say what)."""
        from govsync.strategies import check_target

        for target in value.values():
            check_target(target)
        return value

    @model_validator(mode="after")
    def _targets_in_chain(self) -> Self:
        unknown_stages(self.stage_targets, self.stages, "stage_targets")
        if self.stages[0] in self.stage_targets:
            raise ValueError(
                f"stage_targets: {self.stages[0]!r} is the first stage (where versions are registered); "
                "approving it deploys into the next stage, so it takes no target"
            )
        return self

    @property
    def targets(self) -> dict[str, Target]:
        """The stage targets with their defaults resolved (deploy role, execution role, bus)."""
        return resolve_targets(
            self.stage_targets,
            role_name=self.deploy_role_name,
            region=self.region,
            partition=self.partition,
            central_account=self.account_id,
            final_stage=self.stages[-1],
        )

    def stage_role_arn(self, account: str, role_name: str) -> str:
        return role_arn(self.partition, account, role_name)

    def external_id_for(self, account: str) -> str | None:
        """The external id the stage targets set for `account` (its roles demand the same one)."""
        return next((t.external_id for t in self.stage_targets.values() if t.account == account), None)

    @property
    def notification_bus(self) -> str:
        """Where govsync's own notifications go: this account's default bus."""
        if self.account_id is None:
            return "default"
        return f"arn:{self.partition}:events:{self.region}:{self.account_id}:event-bus/default"


class QueueConsumer(Targets, Queued):
    """What every queue-fed service has (`services.messages.Consumer`): the stage targets and its queue's."""


class EventSources(Common):
    """Whose registry events are accepted."""

    allowed_accounts: frozenset[str] = setting(
        "GOVSYNC_ALLOWED_ACCOUNTS", "accounts whose registry events are accepted", reading="list", **ACCOUNT
    )
    allowed_regions: frozenset[str] = setting(
        "GOVSYNC_ALLOWED_REGIONS",
        "regions whose registry events are accepted (default: the function's)",
        frozenset(),
        reading="list",
        each_matches=REGION,
        pattern_means="a region name",
    )

    @model_validator(mode="before")
    @classmethod
    def _own_region(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("allowed_regions") and data.get("region"):
            return {**data, "allowed_regions": [data["region"]]}
        return data

    @property
    def event_policy(self) -> EventPolicy:
        return EventPolicy(allowed_accounts=self.allowed_accounts, allowed_regions=self.allowed_regions)


class Registrations(EventSources):
    """Which dev accounts may register into which groups."""

    dev_accounts: dict[str, tuple[str, ...]] = setting(
        "GOVSYNC_DEV_ACCOUNTS",
        "dev accounts whose registrations are accepted: a comma-separated list (any group) "
        "or JSON account -> group names or patterns",
        dict,
    )

    @field_validator("dev_accounts", mode="before")
    @classmethod
    def _dev_accounts(cls, value: Any) -> Any:
        """A comma-separated list of accounts (every group) or a JSON object account -> groups."""
        if isinstance(value, str):
            try:
                value = parse_dev_accounts(value)
            except ValueError as exc:
                raise ValueError(f"not a list of account ids nor a JSON object of account -> groups ({exc})") from exc
        if isinstance(value, dict):
            check_each(frozenset(value), ACCOUNT_ID, "a 12-digit account id")
        return value
