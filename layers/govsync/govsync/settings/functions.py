"""Each function's settings: the blocks its capability needs, read from its own environment once (never
at import time). The template gives each function exactly these variables (a test checks it)."""

from __future__ import annotations

import os
from dataclasses import replace

from govsync.domain.events import EventPolicy
from govsync.domain.targets import Target
from govsync.settings.blocks import EventSources, QueueConsumer, Registrations, Targets
from govsync.settings.capabilities import (
    Approvals,
    Copies,
    Dashboard,
    DataCapture,
    DeployRequests,
    Gates,
    MetricsCollection,
    MonitoringThresholds,
    ProgressChecks,
    UpdateWaits,
    UseCaseStages,
    WorkQueue,
)
from govsync.settings.declare import SettingsModel
from govsync.settings.due_dates import DueDateRules
from govsync.settings.evidence import Anchoring, AnchorReading, LineageSources, Notifying


class SyncSettings(
    QueueConsumer, Registrations, Copies, LineageSources, UseCaseStages, DeployRequests, Approvals, Notifying
):
    """RegistrySyncFunction: accept a registration, copy its artifacts, read its lineage, plan its
    promotions, judge who decided in the registry."""


class ReconcileSettings(SyncSettings, WorkQueue):
    """ReconcilerFunction: the registry sync over the whole registry, fanned out over its work queue."""


class DeploySettings(QueueConsumer, Gates, Notifying, DataCapture, UpdateWaits):
    """DeployFunction: pass the policy gates, then kick a stage's strategy in the stage's account."""

    @property
    def targets(self) -> dict[str, Target]:
        """The stage targets, with where their endpoints' data capture goes."""
        bucket, key = self.data_capture_bucket, self.data_capture_key_arn
        return {stage: replace(target, capture_bucket=bucket, capture_key=key)
                for stage, target in super().targets.items()}  # fmt: skip


class StatusSettings(QueueConsumer, EventSources, DueDateRules, Notifying, ProgressChecks):
    """DeploymentStatusFunction: endpoint events from the stage accounts onto the records (a model live in
    the last stage is given its first review's date; an update under guardrails is read in the stage
    account through its read role)."""

    @property
    def deploy_policy(self) -> EventPolicy:
        """Endpoint events come from the stage targets' accounts, in the allowed regions."""
        accounts = frozenset(t.account for t in self.stage_targets.values())
        regions = frozenset(t.region for t in self.stage_targets.values() if t.region) | self.allowed_regions
        return EventPolicy(allowed_accounts=accounts, allowed_regions=regions)


class MetricsSettings(QueueConsumer, MonitoringThresholds, MetricsCollection, WorkQueue, Notifying):
    """MetricsAggregatorFunction: live endpoints' metrics, held to their stage's thresholds."""


class ApiSettings(Gates, UseCaseStages, MonitoringThresholds, Dashboard, AnchorReading, DueDateRules, DeployRequests):
    """GovernanceApiFunction: people's decisions, reviews and retirements, the records, the exports, the
    dashboard."""


class DueDatesSettings(Targets, DueDateRules, Notifying):
    """DueDatesFunction: approvals waiting past their SLA reminded, live models' reviews marked due, on its
    schedule."""


class AnchorSettings(Anchoring):
    """AuditAnchorFunction: every chain's head sealed into an anchor outside the table, on its schedule."""


# each function's settings, by its logical id in template.yaml
FUNCTION_SETTINGS: dict[str, type[SettingsModel]] = {
    "RegistrySyncFunction": SyncSettings,
    "ReconcilerFunction": ReconcileSettings,
    "DeployFunction": DeploySettings,
    "DeploymentStatusFunction": StatusSettings,
    "MetricsAggregatorFunction": MetricsSettings,
    "GovernanceApiFunction": ApiSettings,
    "AuditAnchorFunction": AnchorSettings,
    "DueDatesFunction": DueDatesSettings,
}


# the settings read so far in this process, by model
_READ: dict[type[SettingsModel], SettingsModel] = {}


def settings_for[S: SettingsModel](model: type[S]) -> S:
    """The function's settings of `model`, read from the environment once: a block (the table's, the
    use-case stages') is answered from the function's own settings when they were read already, so the
    environment is parsed once per function, not once per block."""
    found = _READ.get(model) or next((s for s in _READ.values() if isinstance(s, model)), None)
    if found is None:
        found = _READ[model] = model.from_env(os.environ)
    assert isinstance(found, model)
    return found


def forget_settings() -> None:
    """Read the environment again on the next `settings_for` (tests and the CLI change it)."""
    _READ.clear()


def reference_table() -> str:
    """The docs' table of the functions' environment, from the declarations: each variable once, with
    its default, the functions that read it and what it means."""
    from govsync.settings.declare import declared

    rows: dict[str, tuple[str, str, list[str]]] = {}
    for function, model in FUNCTION_SETTINGS.items():
        for name, field in model.model_fields.items():
            spec = declared(model, name)
            default = "(required)" if field.is_required() else shown(field.get_default(call_default_factory=True))
            rows.setdefault(spec.env, (default, field.description or "", []))[2].append(function)
    lines = ["| variable | default | read by | meaning |", "|---|---|---|---|"]
    for env, (default, meaning, functions) in sorted(rows.items()):
        readers = "every function" if len(functions) == len(FUNCTION_SETTINGS) else ", ".join(sorted(functions))
        lines.append(f"| `{env}` | {default} | {readers} | {meaning} |")
    return "\n".join(lines) + "\n"


def shown(value: object) -> str:
    """A default as a person writes it in the variable (unset: none)."""
    if value is None or value == "" or value == frozenset() or value == {} or value == ():
        return "(none)"
    if isinstance(value, tuple | list):
        return f"`{','.join(map(str, value))}`"
    if isinstance(value, dict):
        import json

        return f"`{json.dumps(value)}`"
    return f"`{value}`"
