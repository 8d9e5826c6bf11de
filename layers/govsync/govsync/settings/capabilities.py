"""The settings one capability adds to what every function shares (`settings.blocks`): artifact copies,
use-case stages, approvals, monitoring thresholds and collection, the deploy and work queues, the
dashboard."""

from __future__ import annotations

import re
from typing import Any, Self

from pydantic import field_validator, model_validator

from govsync.domain.alerts import Thresholds
from govsync.domain.approvals import DEFAULT_APPROVAL_RULES, DEFAULT_RISK_TIERS, ApprovalRules
from govsync.domain.registry_decisions import Approvers
from govsync.domain.usecases import DEFAULT_USE_CASE_MAP, USE_CASE_STAGES
from govsync.settings.blocks import (
    BUCKET,
    KMS_KEY_ARN,
    QUEUE,
    ROLE_NAME,
    Common,
    Queued,
    StageChain,
    unknown_stages,
)
from govsync.settings.declare import setting

# an approver identity: an IAM or STS ARN, `*` and `?` allowed for a pattern
IDENTITY_PATTERN = re.compile(r"arn:aws[a-z-]*:(iam|sts)::[0-9*?]{1,12}:[\w+=,.@/*?-]{1,512}")
# an SSM parameter name (a path or a plain name)
PARAMETER_NAME = re.compile(r"/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


class Copies(Common):
    """Central copies of the artifacts: from which buckets, into which, with which key, in what pieces."""

    artifact_buckets: frozenset[str] = setting(
        "GOVSYNC_ARTIFACT_BUCKETS", "buckets artifacts may be copied from", frozenset(), reading="list", **BUCKET
    )
    artifact_bucket: str | None = setting("GOVSYNC_ARTIFACT_BUCKET", "the central artifact bucket", None, **BUCKET)
    artifact_key_arn: str | None = setting(
        "GOVSYNC_ARTIFACT_KEY_ARN",
        "the key copies are encrypted with",
        None,
        each_matches=KMS_KEY_ARN,
        pattern_means="a KMS key ARN (copies are encrypted with the key by its ARN, not an alias)",
    )
    source_role_name: str | None = setting(
        "GOVSYNC_SOURCE_ROLE_NAME",
        "empty: dev bucket policies grant read; else the role assumed in each source account",
        None,
    )
    copy_threshold_mib: int = setting(
        "GOVSYNC_COPY_THRESHOLD_MIB", "copies above it are multipart", 256, ge=5, le=5 * 1024, tuning=True
    )
    copy_part_mib: int = setting(
        "GOVSYNC_COPY_PART_MIB", "a multipart copy's part size", 128, ge=5, le=5 * 1024, tuning=True
    )
    copy_concurrency: int = setting("GOVSYNC_COPY_CONCURRENCY", "parts copied at once", 8, ge=1, le=64, tuning=True)


class UseCaseStages(StageChain):
    use_case_stage_map: dict[str, str] | None = setting(
        "GOVSYNC_USE_CASE_STAGES",
        "use-case stage -> the model stage all its models must be approved in (JSON; "
        "default: the default map, limited to the chain's stages)",
        None,
        reading="json",
    )

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
        "GOVSYNC_APPROVAL_RULES",
        "risk tier -> stage -> distinct approvers (JSON; default: two for high risk in the second stage)",
        None,
        reading="json",
    )
    identity_map: dict[str, str] = setting(
        "GOVSYNC_IDENTITY_MAP",
        "IAM identity ARN or `*` pattern -> the person it belongs to (JSON)",
        dict,
        reading="json",
    )
    risk_tiers: tuple[str, ...] = setting(
        "GOVSYNC_RISK_TIERS",
        "the risk tiers a version's ModelRisk may name (compared after Unicode NFKC and case folding)",
        DEFAULT_RISK_TIERS,
        reading="list",
    )
    approver_identities: tuple[str, ...] = setting(
        "GOVSYNC_APPROVER_IDENTITIES",
        "IAM identity ARNs or `*` patterns whose decisions made in the registry count (empty: any identity "
        "of the central account but the registrant's)",
        (),
        reading="list",
        each_matches=IDENTITY_PATTERN,
        pattern_means="an IAM or STS ARN, `*` patterns allowed",
    )

    @field_validator("approval_rules", mode="before")
    @classmethod
    def _rules(cls, value: Any) -> Any:
        if isinstance(value, dict):  # its shape; its tiers are checked against risk_tiers below
            ApprovalRules.parse(value, tuple(str(tier) for tier in value if tier != "*"))
        return value

    @model_validator(mode="after")
    def _rules_in_chain(self) -> Self:
        try:
            rules = ApprovalRules.parse(self.approval_rules or {}, self.risk_tiers)
        except ValueError as exc:
            raise ValueError(f"approval_rules: {exc}") from None
        unknown_stages(rules.stages(), self.stages, "approval_rules")
        return self

    @property
    def approvers(self) -> Approvers:
        """Who may decide through the registry door."""
        return Approvers(self.approver_identities, self.identity_map)

    @property
    def approvals(self) -> ApprovalRules:
        if self.approval_rules is not None:
            return ApprovalRules.parse(self.approval_rules, self.risk_tiers)
        defaults = {
            tier: {s: n for s, n in rules.items() if s in self.stages}
            for tier, rules in DEFAULT_APPROVAL_RULES.items()
            if tier in self.risk_tiers
        }
        return ApprovalRules.parse(defaults, self.risk_tiers)


