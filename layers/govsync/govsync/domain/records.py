"""Stage records: one per (model package group, version, stage), with the governance attributes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from govsync.domain.artifacts import ArtifactCopy, ValidationMetrics
from govsync.domain.decisions import Decision
from govsync.domain.deployment import Deployment, DeployState
from govsync.domain.endpoint_metrics import EndpointMetrics, MonitoringAlert
from govsync.domain.gate_results import GateReport
from govsync.domain.governance import DEFAULT_METADATA_KEYS, Governance
from govsync.domain.lineage import Lineage
from govsync.domain.package import PackageSnapshot
from govsync.domain.record_facts import Reminder, Retirement, Review
from govsync.domain.registry_decisions import RegistryDecision
from govsync.domain.stages import StageConfig

# Two facts per stage record, neither overwriting the other:
# the governance decision (`model_status`), which only the registry's decisions set ...
PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
RETIRED = "retired"
STATUSES = (PENDING, APPROVED, REJECTED, RETIRED)
# ... and the deployment's state (`deployment_status`), which only deployments set. It is read off
# the deployment's own lifecycle (`deployment.status`, see domain.deployment), never stored twice.
DEPLOYING = "deploying"
DEPLOYED = "deployed"
DEPLOY_FAILED = "deploy_failed"
BLOCKED = "blocked"
ROLLED_BACK = "rolled_back"
SUPERSEDED = "superseded"
TORN_DOWN = "retired"  # retired and its endpoint deleted (domain.retirement)
SHADOW = "shadow"
DEPLOYMENT_STATES = (DEPLOYING, DEPLOYED, SHADOW, DEPLOY_FAILED, BLOCKED, ROLLED_BACK, SUPERSEDED, TORN_DOWN)
# deployment.status -> deployment_status
_DEPLOYMENT_STATE = {
    DeployState.REQUESTED: DEPLOYING,
    DeployState.KICKED: DEPLOYING,
    DeployState.LIVE: DEPLOYED,
    DeployState.FAILED: DEPLOY_FAILED,
    DeployState.REFUSED: BLOCKED,
    DeployState.BLOCKED: BLOCKED,
    DeployState.ROLLED_BACK: ROLLED_BACK,
    DeployState.SUPERSEDED: SUPERSEDED,
    DeployState.RETIRED: TORN_DOWN,
    DeployState.SHADOW: SHADOW,
}

APPROVAL_STATUS = {"PendingManualApproval": PENDING, "Approved": APPROVED, "Rejected": REJECTED}
STAGE_STATUS = {"PendingApproval": PENDING, "Approved": APPROVED, "Rejected": REJECTED}


def deployment_state(deployment: Deployment) -> str | None:
    """The stage's deployment state (`deploying`, `deployed`, ...), or None where nothing was deployed."""
    return _DEPLOYMENT_STATE.get(deployment.status) if deployment.status else None


