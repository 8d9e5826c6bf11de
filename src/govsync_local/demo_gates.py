"""The demo's registry door: the data scientist approves her own version in the registry; the stack
records an unauthorized decision, the policy gates keep the version out of test, and say why."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from typing import Any

from govsync_local.demo_data import GROUP, DemoError, say, wait_for


def decided_by(store: Any, version: int) -> str | None:
    """Who made the registry's approval of development, when it counts."""
    decided = store.load_version(GROUP, version).records["development"].registry_decision
    return ", ".join(decided.by) if decided and decided.authorized and decided.status == "approved" else None


def self_approval(store: Any, endpoint: str, scientist: Any, arn: str, version: int) -> None:
    """The data scientist approves her own version in the registry: it counts for nothing (development
    still waits for a decision, nothing is promoted), and the gates say why a deployment would wait."""
    say("   she approves it herself in the registry with her dev keys (the register permission allows the call)")
    scientist.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="LGTM")

    def judged() -> Any:
        decided = store.load_version(GROUP, version).records["development"].registry_decision
        return decided if decided is not None and decided.status == "approved" else None

    decided = wait_for("the registry's event to be judged", judged)
    if decided.authorized:
        raise DemoError(f"the registrant's own approval was not recorded as unauthorized: {decided}")
    say(f"   recorded as an unauthorized decision: {decided.reason}")
    command = ["govsync", "gates", "check", GROUP, str(version), "--stage", "test"]
    say("   " + shlex.join(command))
    done = subprocess.run([sys.executable, "-m", "govsync_cli", *command[1:]], text=True, capture_output=True,
                          env={**os.environ, "AWS_ENDPOINT_URL": endpoint}, stdin=subprocess.DEVNULL)  # fmt: skip
    if done.returncode != 1:
        raise DemoError(f"govsync gates check should exit 1 (blocked), not {done.returncode}: {done.stderr.strip()}")
    say("\n".join("     " + line for line in done.stdout.rstrip().splitlines()))
