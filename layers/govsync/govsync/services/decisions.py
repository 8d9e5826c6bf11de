"""People's decisions on model stages, for every door (API, CLI): checked (role, separation of duties,
approvers required), stored on the stage record with who, when and why, then made in the registry;
the record follows when the registry's event comes back, as for a decision made in Studio."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govsync.domain import approvals
from govsync.domain.approvals import ApprovalRules, Ask, Verdict, risk_tier
from govsync.domain.decisions import COLLECTED, FAILED, SENT
from govsync.domain.due_dates import Cadence, waiting_since
from govsync.domain.errors import GovsyncError, Refused
from govsync.domain.package import PackageSnapshot
from govsync.domain.people import DECIDE, Person
from govsync.domain.records import APPROVAL_STATUS, PENDING, STAGE_STATUS, Records, StageRecord
from govsync.domain.stages import StageConfig
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.ports import RegistryDecisions, Store
from govsync.services.updates import Audit, update_records
from govsync.settings import Approvals

REGISTRY_STATUS = {"approve": "Approved", "reject": "Rejected"}


def required_comment(comment: str) -> str:
    """A decision's comment, which every decision takes (400 without one)."""
    if not comment.strip():
        raise Refused(400, "comment: a decision takes a comment saying why")
    return comment.strip()


