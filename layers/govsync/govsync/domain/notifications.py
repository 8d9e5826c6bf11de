"""What people are told, read off the audit trail: each audit entry is one change, written once (a
redelivered event or a re-run job writes none), so the notifications an entry implies are told once.

A notification has one documented shape per type (`docs/notifications/<type>.schema.json`):

- `approval-requested`: a stage record now waits for a decision (created pending, or back to pending);
- `unauthorized-decision`: the registry's decision on a stage was made by someone who may not decide;
- `gate-failed`: the policy gates keep the version out of a stage;
- `deployment-failed`: a deployment failed or was refused;
- `deployed`: a version went live in a stage's account (a rollback's redeployment too);
- `rolled-back`: a version was taken off a stage's endpoint in favour of the one before;
- `auto-rolled-back`: SageMaker rolled an update back (an auto-rollback alarm during the bake, or a
  fleet that did not come into service): the version failed in the stage, the one before stays live;
- `metric-alert`: a live endpoint's metrics breach the stage's thresholds (once, while they do);
- `metric-alert-resolved`: a window within the thresholds again;
- `approval-reminder`: a stage has waited for a decision into another period of its tier's SLA;
- `review-due`: a live model's periodic review comes due (`ReviewNoticeDays` ahead of the date);
- `review-overdue`: the review's date has passed without a review;
- `retired`: a retired stage's teardown is done (its endpoint deleted, or found serving another version,
  or nothing deployed), with who retired it, why and what became of the endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from govsync.domain.audit import AuditEntry

APPROVAL_REQUESTED = "approval-requested"
UNAUTHORIZED_DECISION = "unauthorized-decision"
GATE_FAILED = "gate-failed"
DEPLOYMENT_FAILED = "deployment-failed"
DEPLOYED = "deployed"
ROLLED_BACK = "rolled-back"
METRIC_ALERT = "metric-alert"
METRIC_ALERT_RESOLVED = "metric-alert-resolved"
APPROVAL_REMINDER = "approval-reminder"
REVIEW_DUE = "review-due"
REVIEW_OVERDUE = "review-overdue"
RETIRED = "retired"
AUTO_ROLLED_BACK = "auto-rolled-back"
TYPES = (APPROVAL_REQUESTED, UNAUTHORIZED_DECISION, GATE_FAILED, DEPLOYMENT_FAILED, DEPLOYED, ROLLED_BACK,
         AUTO_ROLLED_BACK, METRIC_ALERT, METRIC_ALERT_RESOLVED, APPROVAL_REMINDER, REVIEW_DUE, REVIEW_OVERDUE,
         RETIRED)  # fmt: skip

# a deployment's status (domain.deployment.DeployState) -> the notification its arrival implies
_DEPLOYMENT_TYPES = {"live": DEPLOYED, "failed": DEPLOYMENT_FAILED, "refused": DEPLOYMENT_FAILED,
                     "rolled_back": ROLLED_BACK}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification: its type, the version and stage it is about, and what happened, in words."""

    type: str
    model_group: str
    model_version: int
    stage: str
    summary: str
    entry_seq: int
    entry_hash: str
    time: str
    actor: str
    detail: dict[str, Any] = field(default_factory=dict)
    link: str | None = None

    @property
    def id(self) -> str:
        """The same notification has the same id, however often it is sent (receivers drop repeats)."""
        return f"{self.entry_hash[:32]}:{self.stage}:{self.type}"

    def to_json(self) -> dict[str, Any]:
        message = {
            "id": self.id,
            "type": self.type,
            "time": self.time,
            "model_group": self.model_group,
            "model_version": self.model_version,
            "stage": self.stage,
            "summary": self.summary,
            "actor": self.actor,
            "audit_seq": self.entry_seq,
            "detail": self.detail,
        }
        if self.link:
            message["link"] = self.link
        return message


def _changed(facts: Mapping[str, list[Any]], name: str) -> tuple[Any, Any] | None:
    pair = facts.get(name)
    return (pair[0], pair[1]) if isinstance(pair, list) and len(pair) == 2 else None


def _status(value: Any) -> str | None:
    return value.get("status") if isinstance(value, dict) else None


