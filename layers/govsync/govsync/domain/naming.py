"""What the resources govsync creates are called and tagged with (deterministic: a retried kick
finds what an earlier one made)."""

from __future__ import annotations

import hashlib
import re

# Tags put on every model, endpoint config and endpoint we create; endpoint state changes are
# correlated through them (a team's own pipeline tags its endpoints the same way).
TAG_PACKAGE_ARN = "govsync:model-package-arn"
TAG_STAGE = "govsync:stage"
TAG_VERSION = "govsync:model-version"
TAG_GROUP = "govsync:model-group"
# on a shadow test's endpoint config (tagged as the live version's): the version running as its shadow
TAG_SHADOW_VERSION = "govsync:shadow-version"

# SageMaker's name pattern for models, endpoint configs and endpoints.
SAGEMAKER_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
NAME_MAX = 63


def sagemaker_name(*parts: str | int) -> str:
    """A deterministic SageMaker resource name: parts joined by '-', other characters folded to '-',
    at most 63 characters (a long name keeps its start and ends in a hash of the whole)."""
    raw = "-".join(str(p) for p in parts)
    clean = re.sub(r"[^a-zA-Z0-9]+", "-", raw).strip("-") or "govsync"
    if len(clean) <= NAME_MAX:
        return clean
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    return f"{clean[: NAME_MAX - 9].rstrip('-')}-{digest}"


def endpoint_name(group: str, stage: str) -> str:
    """One endpoint per group and stage: later versions update it (blue/green by SageMaker)."""
    return sagemaker_name(group, stage)


def version_resource_name(group: str, version: int, stage: str) -> str:
    """The model and endpoint config of one version in one stage."""
    return sagemaker_name(group, f"v{version}", stage)


def shadow_config_name(group: str, version: int, stage: str) -> str:
    """The endpoint config that runs a version as the shadow of the stage's live one."""
    return sagemaker_name(group, f"v{version}", stage, "shadow")


def resource_tags(package_arn: str, stage: str, version: int, group: str) -> list[dict[str, str]]:
    """What everything govsync creates is tagged with: the package, its group and version, the stage."""
    return [
        {"Key": TAG_PACKAGE_ARN, "Value": package_arn},
        {"Key": TAG_GROUP, "Value": group},
        {"Key": TAG_STAGE, "Value": stage},
        {"Key": TAG_VERSION, "Value": str(version)},
    ]
