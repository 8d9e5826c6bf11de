"""Faithful AWS behaviour that moto 5.2.5 lacks, added as an extension of moto: one module per
patched service, each with its own `install`. Installed in-process (the local stack's moto server
and the tests), never in the functions.

- `sagemaker_packages`: ModelLifeCycle, ModelCard, update semantics, caller identity;
- `sagemaker_sharing`: group resource policies, cross-account calls by ARN, authorized by the group's
  policy or an accepted RAM share;
- `ram`: resource shares of model package groups with SageMaker's managed permissions, invitations;
- `sagemaker_endpoints`: endpoint states, update_endpoint, FAILED on missing model data, names;
- `sagemaker_guardrails`: update_endpoint's DeploymentConfig: a bake, rolled back by an alarm in ALARM;
- `model_monitor`: monitoring schedules and executions;
- `events`: `account` and `resources` on delivered and forwarded events;
- `cloudwatch`: percentile statistics;
- `dynamodb`: transactions and queries that do not copy or sort the whole table;
- `s3`: CopySourceIfMatch, ranged UploadPartCopy;
- `cognito`: a signing key per user pool, generated when it is created, served as its JWKS;
- `cloudformation`: the key policy, bucket and table properties moto's resource types leave out;
- `listeners`: hooks (`on_model_package_change`, `on_endpoint_change`) so the local stack can emit
  SageMaker's events.
"""

from __future__ import annotations

from govsync_local.motoext import (
    cloudformation,
    cloudwatch,
    cognito,
    dynamodb,
    events,
    model_monitor,
    ram,
    s3,
    sagemaker_endpoints,
    sagemaker_packages,
    sagemaker_sharing,
)
from govsync_local.motoext.listeners import (
    clear_listeners,
    on_endpoint_change,
    on_model_package_change,
    set_default_account,
)
from govsync_local.motoext.model_monitor import LOCAL_EXECUTION_TAG, record_monitoring_execution

_installed = False
PATCHES = (
    sagemaker_packages,
    sagemaker_sharing,
    ram,
    sagemaker_endpoints,
    model_monitor,
    events,
    cloudwatch,
    dynamodb,
    s3,
    cloudformation,
    cognito,
)


def install() -> None:
    """Install every patch (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    for patch in PATCHES:
        patch.install()


__all__ = [
    "LOCAL_EXECUTION_TAG",
    "clear_listeners",
    "install",
    "on_endpoint_change",
    "on_model_package_change",
    "record_monitoring_execution",
    "set_default_account",
]