class Gates(Approvals):
    """The policy gates a deployment passes before it is kicked: the shipped policy, or one kept in SSM."""

    gate_policy_parameter: str | None = setting(
        "GOVSYNC_GATE_POLICY_PARAMETER",
        "an SSM parameter holding the gate policy (YAML) that replaces the shipped one (empty: the shipped one)",
        None,
        each_matches=PARAMETER_NAME,
        pattern_means="an SSM parameter name",
    )


class MonitoringThresholds(StageChain):
    """What a live endpoint's metrics are held to, and how long their history is kept."""

    monitoring_thresholds: dict[str, Thresholds] = setting(
        "GOVSYNC_MONITORING_THRESHOLDS", "stage -> thresholds (JSON)", dict, reading="json"
    )
    metrics_history_days: int = setting(
        "GOVSYNC_METRICS_HISTORY_DAYS", "how long each window's metrics are kept", 30, ge=1, le=400
    )

    @model_validator(mode="after")
    def _thresholds_in_chain(self) -> Self:
        unknown_stages(self.monitoring_thresholds, self.stages, "monitoring_thresholds")
        return self


class StageReading(Common):
    """The read-only role in each stage account (endpoint metrics, Model Monitor, endpoint updates, alarms)."""

    metrics_role_name: str = setting(
        "GOVSYNC_METRICS_ROLE_NAME",
        "the read-only role assumed in each stage account",
        "govsync-metrics-read",
        pattern=ROLE_NAME,
    )


class ProgressChecks(StageReading):
    """An update under guardrails read again while it runs, through the status function's own queue."""

    progress_queue_url: str | None = setting(
        "GOVSYNC_PROGRESS_QUEUE_URL",
        "where an update under guardrails is looked at again (none: read only when the endpoint reports)",
        None,
        **QUEUE,
    )
    progress_check_seconds: int = setting(
        "GOVSYNC_PROGRESS_CHECK_SECONDS", "how often an update under guardrails is read again", 60, ge=5, le=900,
        tuning=True,
    )  # fmt: skip


class MetricsCollection(StageReading):
    """How the metrics aggregator reads the stage accounts."""

    metrics_window_minutes: int = setting("GOVSYNC_METRICS_WINDOW_MINUTES", "the metrics window", 60, ge=5, le=1440)
    monitor_lookback_hours: int = setting(
        "GOVSYNC_MONITOR_LOOKBACK_HOURS",
        "how far back Model Monitor executions are read",
        24,
        ge=1,
        le=24 * 14,
        tuning=True,
    )


class DataCapture(Common):
    """Where the stage endpoints' data capture goes (their `data_capture_percent` says how much)."""

    data_capture_bucket: str | None = setting(
        "GOVSYNC_DATA_CAPTURE_BUCKET", "the central bucket endpoints capture into (data-capture/ prefix)", None,
        **BUCKET,
    )  # fmt: skip
    data_capture_key_arn: str | None = setting(
        "GOVSYNC_DATA_CAPTURE_KEY_ARN",
        "the key captured data is encrypted with",
        None,
        each_matches=KMS_KEY_ARN,
        pattern_means="a KMS key ARN (a stage account names the central key by its ARN)",
    )


class DeployRequests(Common):
    deploy_queue_url: str | None = setting("GOVSYNC_DEPLOY_QUEUE_URL", "where deploy requests go", None, **QUEUE)


class UpdateWaits(DeployRequests):
    """A kick whose endpoint is being updated comes back later on the deploy queue (the function's own)."""

    update_wait_seconds: int = setting(
        "GOVSYNC_UPDATE_WAIT_SECONDS", "how long a kick waits for its endpoint's update before it tries again", 120,
        ge=5, le=900, tuning=True,
    )  # fmt: skip


class WorkQueue(Queued):
    work_queue_url: str | None = setting(
        "GOVSYNC_WORK_QUEUE_URL", "a scheduled function's work queue: its run's items, fanned out", None, **QUEUE
    )


class Dashboard(Common):
    """The dashboard: how people sign in."""

    user_pool_client_id: str = setting(
        "GOVSYNC_USER_POOL_CLIENT_ID", "the app client the dashboard signs in with", "", pattern=r"^[\w+]{0,128}$"
    )
    user_pool_id: str = setting(
        "GOVSYNC_USER_POOL_ID", "the user pool people sign in to", "", pattern=r"^([\w-]+_[0-9a-zA-Z]+)?$"
    )
    decider_mfa: str = setting(
        "GOVSYNC_DECIDER_MFA",
        "required: a decision through the API takes a decider with MFA set up in the user pool",
        "optional",
        pattern=r"^(required|optional)$",
    )
    cognito_endpoint: str = setting(
        "GOVSYNC_COGNITO_ENDPOINT",
        "Cognito's endpoint (empty: the region's)",
        "",
        pattern=r"^(https?://[^\s]+)?$",
        tuning=True,
    )

    @model_validator(mode="after")
    def _mfa_needs_the_pool(self) -> Self:
        if self.decider_mfa == "required" and not self.user_pool_id:
            raise ValueError("GOVSYNC_DECIDER_MFA=required needs GOVSYNC_USER_POOL_ID (whose users' MFA it checks)")
        return self

    @property
    def cognito_url(self) -> str:
        """Where a browser signs in (InitiateAuth): the region's Cognito, or the configured endpoint."""
        return self.cognito_endpoint or f"https://cognito-idp.{self.region}.amazonaws.com/"
