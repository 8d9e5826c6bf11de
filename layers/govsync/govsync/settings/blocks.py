"""The settings, in blocks a capability is made of. Every setting is declared once, here, with its
variable, default and meaning; a function's settings (`settings.functions`) are the blocks it needs."""

from __future__ import annotations

import re
from typing import Any, Self, TypedDict

from pydantic import field_validator, model_validator

from govsync.domain.approvals import DEFAULT_APPROVAL_RULES, ApprovalRules
from govsync.domain.artifacts import BUCKET_NAME
from govsync.domain.events import ACCOUNT_ID, REGION, EventPolicy
from govsync.domain.monitoring import Thresholds
from govsync.domain.records import DEFAULT_METADATA_KEYS, StageConfig
from govsync.domain.sharing import parse_dev_accounts
from govsync.domain.targets import StageTarget, Target, resolve_targets, role_arn
from govsync.domain.usecases import DEFAULT_USE_CASE_MAP, USE_CASE_STAGES
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
    region: str = setting("AWS_REGION", "the function's region (Lambda sets it)", each_matches=REGION,
                          pattern_means="a region name", min_length=1)  # fmt: skip


class Queued(Common):
    """A queue-fed function: where the messages it cannot process go, and when."""

    dead_letter_queue_url: str | None = setting(
        "GOVSYNC_DEAD_LETTER_QUEUE_URL", "where the function's rejected messages go, with their reason", None, **QUEUE
    )
    max_receive_count: int = setting(
        "GOVSYNC_MAX_RECEIVE_COUNT", "the queues' maxReceiveCount: on that delivery a transient failure is "
        "dead-lettered with its reason", 5, ge=1, le=1000,
    )  # fmt: skip


class StageChain(Common):
    """The promotion chain and how the registry's words map onto it."""

    stages: tuple[str, ...] = setting("GOVSYNC_STAGES", "the promotion chain, first stage first",
                                      ("development", "test", "production"), reading="list")  # fmt: skip
    stage_aliases: dict[str, str] = setting(
        "GOVSYNC_STAGE_ALIASES", "ModelLifeCycle stage names mapped onto stages (JSON)",
        lambda: {"staging": "test", "prod": "production"}, reading="json",
    )  # fmt: skip
    metadata_keys: dict[str, str] = setting(
        "GOVSYNC_METADATA_KEYS", "record field -> the metadata key it is read from (JSON; unset keys keep theirs)",
        lambda: dict(DEFAULT_METADATA_KEYS), reading="json", tuning=True,
    )  # fmt: skip

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
    deploy_role_name: str = setting("GOVSYNC_DEPLOY_ROLE_NAME", "the role assumed in each stage account to deploy",
                                    "govsync-deploy", pattern=ROLE_NAME)  # fmt: skip

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
        return resolve_targets(self.stage_targets, role_name=self.deploy_role_name, region=self.region,
                               partition=self.partition, central_account=self.account_id)  # fmt: skip

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

    allowed_accounts: frozenset[str] = setting("GOVSYNC_ALLOWED_ACCOUNTS", "accounts whose registry events are "
                                               "accepted", reading="list", **ACCOUNT)  # fmt: skip
    allowed_regions: frozenset[str] = setting("GOVSYNC_ALLOWED_REGIONS", "regions whose registry events are "
                                              "accepted (default: the function's)", frozenset(), reading="list",
                                              each_matches=REGION, pattern_means="a region name")  # fmt: skip

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
        "GOVSYNC_DEV_ACCOUNTS", "dev accounts whose registrations are accepted: a comma-separated list (any group) "
        "or JSON account -> group names or patterns", dict,
    )  # fmt: skip

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


class Copies(Common):
    """Central copies of the artifacts: from which buckets, into which, with which key, in what pieces."""

    artifact_buckets: frozenset[str] = setting("GOVSYNC_ARTIFACT_BUCKETS", "buckets artifacts may be copied from",
                                               frozenset(), reading="list", **BUCKET)  # fmt: skip
    artifact_bucket: str | None = setting("GOVSYNC_ARTIFACT_BUCKET", "the central artifact bucket", None, **BUCKET)
    artifact_key_arn: str | None = setting(
        "GOVSYNC_ARTIFACT_KEY_ARN", "the key copies are encrypted with", None, each_matches=KMS_KEY_ARN,
        pattern_means="a KMS key ARN (copies are encrypted with the key by its ARN, not an alias)",
    )  # fmt: skip
    source_role_name: str | None = setting("GOVSYNC_SOURCE_ROLE_NAME", "empty: dev bucket policies grant read; "
                                           "else the role assumed in each source account", None)  # fmt: skip
    copy_threshold_mib: int = setting("GOVSYNC_COPY_THRESHOLD_MIB", "copies above it are multipart", 256, ge=5,
                                      le=5 * 1024, tuning=True)  # fmt: skip
    copy_part_mib: int = setting("GOVSYNC_COPY_PART_MIB", "a multipart copy's part size", 128, ge=5, le=5 * 1024,
                                 tuning=True)  # fmt: skip
    copy_concurrency: int = setting("GOVSYNC_COPY_CONCURRENCY", "parts copied at once", 8, ge=1, le=64, tuning=True)


