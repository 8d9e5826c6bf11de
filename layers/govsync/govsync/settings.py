"""Settings: one pydantic model, read from the environment once (never at import time)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from govsync.domain.errors import GovsyncError
from govsync.domain.events import ACCOUNT_ID, EventPolicy
from govsync.domain.monitoring import Thresholds
from govsync.domain.promotion import StageTarget, Target, resolve_targets
from govsync.domain.records import DEFAULT_METADATA_KEYS, StageConfig
from govsync.domain.usecases import DEFAULT_USE_CASE_MAP, USE_CASE_STAGES


class ConfigurationError(GovsyncError):
    """The function's environment is incomplete or malformed."""


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    governance_table: str = Field(min_length=3)
    region: str = Field(min_length=1)
    allowed_accounts: frozenset[str]
    allowed_regions: frozenset[str]
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

    @field_validator("stages")
    @classmethod
    def _stages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) < 1 or len({s.lower() for s in value}) != len(value):
            raise ValueError("stages must be a non-empty list of distinct names")
        return value

    @field_validator("metadata_keys")
    @classmethod
    def _keys(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = set(value) - set(DEFAULT_METADATA_KEYS)
        if unknown:
            raise ValueError(f"unknown record fields {sorted(unknown)}")
        return {**DEFAULT_METADATA_KEYS, **value}

    @field_validator("account_id")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is not None and not ACCOUNT_ID.fullmatch(value):
            raise ValueError("account_id must be a 12-digit account id")
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
        """Build settings from GOVSYNC_* variables; raise ConfigurationError naming what is wrong."""
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
        raw: dict[str, object] = {
            "governance_table": env.get("GOVSYNC_TABLE", ""),
            "region": region,
            "allowed_accounts": _csv(env.get("GOVSYNC_ALLOWED_ACCOUNTS")),
            "allowed_regions": _csv(env.get("GOVSYNC_ALLOWED_REGIONS")) or [region],
            "artifact_buckets": _csv(env.get("GOVSYNC_ARTIFACT_BUCKETS")),
            "dead_letter_queue_url": env.get("GOVSYNC_DEAD_LETTER_QUEUE_URL") or None,
            "artifact_bucket": env.get("GOVSYNC_ARTIFACT_BUCKET") or None,
            "artifact_key_arn": env.get("GOVSYNC_ARTIFACT_KEY_ARN") or None,
            "source_role_name": env.get("GOVSYNC_SOURCE_ROLE_NAME") or None,
            "account_id": env.get("GOVSYNC_ACCOUNT_ID") or None,
            "partition": env.get("GOVSYNC_PARTITION") or "aws",
            "deploy_queue_url": env.get("GOVSYNC_DEPLOY_QUEUE_URL") or None,
        }
        for name, var in (
            ("deploy_role_name", "GOVSYNC_DEPLOY_ROLE_NAME"),
            ("metrics_role_name", "GOVSYNC_METRICS_ROLE_NAME"),
            ("copy_threshold_mib", "GOVSYNC_COPY_THRESHOLD_MIB"),
            ("copy_part_mib", "GOVSYNC_COPY_PART_MIB"),
            ("copy_concurrency", "GOVSYNC_COPY_CONCURRENCY"),
            ("metrics_window_minutes", "GOVSYNC_METRICS_WINDOW_MINUTES"),
            ("monitor_lookback_hours", "GOVSYNC_MONITOR_LOOKBACK_HOURS"),
        ):
            if env.get(var):
                raw[name] = env[var]
        if stages := _csv(env.get("GOVSYNC_STAGES")):
            raw["stages"] = tuple(stages)
        try:
            for name, var in (
                ("stage_aliases", "GOVSYNC_STAGE_ALIASES"),
                ("metadata_keys", "GOVSYNC_METADATA_KEYS"),
                ("stage_targets", "GOVSYNC_STAGE_TARGETS"),
                ("use_case_stage_map", "GOVSYNC_USE_CASE_STAGES"),
                ("monitoring_thresholds", "GOVSYNC_MONITORING_THRESHOLDS"),
            ):
                if env.get(var):
                    raw[name] = json.loads(env[var])
            return cls.model_validate(raw)
        except (ValidationError, ValueError) as exc:
            raise ConfigurationError(f"invalid govsync configuration: {exc}") from exc

    @field_validator("artifact_key_arn")
    @classmethod
    def _key_arn(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("arn:"):
            raise ValueError("artifact_key_arn must be a KMS key ARN (copies are encrypted with the key by its ARN)")
        return value

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
        return f"arn:{self.partition}:iam::{account}:role/{role_name}"

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
    def stage_config(self) -> StageConfig:
        return StageConfig(stages=self.stages, aliases=self.stage_aliases, metadata_keys=self.metadata_keys)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env(os.environ)
