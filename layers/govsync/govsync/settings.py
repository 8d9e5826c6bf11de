"""Settings: one pydantic model, read from the environment once (never at import time)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from govsync.domain.approvals import DEFAULT_APPROVAL_RULES, ApprovalRules
from govsync.domain.artifacts import BUCKET_NAME
from govsync.domain.errors import GovsyncError
from govsync.domain.events import ACCOUNT_ID, REGION, EventPolicy
from govsync.domain.monitoring import Thresholds
from govsync.domain.records import DEFAULT_METADATA_KEYS, StageConfig
from govsync.domain.sharing import parse_dev_accounts
from govsync.domain.targets import StageTarget, Target, resolve_targets, role_arn
from govsync.domain.usecases import DEFAULT_USE_CASE_MAP, USE_CASE_STAGES


class ConfigurationError(GovsyncError):
    """The function's environment is incomplete or malformed."""


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


STAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}:[0-9]{12}:key/[A-Za-z0-9-]{1,128}")
QUEUE_URL = re.compile(r"https?://[^\s/]+/[0-9]{12}/[A-Za-z0-9_-]{1,80}(\.fifo)?")

# Settings field -> the environment variable it is read from (errors name the variable).
ENV_VARS: dict[str, str] = {
    "governance_table": "GOVSYNC_TABLE",
    "region": "AWS_REGION",
    "allowed_accounts": "GOVSYNC_ALLOWED_ACCOUNTS",
    "allowed_regions": "GOVSYNC_ALLOWED_REGIONS",
    "dev_accounts": "GOVSYNC_DEV_ACCOUNTS",
    "stages": "GOVSYNC_STAGES",
    "stage_aliases": "GOVSYNC_STAGE_ALIASES",
    "metadata_keys": "GOVSYNC_METADATA_KEYS",
    "artifact_buckets": "GOVSYNC_ARTIFACT_BUCKETS",
    "dead_letter_queue_url": "GOVSYNC_DEAD_LETTER_QUEUE_URL",
    "artifact_bucket": "GOVSYNC_ARTIFACT_BUCKET",
    "artifact_key_arn": "GOVSYNC_ARTIFACT_KEY_ARN",
    "source_role_name": "GOVSYNC_SOURCE_ROLE_NAME",
    "copy_threshold_mib": "GOVSYNC_COPY_THRESHOLD_MIB",
    "copy_part_mib": "GOVSYNC_COPY_PART_MIB",
    "copy_concurrency": "GOVSYNC_COPY_CONCURRENCY",
    "account_id": "GOVSYNC_ACCOUNT_ID",
    "partition": "GOVSYNC_PARTITION",
    "stage_targets": "GOVSYNC_STAGE_TARGETS",
    "deploy_role_name": "GOVSYNC_DEPLOY_ROLE_NAME",
    "deploy_queue_url": "GOVSYNC_DEPLOY_QUEUE_URL",
    "use_case_stage_map": "GOVSYNC_USE_CASE_STAGES",
    "metrics_window_minutes": "GOVSYNC_METRICS_WINDOW_MINUTES",
    "metrics_role_name": "GOVSYNC_METRICS_ROLE_NAME",
    "monitoring_thresholds": "GOVSYNC_MONITORING_THRESHOLDS",
    "monitor_lookback_hours": "GOVSYNC_MONITOR_LOOKBACK_HOURS",
    "max_receive_count": "GOVSYNC_MAX_RECEIVE_COUNT",
    "approval_rules": "GOVSYNC_APPROVAL_RULES",
    "identity_map": "GOVSYNC_IDENTITY_MAP",
    "metrics_history_days": "GOVSYNC_METRICS_HISTORY_DAYS",
    "review_days": "GOVSYNC_REVIEW_DAYS",
    "user_pool_client_id": "GOVSYNC_USER_POOL_CLIENT_ID",
    "cognito_endpoint": "GOVSYNC_COGNITO_ENDPOINT",
    "work_queue_url": "GOVSYNC_WORK_QUEUE_URL",
}
JSON_FIELDS = ("stage_aliases", "metadata_keys", "stage_targets", "use_case_stage_map", "monitoring_thresholds",
               "approval_rules", "identity_map")  # fmt: skip