def _stage_notices(stage: str, facts: Mapping[str, list[Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(type, summary, detail) for each fact of one stage's change worth telling."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    if (status := _changed(facts, "model_status")) and status[1] == "pending" and status[0] != "pending":
        found.append((APPROVAL_REQUESTED, f"{stage} waits for a decision", {"previous_status": status[0]}))
    decided = _changed(facts, "registry_decision")
    if decided and isinstance(decided[1], dict) and decided[1].get("authorized") is False:
        reason = str(decided[1].get("reason") or "")
        by = ", ".join(decided[1].get("by") or ())
        detail = {"by": by, "status": decided[1].get("status"), "reason": reason}
        found.append((UNAUTHORIZED_DECISION, f"{stage}: {by}'s decision counts for nothing: {reason}", detail))
    if (gates := _changed(facts, "gates")) and isinstance(gates[1], dict) and gates[1].get("passed") is False:
        failed = [r for r in gates[1].get("results") or [] if r.get("outcome") == "fail"]
        words = "; ".join(f"{r.get('rule')}: {r.get('reason')}" for r in failed)
        detail = {"failed": [{"rule": r.get("rule"), "reason": r.get("reason")} for r in failed]}
        found.append((GATE_FAILED, f"deploying into {stage} waits: {words}", detail))
    if deployment := _changed(facts, "deployment"):
        before, after = _status(deployment[0]), _status(deployment[1])
        kind = _DEPLOYMENT_TYPES.get(after or "")
        if kind and before != after:
            d = deployment[1]
            keys: tuple[str, ...] = ("account", "endpoint_name", "action", "previous_version", "error")
            if kind == DEPLOYMENT_FAILED and d.get("rolled_back_by"):
                kind, keys = (
                    AUTO_ROLLED_BACK,
                    (*keys, "rolled_back_by", "guardrails", "rollback_alarms", "tripped_alarms"),
                )
            detail = {key: d.get(key) for key in keys if d.get(key) is not None}
            where = f" in {d.get('account')}" if d.get("account") else ""
            summary = {
                DEPLOYED: f"live in {stage}{where}",
                ROLLED_BACK: f"rolled back in {stage}{where}",
                DEPLOYMENT_FAILED: f"deployment into {stage}{where} failed: {d.get('error') or after}",
                AUTO_ROLLED_BACK: f"{stage}{where}: {d.get('error')}",
            }[kind]
            found.append((kind, summary, detail))
    found.extend(_alert_notices(stage, facts))
    found.extend(_due_date_notices(stage, facts))
    return found


def _due_date_notices(stage: str, facts: Mapping[str, list[Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """A reminder sent (its count went up), a review come due or overdue (its state moved there)."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    reminder = _changed(facts, "approval_reminder")
    if reminder and isinstance(reminder[1], dict) and reminder[1]:
        sent = reminder[1]
        hours = int(sent.get("sla_hours") or 0)
        waited = hours * int(sent.get("count") or 0)
        words = f"{waited} h" if waited < 72 else f"{waited // 24} days"
        detail = {key: sent.get(key) for key in ("since", "count", "sla_hours")}
        found.append((APPROVAL_REMINDER, f"{stage} has waited over {words} for a decision (SLA {hours} h)", detail))
    review = _changed(facts, "review")
    if review and isinstance(review[1], dict) and review[1].get("state") in ("due", "overdue"):
        before, after = review[0] if isinstance(review[0], dict) else {}, review[1]
        if before.get("state") != after["state"] or before.get("next_review_due") != after.get("next_review_due"):
            detail = {key: after.get(key) for key in ("next_review_due", "every_days", "last_at", "last_by")}
            kind, words = (REVIEW_DUE, "is due") if after["state"] == "due" else (REVIEW_OVERDUE, "is overdue")
            found.append((kind, f"{stage}'s periodic review {words} (due {after.get('next_review_due')})", detail))
    retired = _changed(facts, "retirement")
    if retired and isinstance(retired[1], dict) and retired[1].get("teardown") not in (None, "requested"):
        before = retired[0] if isinstance(retired[0], dict) else {}
        if before.get("teardown") in (None, "requested"):
            done = retired[1]
            detail = {key: done.get(key) for key in ("by", "door", "comment", "teardown", "result", "endpoint_name")}
            found.append((RETIRED, f"{stage} retired by {done.get('by')}: {done.get('result')}", detail))
    return found


def _breach_words(breach: Mapping[str, Any]) -> str:
    if breach.get("metric") == "monitor_violations":
        return f"Model Monitor: {breach.get('value')}"
    return f"{breach.get('metric')} {breach.get('value')} over {breach.get('threshold')}"


def _alert_notices(stage: str, facts: Mapping[str, list[Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """A monitoring alert raised, or resolved (a window that keeps it open tells nothing)."""
    alert = _changed(facts, "monitoring_alert")
    if alert is None or bool(alert[0]) == bool(alert[1]):
        return []
    window = (_changed(facts, "model_monitoring_metrics") or (None, None))[1] or {}
    detail = {key: window.get(key) for key in ("endpoint_name", "account", "window_start", "window_end")}
    detail["values"] = window.get("values") or {}
    if alert[1]:
        breaches = list(alert[1].get("breaches") or [])
        words = "; ".join(_breach_words(b) for b in breaches)
        detail |= {"since": alert[1].get("since"), "breaches": breaches}
        return [(METRIC_ALERT, f"{stage}'s metrics breach its thresholds: {words}", detail)]
    detail["since"] = alert[0].get("since")
    return [(METRIC_ALERT_RESOLVED, f"{stage}'s metrics are within its thresholds again", detail)]


def version_link(dashboard_url: str | None, group: str, version: int) -> str | None:
    """The version's page on the dashboard, when its URL is known."""
    if not dashboard_url:
        return None
    return f"{dashboard_url.split('#')[0]}#/models/{quote(group, safe='')}/{version}"


def notices(entry: AuditEntry, dashboard_url: str | None = None) -> list[Notice]:
    """The notifications one audit entry implies, in stage order as the entry holds them."""
    link = version_link(dashboard_url, entry.model_group, entry.model_version)
    return [
        Notice(
            kind,
            entry.model_group,
            entry.model_version,
            stage,
            summary,
            entry.seq,
            entry.hash,
            entry.recorded_at,
            entry.actor,
            detail,
            link,
        )
        for stage, facts in entry.changes.items()
        if isinstance(facts, dict)
        for kind, summary, detail in _stage_notices(stage, facts)
    ]
