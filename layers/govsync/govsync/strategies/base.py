"""What every deploy strategy is: a name, what it needs of a stage target, the kick's parameters
(pure), and the kick itself in the stage's account."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from govsync.adapters.aws import AssumedRoles
from govsync.domain.kicks import DeploySpec, KickResult
from govsync.domain.naming import resource_tags
from govsync.domain.package import PackageSnapshot
from govsync.domain.record_facts import Teardown, TeardownResult
from govsync.domain.targets import StageTarget, Target


@dataclass(frozen=True)
class Clients:
    """What a strategy may call AWS with: roles in the stage accounts, and the central region."""

    roles: AssumedRoles
    region: str


class DeployStrategy(Protocol):
    name: ClassVar[str]

    def __init__(self, clients: Clients) -> None: ...

    @staticmethod
    def check_target(target: StageTarget) -> None:
        """Raise ValueError naming what the target lacks for this strategy."""
        ...

    @staticmethod
    def spec(pkg: PackageSnapshot, target: Target) -> DeploySpec:
        """The kick's parameters (pure: no AWS call)."""
        ...

    def kick(self, target: Target, spec: DeploySpec) -> KickResult:
        """Start the deployment; what it reports goes on the record's deployment."""
        ...

    def serving(self, target: Target, group: str) -> int | None:
        """The version the group's endpoint in the target serves now, where the strategy can tell
        (None: nothing yet, or a strategy that cannot see the endpoint)."""
        ...

    def tear_down(self, target: Target, group: str, version: int) -> TeardownResult:
        """Delete what the stage serves, only while it serves `version` (domain.retirement)."""
        ...


def owned_by_the_team(target: Target) -> TeardownResult:
    """A strategy whose deployments the team's own tooling makes: govsync cannot see or delete them."""
    return TeardownResult(
        Teardown.NOT_SUPPORTED,
        f"the {target.strategy} strategy deploys with the team's own tooling: tear the version down in "
        f"{target.account} there (govsync deletes nothing)",
    )


def base_spec(pkg: PackageSnapshot, target: Target, parameters: Mapping[str, Any]) -> DeploySpec:
    """A strategy's spec: the package, the stage, the tags, and the strategy's own `parameters`."""
    tags = tuple(resource_tags(pkg.arn, target.stage, pkg.version, pkg.group))
    return DeploySpec(pkg.arn, pkg.group, pkg.version, target.stage, tags, parameters)