def _each(values: frozenset[str] | tuple[str, ...], pattern: re.Pattern[str], what: str) -> None:
    bad = sorted(v for v in values if not pattern.fullmatch(v) or ".." in v)
    if bad:
        raise ValueError(f"{', '.join(repr(v) for v in bad)} {'is' if len(bad) == 1 else 'are'} not {what}")


# field -> the pattern every one of its values must match, and what that pattern is, in words
FIELD_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    "allowed_accounts": (ACCOUNT_ID, "a 12-digit account id"),
    "allowed_regions": (REGION, "a region name"),
    "region": (REGION, "a region name"),
    "artifact_buckets": (BUCKET_NAME, "an S3 bucket name"),
    "artifact_bucket": (BUCKET_NAME, "an S3 bucket name"),
    "dead_letter_queue_url": (QUEUE_URL, "an SQS queue URL"),
    "deploy_queue_url": (QUEUE_URL, "an SQS queue URL"),
    "work_queue_url": (QUEUE_URL, "an SQS queue URL"),
    "account_id": (ACCOUNT_ID, "a 12-digit account id"),
    "artifact_key_arn": (KMS_KEY_ARN, "a KMS key ARN (copies are encrypted with the key by its ARN, not an alias)"),
}


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    governance_table: str = Field(min_length=3)
    region: str = Field(min_length=1)
    allowed_accounts: frozenset[str]
    allowed_regions: frozenset[str]
    # dev account -> the group names (or `*` patterns) it may register versions into
    dev_accounts: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    stages: tuple[str, ...] = ("development", "test", "production")
    stage_aliases: dict[str, str] = Field(default_factory=lambda: {"staging": "test", "prod": "production"})
    metadata_keys: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_METADATA_KEYS))
    artifact_buckets: frozenset[str] = frozenset()
    dead_letter_queue_url: str | None = None
    # central artifact copies
    artifact_bucket: str | None = None
    artifact_key_arn: str | None = None
    source_role_name: str | None = None
    copy_threshold_mib: int = Field(default=256, ge=5, le=5 * 1024)
    copy_part_mib: int = Field(default=128, ge=5, le=5 * 1024)
    copy_concurrency: int = Field(default=8, ge=1, le=64)
    # stage promotion
    account_id: str | None = None
    partition: str = "aws"
    stage_targets: dict[str, StageTarget] = Field(default_factory=dict)
    deploy_role_name: str = Field(default="govsync-deploy", pattern=r"^[\w+=,.@-]{1,64}$")
    deploy_queue_url: str | None = None
    # None: the default map, limited to the stages the chain has
    use_case_stage_map: dict[str, str] | None = None
    # scheduled jobs
    metrics_window_minutes: int = Field(default=60, ge=5, le=1440)
    metrics_role_name: str = Field(default="govsync-metrics-read", pattern=r"^[\w+=,.@-]{1,64}$")
    monitoring_thresholds: dict[str, Thresholds] = Field(default_factory=dict)
    monitor_lookback_hours: int = Field(default=24, ge=1, le=24 * 14)
    # the queues' maxReceiveCount: on that delivery a transient failure is dead-lettered with its reason
    max_receive_count: int = Field(default=5, ge=1, le=1000)
    # people's decisions: risk tier -> stage -> approvers required; IAM identity (ARN or `*` pattern) ->
    # the person (email or username) it belongs to, for separation of duties
    # None: the default rules, limited to the stages the chain has
    approval_rules: dict[str, dict[str, int]] | None = None
    identity_map: dict[str, str] = Field(default_factory=dict)
    # the dashboard: how long the metrics history is kept; when a waiting decision is overdue; the app
    # client it signs in with, and Cognito's endpoint (empty: the region's; the local stack sets its own)
    metrics_history_days: int = Field(default=30, ge=1, le=400)
    review_days: int = Field(default=7, ge=1, le=365)
    user_pool_client_id: str = Field(default="", pattern=r"^[\w+]{0,128}$")
    cognito_endpoint: str = Field(default="", pattern=r"^(https?://[^\s]+)?$")
    # a scheduled function's work queue: its run's items, fanned out
    work_queue_url: str | None = None

    @field_validator("stages")
    @classmethod
    def _stages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) < 1 or len({s.lower() for s in value}) != len(value):
            raise ValueError("stages must be a non-empty list of distinct names")
        _each(value, STAGE_NAME, "a stage name (letters, digits, - and _, at most 63)")
        return value

    @field_validator(*FIELD_PATTERNS)
    @classmethod
    def _matches(cls, value: Any, info: ValidationInfo) -> Any:
        """Each value of a field in FIELD_PATTERNS matches its pattern (None: not configured)."""
        if value is not None:
            pattern, what = FIELD_PATTERNS[str(info.field_name)]
            _each((value,) if isinstance(value, str) else value, pattern, what)
        return value

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
            _each(frozenset(value), ACCOUNT_ID, "a 12-digit account id")
        return value

    @field_validator("metadata_keys")
    @classmethod
    def _keys(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = set(value) - set(DEFAULT_METADATA_KEYS)
        if unknown:
            raise ValueError(f"unknown record fields {sorted(unknown)}")
        return {**DEFAULT_METADATA_KEYS, **value}

    @field_validator("approval_rules", mode="before")
    @classmethod
    def _rules(cls, value: Any) -> Any:
        if isinstance(value, dict):
            ApprovalRules.parse(value)  # raises ValueError naming the bad entry
        return value

    @field_validator("stage_targets")
    @classmethod
    def _strategies(cls, value: dict[str, StageTarget]) -> dict[str, StageTarget]:
        """Each target's strategy exists and has what it needs (the strategies say what)."""
        from govsync.strategies import check_target

        for target in value.values():
            check_target(target)
        return value

    @model_validator(mode="after")
    def _promotion(self) -> Settings:
        unknown = sorted(set(self.stage_targets) - set(self.stages))
        if unknown:
            raise ValueError(f"stage_targets names stages that are not in the chain: {unknown}")
        if self.stages[0] in self.stage_targets:
            raise ValueError(
                f"stage_targets: {self.stages[0]!r} is the first stage (where versions are registered); "
                "approving it deploys into the next stage, so it takes no target"
            )
        unknown = sorted(ApprovalRules.parse(self.approval_rules or {}).stages() - set(self.stages))
        if unknown:
            raise ValueError(f"approval_rules names stages that are not in the chain: {unknown}")
        unknown = sorted(set(self.monitoring_thresholds) - set(self.stages))
        if unknown:
            raise ValueError(f"monitoring_thresholds names stages that are not in the chain: {unknown}")
        explicit = self.use_case_stage_map or {}
        bad_keys = sorted(set(explicit) - set(USE_CASE_STAGES))
        bad_values = sorted(set(explicit.values()) - set(self.stages))
        if bad_keys or bad_values:
            raise ValueError(
                f"use_case_stage_map: unknown use-case stages {bad_keys} or model stages {bad_values} "
                f"(use-case stages are {list(USE_CASE_STAGES)})"
            )
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from GOVSYNC_* variables; raise ConfigurationError naming each variable that is
        wrong and its value."""
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
        raw: dict[str, object] = {
            "governance_table": env.get("GOVSYNC_TABLE", ""),
            "region": region,
            "allowed_accounts": _csv(env.get("GOVSYNC_ALLOWED_ACCOUNTS")),
            "allowed_regions": _csv(env.get("GOVSYNC_ALLOWED_REGIONS")) or [region],
            "artifact_buckets": _csv(env.get("GOVSYNC_ARTIFACT_BUCKETS")),
            "dev_accounts": env.get("GOVSYNC_DEV_ACCOUNTS", ""),
        }
        for name in ("dead_letter_queue_url", "artifact_bucket", "artifact_key_arn", "source_role_name",
                     "account_id", "partition", "deploy_queue_url", "deploy_role_name", "metrics_role_name",
                     "copy_threshold_mib", "copy_part_mib", "copy_concurrency", "metrics_window_minutes",
                     "monitor_lookback_hours", "max_receive_count", "metrics_history_days", "review_days",
                     "user_pool_client_id", "cognito_endpoint", "work_queue_url"):  # fmt: skip
            if env.get(ENV_VARS[name]):
                raw[name] = env[ENV_VARS[name]]
        if stages := _csv(env.get("GOVSYNC_STAGES")):
            raw["stages"] = tuple(stages)
        problems = []
        for name in JSON_FIELDS:
            if text := env.get(ENV_VARS[name]):
                try:
                    raw[name] = json.loads(text)
                except ValueError as exc:
                    problems.append(f"{ENV_VARS[name]}={text!r}: not JSON ({exc})")
        if problems:
            raise ConfigurationError("invalid govsync configuration: " + "; ".join(problems))
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else ""
                var = ENV_VARS.get(field)
                if var is None:  # a check across fields
                    problems.append(str(error["msg"]).removeprefix("Value error, "))
                    continue
                value = env.get(var) or (env.get("AWS_DEFAULT_REGION") if field == "region" else None)
                where = ".".join(str(part) for part in error["loc"][1:])
                kind = "" if error["type"] == "value_error" else f" [{error['type']}]"
                problems.append(
                    f"{var}={value or ''!r}{' (' + where + ')' if where else ''}: "
                    + str(error["msg"]).removeprefix("Value error, ")
                    + kind
                )
            raise ConfigurationError("invalid govsync configuration: " + "; ".join(problems)) from exc

    @property
    def cognito_url(self) -> str:
        """Where a browser signs in (InitiateAuth): the region's Cognito, or the configured endpoint."""
        return self.cognito_endpoint or f"https://cognito-idp.{self.region}.amazonaws.com/"

    @property
    def event_policy(self) -> EventPolicy:
        return EventPolicy(allowed_accounts=self.allowed_accounts, allowed_regions=self.allowed_regions)

    @property
    def targets(self) -> dict[str, Target]:
        """The stage targets with their defaults resolved (deploy role, execution role, bus)."""
        return resolve_targets(
            self.stage_targets,
            role_name=self.deploy_role_name,
            region=self.region,
            partition=self.partition,
            central_account=self.account_id,
        )

    @property
    def use_case_stages(self) -> dict[str, str]:
        if self.use_case_stage_map is not None:
            return dict(self.use_case_stage_map)
        return {k: v for k, v in DEFAULT_USE_CASE_MAP.items() if v in self.stages}

    @property
    def deploy_policy(self) -> EventPolicy:
        """Endpoint events come from the stage targets' accounts, in the allowed regions."""
        accounts = frozenset(t.account for t in self.stage_targets.values())
        regions = frozenset(t.region for t in self.stage_targets.values() if t.region) | self.allowed_regions
        return EventPolicy(allowed_accounts=accounts, allowed_regions=regions)

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

    @property
    def approvals(self) -> ApprovalRules:
        if self.approval_rules is not None:
            return ApprovalRules.parse(self.approval_rules)
        defaults = {
            tier: {s: n for s, n in rules.items() if s in self.stages} for tier, rules in DEFAULT_APPROVAL_RULES.items()
        }
        return ApprovalRules.parse(defaults)

    @property
    def stage_config(self) -> StageConfig:
        return StageConfig(stages=self.stages, aliases=self.stage_aliases, metadata_keys=self.metadata_keys)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env(os.environ)
