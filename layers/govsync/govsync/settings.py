"""Settings: one pydantic model, read from the environment once (never at import time)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from govsync.domain.errors import GovsyncError
from govsync.domain.events import EventPolicy
from govsync.domain.records import DEFAULT_METADATA_KEYS, StageConfig


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
        }
        for name, var in (
            ("copy_threshold_mib", "GOVSYNC_COPY_THRESHOLD_MIB"),
            ("copy_part_mib", "GOVSYNC_COPY_PART_MIB"),
            ("copy_concurrency", "GOVSYNC_COPY_CONCURRENCY"),
        ):
            if env.get(var):
                raw[name] = env[var]
        if stages := _csv(env.get("GOVSYNC_STAGES")):
            raw["stages"] = tuple(stages)
        try:
            for name, var in (("stage_aliases", "GOVSYNC_STAGE_ALIASES"), ("metadata_keys", "GOVSYNC_METADATA_KEYS")):
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
    def stage_config(self) -> StageConfig:
        return StageConfig(stages=self.stages, aliases=self.stage_aliases, metadata_keys=self.metadata_keys)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env(os.environ)
