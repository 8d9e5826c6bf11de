"""What a deploy strategy is asked to start (`DeploySpec`) and what it reports once started
(`KickResult`, which goes on the record's deployment).

Pure: the strategy builds its AWS request parameters from the package and the stage's target; the
deploy service adds the artifacts' central copies; the kick reports where the deployment serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from govsync.domain.artifacts import ArtifactCopy


@dataclass(frozen=True, slots=True)
class DeploySpec:
    """One deployment of a package version to a stage."""

    package_arn: str
    group: str
    version: int
    stage: str
    tags: tuple[Mapping[str, str], ...]  # {"Key", "Value"} as AWS takes them: package, stage, version
    # the strategy's own request parameters, in the shapes of the AWS calls it makes
    parameters: Mapping[str, Any] = field(default_factory=dict)
    artifacts: tuple[ArtifactCopy, ...] = ()  # the central copies the version's records list


@dataclass(frozen=True, slots=True)
class KickResult:
    """What a started deployment reports: where it serves, and the strategy's own references."""

    role_arn: str | None = None
    endpoint_name: str | None = None
    endpoint_config_name: str | None = None
    endpoint_arn: str | None = None
    # set when the endpoint already served this config: no state change will come for it
    endpoint_status: str | None = None
    failure_reason: str | None = None
    previous_version: int | None = None  # the version whose endpoint config this one replaces
    previous_endpoint_config_name: str | None = None
    # an update's guardrails in words, and the alarms SageMaker rolls it back on (domain.guardrails)
    guardrails: str | None = None
    rollback_alarms: tuple[str, ...] | None = None
    shadow_of: int | None = None  # kicked as a shadow variant beside this live version
    # the strategy's own references: model name, pipeline execution, event id, ...
    details: Mapping[str, str] = field(default_factory=dict)

    def described(self) -> KickResult:
        """The result without what the endpoint said at the kick (a state change said more since)."""
        return replace(self, endpoint_status=None, failure_reason=None)

    def to_json(self) -> dict[str, Any]:
        """Flat, as the deployment stores it (`Deployment.with_result`): strings, numbers, lists of strings."""
        data: dict[str, Any] = dict(self.details)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "details" and value is not None:
                data[f.name] = list(value) if isinstance(value, tuple) else value
        return data
