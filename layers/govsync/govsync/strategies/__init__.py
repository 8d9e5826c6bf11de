"""Deploy strategies, one module each behind one protocol (`base.DeployStrategy`). Adding one is a
new module and one line in STRATEGIES."""

from __future__ import annotations

from govsync.domain.targets import StageTarget
from govsync.strategies.base import Clients, DeployStrategy
from govsync.strategies.codepipeline import CodePipeline
from govsync.strategies.event import EventBus
from govsync.strategies.sagemaker_endpoint import SageMakerEndpoint

STRATEGIES: dict[str, type[DeployStrategy]] = {s.name: s for s in (SageMakerEndpoint, CodePipeline, EventBus)}


def check_target(target: StageTarget) -> StageTarget:
    """The target, if its strategy exists and has what it needs; else ValueError naming the problem."""
    strategy = STRATEGIES.get(target.strategy)
    if strategy is None:
        raise ValueError(f"unknown strategy {target.strategy!r} (strategies: {', '.join(sorted(STRATEGIES))})")
    strategy.check_target(target)
    return target


def build(clients: Clients) -> dict[str, DeployStrategy]:
    return {name: strategy(clients) for name, strategy in STRATEGIES.items()}


__all__ = ["STRATEGIES", "Clients", "DeployStrategy", "build", "check_target"]