def same_instant(given: str, actual: datetime) -> bool:
    """An If-Match timestamp names the package's LastModifiedTime (any ISO 8601 spelling of it)."""
    try:
        parsed = datetime.fromisoformat(given.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Refused(400, f"If-Match: {given[:60]!r} is not an ISO 8601 timestamp (the record's "
                           "registry_last_modified)") from None  # fmt: skip
    if parsed.tzinfo is None:
        raise Refused(400, f"If-Match: {given[:60]!r} has no time zone")
    return parsed == actual


@dataclass
class Decisions:
    settings: Approvals
    store: Store
    registry: RegistryDecisions
    clock: Callable[[], datetime]
    new_id: Callable[[], str] = field(default=lambda: uuid.uuid4().hex)
    cadence: Cadence = field(default_factory=Cadence)

    def decide(
        self,
        person: Person,
        group: str,
        version: int,
        stage: str,
        decision: str,
        comment: str,
        if_match: str | None = None,
    ) -> dict[str, Any]:
        """One person's decision. Raises Refused (403 not theirs, 404 unknown, 409 stale or already decided,
        502 the registry refused); returns what became of it (`collected` or `sent`)."""
        if (refusal := person.refusal(DECIDE)) is not None:
            raise Refused(403, refusal)
        comment = required_comment(comment)
        state = self.store.load_version(group, version)
        if not state.records:
            raise Refused(404, f"no governance record for {group} version {version}")
        arn = next(iter(state.records.values())).model_package_arn
        pkg = self.registry.describe_package(arn, self.settings.region)
        if if_match and not same_instant(if_match, pkg.last_modified_time):
            raise Refused(
                409,
                f"the package changed since {if_match}: it was last modified at "
                f"{pkg.last_modified_time.isoformat()}; reload the record and decide again",
            )
        now = self.clock().isoformat()
        ask = Ask(self.new_id(), stage, decision, comment, person, now, pkg.last_modified_time.isoformat())
        verdict: Verdict | None = None

        registry_now = registry_decision(pkg, stage, self.settings.stage_config)

        def store_decision(records: Records) -> Records:
            nonlocal verdict
            verdict = approvals.decide(
                ask, records, self.settings.stage_config, self.settings.approvals, pkg.created_by,
                self.settings.identity_map, registry_now,
            )  # fmt: skip
            return {**records, stage: verdict.record}

        audit = Audit(f"decision-{ask.decision_id}", person.name, f"decision-{decision}", now)
        try:
            update_records(self.store, group, version, store_decision, audit)
        except Refused as refused:
            if refused.status == 403:
                self._audit_refusal(ask, group, version, refused.reason)
            raise
        assert verdict is not None
        result = {
            "decision_id": ask.decision_id,
            "model_group": group,
            "model_version": version,
            "stage": stage,
            "decision": decision,
            "state": verdict.outcome,
            "approvers": list(verdict.approvers),
            "approvals_required": verdict.required,
            "against": ask.against,
        }
        logger.info("decision stored", decision_id=ask.decision_id, model_group=group, model_version=version,
                    stage=stage, decision=decision, state=verdict.outcome, by=person.name)  # fmt: skip
        if verdict.outcome == COLLECTED:
            metrics.add_metric(name="ApprovalsCollected", unit=MetricUnit.Count, value=1)
            return result
        self._send(ask, group, version, pkg.arn, pkg.region)
        metrics.add_metric(name="DecisionsSent", unit=MetricUnit.Count, value=1)
        return result

    def _send(self, ask: Ask, group: str, version: int, arn: str, region: str) -> None:
        """Make the decision in the registry; a refusal there marks it failed and says why (502)."""
        first = ask.stage == self.settings.stages[0]
        try:
            self.registry.record_decision(
                arn, region, lifecycle_stage=None if first else ask.stage, status=REGISTRY_STATUS[ask.decision],
                comment=ask.comment,
            )  # fmt: skip
        except GovsyncError as exc:
            error = str(exc)
            logger.warning("registry refused the decision", decision_id=ask.decision_id, error=error)

            def failed(records: Records) -> Records:
                return {**records, ask.stage: approvals.mark(records[ask.stage], ask.decision_id, FAILED, error)}

            audit = Audit(f"decision-{ask.decision_id}", ask.person.name, "decision-failed", self.clock().isoformat())
            update_records(self.store, group, version, failed, audit)
            raise Refused(502, f"the registry refused the decision: {exc}") from exc

    def _audit_refusal(self, ask: Ask, group: str, version: int, reason: str) -> None:
        """A refused decision leaves an audit entry (no record changes)."""
        refusal = {"decision": ask.decision, "by": ask.person.name, "comment": ask.comment, "reason": reason,
                   "at": ask.at}  # fmt: skip
        note = {ask.stage: {"refused_decision": [None, refusal]}}
        audit = Audit(f"decision-{ask.decision_id}", ask.person.name, "decision-refused", ask.at, note=note)
        update_records(self.store, group, version, dict, audit)
        logger.warning("decision refused", model_group=group, model_version=version, stage=ask.stage, reason=reason)
        metrics.add_metric(name="DecisionsRefused", unit=MetricUnit.Count, value=1)

    def pending(self) -> list[dict[str, Any]]:
        """Stage records awaiting a decision, oldest first: how long they have waited, their risk, the
        approvals collected and the approvals required."""
        now, rules, stages = self.clock(), self.settings.approvals, list(self.settings.stages)
        waiting = [record for stage in stages for record in self.store.records_by_stage_status(stage, PENDING)]
        # the stage before each one's: an alert there is part of what is decided (one batch read)
        below = {stage: stages[i - 1] for i, stage in enumerate(stages) if i}
        lower = {(r.model_group, r.model_version, r.model_stage): r
                 for r in self.store.records_at({(w.model_group, w.model_version, below[w.model_stage])
                                                 for w in waiting if w.model_stage in below})}  # fmt: skip
        rows = []
        for record in waiting:
            before = lower.get((record.model_group, record.model_version, below.get(record.model_stage, "")))
            rows.append(self._pending_row(record, now, rules) | decision_context(record, before))
        rows.sort(key=lambda r: (r["waiting_since"], r["model_group"], r["model_version"]))
        return rows

    def _pending_row(self, record: StageRecord, now: datetime, rules: ApprovalRules) -> dict[str, Any]:
        since = waiting_since(record)
        collected = approvals.approvals(record)
        try:
            waited = max(0, int((now - datetime.fromisoformat(since)).total_seconds()))
        except ValueError:
            waited = None
        return {
            "model_group": record.model_group,
            "model_version": record.model_version,
            "stage": record.model_stage,
            "model_risk": record.model_risk,
            "use_case_id": record.use_case_id,
            "model_owner": record.model_owner,
            "model_package_arn": record.model_package_arn,
            "registry_last_modified": record.registry_last_modified,
            "deployment_status": record.deployment_status,
            "waiting_since": since,
            "waited_seconds": waited,
            # past its risk tier's SLA (the reminders' period): the dashboard's "approvals overdue"
            "sla_hours": (sla := self.cadence.sla(record.model_risk)),
            "overdue": waited is not None and waited > sla * 3600,
            "approvals": [{"by": d.by, "at": d.at, "comment": d.comment} for d in collected],
            "approvals_collected": len(collected),
            "approvals_required": rules.required(record.model_stage, record.model_risk),
            # the configured tier the risk names (None: it names none, and takes the most any tier takes)
            "risk_tier": risk_tier(record.model_risk, rules.risk_tiers),
            "decision_sent": any(d.state == SENT for d in record.decisions),
        }


def decision_context(record: StageRecord, before: StageRecord | None) -> dict[str, Any]:
    """What a decision on `record` should be made knowing: live alerts on its stage or the stage before
    (`before`), the gates' last word, lineage, the review, and the previous decision's words."""
    previous = next((d for d in reversed(record.decisions) if d.state != COLLECTED), None)
    alerts = [(r.model_stage, r.monitoring_alert) for r in (record, before) if r is not None and r.monitoring_alert]
    words = ("decision", "by", "comment", "at", "state")
    return {
        "use_case_name": record.use_case_name,
        "alerts": [{"stage": stage, **alert.to_json()} for stage, alert in alerts],
        "gates": record.gates.to_json() if record.gates else None,
        "lineage": record.lineage.to_json() if record.lineage else None,
        "lineage_missing": list(record.lineage_missing),
        "review": record.review.to_json() if record.review else None,
        "previous_decision": {k: getattr(previous, k) for k in words} if previous else None,
        "stage_description": record.stage_description,
    }


def registry_decision(pkg: PackageSnapshot, stage: str, config: StageConfig) -> str | None:
    """The stage's decision in the registry now (pending, approved, rejected), or None where it has none."""
    if stage == config.first:
        return APPROVAL_STATUS.get(pkg.approval_status)
    if pkg.lifecycle is not None and config.stage_for(pkg.lifecycle.stage) == stage:
        return STAGE_STATUS.get(pkg.lifecycle.stage_status)
    return None