@dataclass(frozen=True, slots=True)
class StageRecord:
    model_group: str
    model_version: int
    model_stage: str
    model_status: str  # the decision: pending | approved | rejected | retired
    use_case_id: str | None
    use_case_name: str | None
    use_case_stage: str | None
    model_owner: str | None
    model_lob: str | None
    model_project: str | None
    model_risk: str | None
    model_validation_metrics: ValidationMetrics
    # the last window of the live endpoint's metrics (see domain.endpoint_metrics)
    model_monitoring_metrics: EndpointMetrics | None
    model_audit_timestamp: str
    model_audit_user: str
    model_package_arn: str
    source_account: str
    registry_last_modified: str
    metadata_complete: bool
    metadata_missing: tuple[str, ...]
    # the decision's words: ApprovalDescription (first stage) or ModelLifeCycle.StageDescription
    stage_description: str | None = None
    artifacts: list[ArtifactCopy] = field(default_factory=list)
    artifact_status: str = "none"
    # what the registry last decided for this stage (ModelApprovalStatus / ModelLifeCycle), or None
    registry_status: str | None = None
    # the stage's deployment: request, kick, endpoint state, rollback (see domain.deployment)
    deployment: Deployment = field(default_factory=Deployment)
    # set while the endpoint's metrics breach the stage's thresholds (see domain.monitoring)
    monitoring_alert: MonitoringAlert | None = None
    # people's decisions on this stage, oldest first (see domain.decisions and domain.approvals)
    decisions: list[Decision] = field(default_factory=list)
    # the registry's current decision on the stage: which door it came through, by whom, whether it
    # counts (see domain.registry_decisions)
    registry_decision: RegistryDecision | None = None
    # the policy gates' last word on deploying the version into this stage (see domain.gate_results)
    gates: GateReport | None = None
    # where the version came from (see domain.lineage), and the expected kinds it does not say
    lineage: Lineage | None = None
    lineage_missing: tuple[str, ...] = ()
    # live in the last stage: its periodic review (see domain.due_dates); waiting: the reminders sent
    review: Review | None = None
    approval_reminder: Reminder | None = None
    # retired: who, when, why, and what became of its deployment (see domain.retirement)
    retirement: Retirement | None = None

    @property
    def deployment_status(self) -> str | None:
        return deployment_state(self.deployment)

    def to_json(self) -> dict[str, Any]:
        """The record as stored: the fields of the dataclass."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["metadata_missing"] = list(self.metadata_missing)
        data["model_validation_metrics"] = dict(self.model_validation_metrics)
        data["deployment"] = self.deployment.to_json()
        data["decisions"] = [d.to_json() for d in self.decisions]
        data["artifacts"] = [a.to_json() for a in self.artifacts]
        for name in ("monitoring_alert", "registry_decision", "gates", "lineage", "review", "approval_reminder",
                     "retirement"):  # fmt: skip
            value = getattr(self, name)  # a value object, stored as its JSON ({} when there is none)
            data[name] = value.to_json() if value else {}
        data["lineage_missing"] = list(self.lineage_missing)
        metrics = self.model_monitoring_metrics
        data["model_monitoring_metrics"] = metrics.to_json() if metrics else {}
        return data

    def view(self, use_case_stages: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The record as people and scripts read it: both facts of the stage side by side, and the
        use case's stage from the use case's own item (`use_case_stages`, by id), its one source; the
        stored `use_case_stage` is the registrant's metadata, which only seeds a new use case."""
        data = self.to_json()
        data["deployment_status"] = self.deployment_status
        if self.use_case_id and use_case_stages and self.use_case_id in use_case_stages:
            data["use_case_stage"] = use_case_stages[self.use_case_id]
        return data


type Records = dict[str, StageRecord]  # a version's stage records, by stage

# Fields that say who/when rather than what: they change with every write, so a diff skips them.
BOOKKEEPING = frozenset({"model_audit_timestamp", "model_audit_user", "registry_last_modified"})


@dataclass(frozen=True, slots=True)
class Artifacts:
    """What the version's artifact copies came to (shared by all its stage records)."""

    entries: tuple[ArtifactCopy, ...] = ()
    status: str = "none"
    validation_metrics: ValidationMetrics = field(default_factory=dict)


