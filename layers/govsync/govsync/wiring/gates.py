"""The policy gates in force: the shipped policy or the SSM parameter's, read and checked once per
function (a policy that cannot be used is logged at start and refuses every check, naming why)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govsync.domain.errors import GovsyncError
from govsync.observability import logger
from govsync.services.gate_checks import GateChecks
from govsync.settings import Gates

if TYPE_CHECKING:
    from govsync.gates.policy import Policy


def read_policy(settings: Gates) -> Policy:
    """The policy the settings name, its stages and risk tiers checked against the stack's; PolicyError
    or the parameter's read error otherwise."""
    from govsync.gates.policy import parse_policy, shipped_policy

    name = settings.gate_policy_parameter
    if name:
        from govsync.adapters.parameters import parameter_text

        policy = parse_policy(parameter_text(name, settings.region), f"the gate policy in SSM parameter {name}")
    else:
        policy = shipped_policy()
    policy.check_names(settings.stages, settings.risk_tiers)
    return policy


def gate_checks(settings: Gates) -> GateChecks:
    from govsync.gates.policy import PolicyError  # the rules load when a function first checks them

    policy: Policy | None = None
    problem = ""
    try:
        policy = read_policy(settings)
    except (PolicyError, GovsyncError) as exc:
        problem = str(exc)
        logger.error("the gate policy cannot be used: every deployment waits until it is fixed", error=problem)
    return GateChecks(policy, settings.stage_config, settings.approvals, settings.approvers, problem)
