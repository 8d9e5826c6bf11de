"""Deployment guardrails locally: `update_endpoint` with a `DeploymentConfig` is Updating (on the old
config, the new one in `PendingDeploymentSummary`: its fleet Creating for the first third of the bake,
then Baking) for a bake, then InService on the new config; if
one of its auto-rollback alarms is in ALARM during the bake, RollingBack, then InService on the old
config. The alarms must exist (SageMaker refuses alarms it cannot find).

Departures from SageMaker (the local stack's README says so): the bake lasts the configured waits but
at most `GOVSYNC_LOCAL_BAKE_SECONDS` (default 3 s) so that a demo does not wait ten minutes; traffic
moves in one step at its end (no canary fleet takes a share meanwhile); a rollback's `FailureReason`
names the alarms in ALARM (SageMaker may leave it empty); alarms change state only when set
(`SetAlarmState`: CloudWatch's own evaluation of metrics does not run locally)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker.models import ValidationError

from govsync_local.motoext.listeners import endpoint_notify

DEFAULT_BAKE_SECONDS = 3.0
_POLL = 0.1


def bake_seconds(config: dict[str, Any]) -> float:
    """How long an update is watched locally: SageMaker's waits, capped by GOVSYNC_LOCAL_BAKE_SECONDS."""
    policy = config.get("BlueGreenUpdatePolicy") or {}
    routing = policy.get("TrafficRoutingConfiguration") or {}
    steps = 1 if routing.get("Type") in (None, "ALL_AT_ONCE", "CANARY") else 2
    configured = int(routing.get("WaitIntervalInSeconds") or 0) * steps + int(
        policy.get("TerminationWaitInSeconds") or 0
    )
    cap = float(os.environ.get("GOVSYNC_LOCAL_BAKE_SECONDS") or DEFAULT_BAKE_SECONDS)
    return min(float(configured), cap)


def _alarms(account: str, region: str) -> dict[str, Any]:
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends[account][region].alarms


def alarm_names(config: dict[str, Any]) -> list[str]:
    return [a["AlarmName"] for a in (config.get("AutoRollbackConfiguration") or {}).get("Alarms", [])]


def check_alarms(config: dict[str, Any], account: str, region: str) -> None:
    """SageMaker refuses an update whose rollback alarms it cannot find."""
    known = _alarms(account, region)
    if missing := [name for name in alarm_names(config) if name not in known]:
        raise ValidationError(f"Could not find alarm(s) {', '.join(missing)} in {account}.")


def pending_summary(config_name: str, variants: list[dict[str, Any]], status: str) -> dict[str, Any]:
    """DescribeEndpoint's PendingDeploymentSummary: the new fleet provisioning (Creating, no instance
    up yet) or up and baking."""
    now = utcnow()
    return {
        "EndpointConfigName": config_name,
        "StartTime": now,
        "ProductionVariants": [
            {
                "VariantName": variant["VariantName"],
                "CurrentInstanceCount": 0 if status == "Creating" else int(variant.get("InitialInstanceCount") or 1),
                "DesiredInstanceCount": int(variant.get("InitialInstanceCount") or 1),
                "VariantStatus": [{"Status": status, "StartTime": now}],
            }
            for variant in variants
        ],
    }


def start(response: Any, endpoint: Any, new_config: str, deployment_config: dict[str, Any]) -> None:
    """Begin a guarded update: Updating now; the bake runs on its own thread (the caller's request
    returns at once, as SageMaker's does)."""
    account, region = response.current_account, response.region
    old_config = endpoint.endpoint_config_name
    endpoint.endpoint_status = "Updating"
    endpoint.failure_reason = None
    endpoint.last_modified_time = utcnow()
    variants = response.sagemaker_backend.endpoint_configs[new_config].response_object["ProductionVariants"]
    endpoint.pending_deployment_summary = pending_summary(new_config, variants, "Creating")
    endpoint_notify(response, endpoint.endpoint_name, ("UPDATING",))

    def bake() -> None:
        started = time.monotonic()
        firing: list[str] = []
        while True:
            # the cap is read as the bake goes: lowering GOVSYNC_LOCAL_BAKE_SECONDS ends a bake under way
            seconds, elapsed = bake_seconds(deployment_config), time.monotonic() - started
            if endpoint.pending_deployment_summary and elapsed >= seconds / 3:
                endpoint.pending_deployment_summary = pending_summary(new_config, variants, "Baking")
            alarms = _alarms(account, region)
            names = alarm_names(deployment_config)
            firing = [n for n in names if n in alarms and alarms[n].state_value == "ALARM"]
            if firing or elapsed >= seconds:
                break
            time.sleep(_POLL)
        endpoint.pending_deployment_summary = None
        endpoint.last_deployment_config = deployment_config
        endpoint.last_modified_time = utcnow()
        if firing:
            endpoint.endpoint_status = "RollingBack"
            endpoint_notify(response, endpoint.endpoint_name, ("ROLLING_BACK",))
            endpoint.endpoint_config_name = old_config
            endpoint.failure_reason = f"Rolled back: alarm(s) {', '.join(firing)} in ALARM during the deployment."
        else:
            backend = response.sagemaker_backend
            config = backend.endpoint_configs[new_config].response_object
            endpoint.endpoint_config_name = new_config
            endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
            shadows = config.get("ShadowProductionVariants")
            endpoint.shadow_production_variants = endpoint._process_production_variants(shadows) if shadows else None
        endpoint.endpoint_status = "InService"
        endpoint_notify(response, endpoint.endpoint_name, ("IN_SERVICE",))

    threading.Thread(target=bake, name=f"bake-{endpoint.endpoint_name}", daemon=True).start()