class UseCaseStages(StageChain):
    use_case_stage_map: dict[str, str] | None = setting(
        "GOVSYNC_USE_CASE_STAGES", "use-case stage -> the model stage all its models must be approved in (JSON; "
        "default: the default map, limited to the chain's stages)", None, reading="json",
    )  # fmt: skip

    @model_validator(mode="after")
    def _use_case_map(self) -> Self:
        explicit = self.use_case_stage_map or {}
        bad_keys = sorted(set(explicit) - set(USE_CASE_STAGES))
        bad_values = sorted(set(explicit.values()) - set(self.stages))
        if bad_keys or bad_values:
            raise ValueError(
                f"use_case_stage_map: unknown use-case stages {bad_keys} or model stages {bad_values} "
                f"(use-case stages are {list(USE_CASE_STAGES)})"
            )
        return self

    @property
    def use_case_stages(self) -> dict[str, str]:
        if self.use_case_stage_map is not None:
            return dict(self.use_case_stage_map)
        return {k: v for k, v in DEFAULT_USE_CASE_MAP.items() if v in self.stages}


class Approvals(StageChain):
    """People's decisions: how many approvers, and which person an IAM identity is."""

    approval_rules: dict[str, dict[str, int]] | None = setting(
        "GOVSYNC_APPROVAL_RULES", "risk tier -> stage -> distinct approvers (JSON; default: two for high risk in "
        "the second stage)", None, reading="json",
    )  # fmt: skip
    identity_map: dict[str, str] = setting("GOVSYNC_IDENTITY_MAP", "IAM identity ARN or `*` pattern -> the person "
                                           "it belongs to (JSON)", dict, reading="json")  # fmt: skip

    @field_validator("approval_rules", mode="before")
    @classmethod
    def _rules(cls, value: Any) -> Any:
        if isinstance(value, dict):
            ApprovalRules.parse(value)  # raises ValueError naming the bad entry
        return value

    @model_validator(mode="after")
    def _rules_in_chain(self) -> Self:
        unknown_stages(ApprovalRules.parse(self.approval_rules or {}).stages(), self.stages, "approval_rules")
        return self

    @property
    def approvals(self) -> ApprovalRules:
        if self.approval_rules is not None:
            return ApprovalRules.parse(self.approval_rules)
        defaults = {tier: {s: n for s, n in rules.items() if s in self.stages}
                    for tier, rules in DEFAULT_APPROVAL_RULES.items()}  # fmt: skip
        return ApprovalRules.parse(defaults)


class MonitoringThresholds(StageChain):
    """What a live endpoint's metrics are held to, and how long their history is kept."""

    monitoring_thresholds: dict[str, Thresholds] = setting(
        "GOVSYNC_MONITORING_THRESHOLDS", "stage -> thresholds (JSON)", dict, reading="json"
    )
    metrics_history_days: int = setting("GOVSYNC_METRICS_HISTORY_DAYS", "how long each window's metrics are kept",
                                        30, ge=1, le=400)  # fmt: skip

    @model_validator(mode="after")
    def _thresholds_in_chain(self) -> Self:
        unknown_stages(self.monitoring_thresholds, self.stages, "monitoring_thresholds")
        return self


class MetricsCollection(Common):
    """How the metrics aggregator reads the stage accounts."""

    metrics_window_minutes: int = setting("GOVSYNC_METRICS_WINDOW_MINUTES", "the metrics window", 60, ge=5, le=1440)
    metrics_role_name: str = setting("GOVSYNC_METRICS_ROLE_NAME", "the read-only role assumed in each stage account",
                                     "govsync-metrics-read", pattern=ROLE_NAME)  # fmt: skip
    monitor_lookback_hours: int = setting("GOVSYNC_MONITOR_LOOKBACK_HOURS", "how far back Model Monitor executions "
                                          "are read", 24, ge=1, le=24 * 14, tuning=True)  # fmt: skip


class DeployRequests(Common):
    deploy_queue_url: str | None = setting("GOVSYNC_DEPLOY_QUEUE_URL", "where deploy requests go", None, **QUEUE)


class WorkQueue(Queued):
    work_queue_url: str | None = setting("GOVSYNC_WORK_QUEUE_URL", "a scheduled function's work queue: its run's "
                                         "items, fanned out", None, **QUEUE)  # fmt: skip


class Dashboard(Common):
    """The dashboard: when a waiting decision is overdue, and how people sign in."""

    review_days: int = setting("GOVSYNC_REVIEW_DAYS", "a decision waiting longer counts as an overdue review", 7,
                               ge=1, le=365)  # fmt: skip
    user_pool_client_id: str = setting("GOVSYNC_USER_POOL_CLIENT_ID", "the app client the dashboard signs in with",
                                       "", pattern=r"^[\w+]{0,128}$")  # fmt: skip
    cognito_endpoint: str = setting("GOVSYNC_COGNITO_ENDPOINT", "Cognito's endpoint (empty: the region's)", "",
                                    pattern=r"^(https?://[^\s]+)?$", tuning=True)  # fmt: skip

    @property
    def cognito_url(self) -> str:
        """Where a browser signs in (InitiateAuth): the region's Cognito, or the configured endpoint."""
        return self.cognito_endpoint or f"https://cognito-idp.{self.region}.amazonaws.com/"
