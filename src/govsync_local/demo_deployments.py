"""The demo's deployments: the local stage chain with production under deployment guardrails, and what the
stage accounts run, read there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govsync_local.accounts import Accounts, client, stage_targets
from govsync_local.demo_data import GROUP, DemoError, say

TARGETS_FILE = Path(".govsync") / "demo-stage-targets.json"
# production updates shift traffic as a canary, watched by govsync's pair of rollback alarms
PRODUCTION_GUARDRAILS = {"traffic": {"mode": "canary", "percent": 50, "wait_seconds": 600},
                         "auto_rollback_alarms": "default", "rollback_latency_ms": 250}  # fmt: skip


def demo_stage_targets(accounts: Accounts) -> dict[str, dict[str, object]]:
    """The local chain (development -> test -> production), production's updates under guardrails."""
    targets = stage_targets(accounts)
    return {**targets, "production": {**targets["production"], **PRODUCTION_GUARDRAILS}}


def live_again(store: Any, version: int, stage: str) -> bool:
    """The stage serves `version` again, by a rollback."""
    record = store.load_version(GROUP, version).records.get(stage)
    return bool(record and record.deployment_status == "deployed" and record.deployment.action == "rollback")


def show_endpoint(store: Any, endpoint: str, accounts: Accounts, version: int, stage: str) -> None:
    """What runs in the stage account, read there (through a role in that account)."""
    record = store.load_version(GROUP, version).records[stage]
    sagemaker = client("sagemaker", endpoint, record.deployment.account, accounts)
    described = sagemaker.describe_endpoint(EndpointName=record.deployment.endpoint_name)
    say(
        f"   account {record.deployment.account}: endpoint {described['EndpointName']} "
        f"{described['EndpointStatus']} on {described['EndpointConfigName']}"
    )


def show_guardrails(store: Any, version: int) -> None:
    """How SageMaker updated production: the canary, its alarms, what the record saw of it."""
    deployment = store.load_version(GROUP, version).records["production"].deployment
    if not deployment.guardrails or deployment.progress != "complete":
        raise DemoError(f"production was not updated under guardrails: {deployment.guardrails!r}, "
                        f"{deployment.progress!r}")  # fmt: skip
    say(f"   guardrails: {deployment.guardrails}\n   progress: {deployment.progress} (the local bake is 3 s; "
        "an alarm going off during it would have rolled the update back)")  # fmt: skip