def build_stage_records(
    pkg: PackageSnapshot,
    governance: Governance,
    config: StageConfig,
    artifacts: Artifacts | None = None,
    lineage: Lineage | None = None,
    lineage_missing: tuple[str, ...] = (),
) -> dict[str, StageRecord]:
    """The stage records this package state implies, keyed by stage. The first stage follows
    ModelApprovalStatus; a ModelLifeCycle naming a later stage sets that stage's record. An unknown
    lifecycle stage or status sets nothing."""
    artifacts = artifacts or Artifacts()
    common: dict[str, Any] = {
        "model_group": pkg.group,
        "model_version": pkg.version,
        "model_validation_metrics": dict(artifacts.validation_metrics),
        "artifacts": list(artifacts.entries),
        "artifact_status": artifacts.status,
        "model_monitoring_metrics": None,
        "model_audit_timestamp": pkg.last_modified_time.isoformat(),
        "model_audit_user": pkg.actor,
        "model_package_arn": pkg.arn,
        "source_account": pkg.source_account,
        "registry_last_modified": pkg.last_modified_time.isoformat(),
        "metadata_complete": not governance.missing,
        "metadata_missing": governance.missing,
        **{name: governance.values.get(name) for name in DEFAULT_METADATA_KEYS},
        "lineage": lineage,
        "lineage_missing": lineage_missing,
    }
    first_status = APPROVAL_STATUS.get(pkg.approval_status, PENDING)
    records = {
        config.first: StageRecord(
            model_stage=config.first,
            model_status=first_status,
            registry_status=first_status,
            stage_description=pkg.approval_description,
            **common,
        )
    }
    if pkg.lifecycle is not None:
        stage = config.stage_for(pkg.lifecycle.stage)
        status = STAGE_STATUS.get(pkg.lifecycle.stage_status)
        if stage is not None and stage != config.first and status is not None:
            records[stage] = StageRecord(
                model_stage=stage,
                model_status=status,
                registry_status=status,
                stage_description=pkg.lifecycle.stage_description,
                **common,
            )
    return records


# what our own functions observed and people decided on a stage: the registry's word never replaces it
OBSERVED = ("deployment", "model_monitoring_metrics", "monitoring_alert", "decisions", "gates", "review",
            "approval_reminder", "retirement")  # fmt: skip


def _decided(old: StageRecord | None, new: StageRecord) -> StageRecord:
    """A stage the registry names: its decision applies when it is a new one (a repeated one keeps the
    decision recorded since, e.g. `retired`). What our own functions observed (deployment,
    monitoring) and people's decisions stay: a decision never touches the deployment's state."""
    if old is None:
        return new
    repeated = old.registry_status == new.registry_status
    return replace(
        new,
        **{name: getattr(old, name) for name in OBSERVED},
        model_status=old.model_status if repeated else new.model_status,
        # a repeated decision keeps who made it; a new one is judged by `attribution.attribute`
        registry_decision=old.registry_decision if repeated else None,
    )


def merge_records(before: dict[str, StageRecord], implied: dict[str, StageRecord]) -> dict[str, StageRecord]:
    """Records after applying a package state: stages it names take its decision (see `_decided`),
    the others keep their status; all take the version-wide governance attributes."""
    after = dict(before)
    template = next(iter(implied.values()))
    shared = {
        name: getattr(template, name)
        for name in (
            *DEFAULT_METADATA_KEYS,
            "metadata_complete",
            "metadata_missing",
            "model_package_arn",
            "source_account",
            "registry_last_modified",
            "model_validation_metrics",
            "artifacts",
            "artifact_status",
            "lineage",
            "lineage_missing",
        )
    }
    for stage, record in before.items():
        if stage not in implied:
            after[stage] = replace(record, **shared)
    for stage, record in implied.items():
        old = before.get(stage)
        after[stage] = decided = _decided(old, record)
        if old is not None and not diff_records({stage: old}, {stage: decided}):
            # nothing but the registry's clock moved: the record still names who last changed it, and when
            after[stage] = replace(
                decided, model_audit_user=old.model_audit_user, model_audit_timestamp=old.model_audit_timestamp
            )
    return after


def diff_records(before: dict[str, StageRecord], after: dict[str, StageRecord]) -> dict[str, dict[str, list[Any]]]:
    """Per stage, the fields that changed as [before, after] (bookkeeping fields left out)."""
    changes: dict[str, dict[str, list[Any]]] = {}
    for stage, new in after.items():
        old = before.get(stage)
        new_json = new.to_json()
        old_json = old.to_json() if old else {}
        fields = {
            name: [old_json.get(name), value]
            for name, value in new_json.items()
            if name not in BOOKKEEPING and old_json.get(name) != value
        }
        if fields:
            changes[stage] = fields
    return changes
