"""SageMaker endpoint updates in a stage account (read through its read role): where an update under
deployment guardrails is, from DescribeEndpoint's PendingDeploymentSummary."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws
from govsync.domain.arns import Arn
from govsync.domain.guardrails import RolloutPhase


class EndpointRollouts:
    def __init__(self, roles: aws.AssumedRoles) -> None:
        self._roles = roles

    def pending(
        self, endpoint_name: str, *, role_arn: str, region: str, external_id: str | None
    ) -> RolloutPhase | None:
        """The update under way on `endpoint_name`, or None (none, or no such endpoint)."""
        try:
            sagemaker = self._roles.client("sagemaker", role_arn, region, external_id)
            described = sagemaker.describe_endpoint(EndpointName=endpoint_name)
        except ClientError as exc:
            if aws.error_code(exc) == "ValidationException" and "Could not find" in str(exc):
                return None
            raise aws.translate(exc, f"DescribeEndpoint in {Arn.parse(role_arn).account}") from exc
        except BotoCoreError as exc:
            raise aws.translate(exc, f"DescribeEndpoint in {Arn.parse(role_arn).account}") from exc
        return rollout_phase(described.get("PendingDeploymentSummary"))


def rollout_phase(summary: Mapping[str, Any] | None) -> RolloutPhase | None:
    """A PendingDeploymentSummary (DescribeEndpoint's shape) as the new fleet's latest status and its
    instances; None when no update is pending."""
    if not summary:
        return None
    variants = [v for v in summary.get("ProductionVariants") or [] if isinstance(v, Mapping)]
    statuses = [s for v in variants for s in v.get("VariantStatus") or [] if isinstance(s, Mapping) and s.get("Status")]
    latest = max(statuses, key=lambda s: _iso(s.get("StartTime")) or "", default=None)
    current = [v["CurrentInstanceCount"] for v in variants if isinstance(v.get("CurrentInstanceCount"), int)]
    desired = [v["DesiredInstanceCount"] for v in variants if isinstance(v.get("DesiredInstanceCount"), int)]
    return RolloutPhase(
        status=str(latest["Status"]) if latest else "Creating",
        since=_iso((latest or {}).get("StartTime") or summary.get("StartTime")),
        current_instances=sum(current) if current else None,
        desired_instances=sum(desired) if desired else None,
        config_name=str(summary["EndpointConfigName"]) if summary.get("EndpointConfigName") else None,
    )


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return None if value is None else str(value)
