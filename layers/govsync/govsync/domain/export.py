"""The auditor's pack: every stage record with the blog's 15 governance attributes, the audit entries
of a time window, and each version's chain verification (JSON); or a spreadsheet-ready inventory (CSV)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from govsync.domain.audit import AuditEntry, ChainVerdict
from govsync.domain.decisions import APPLIED
from govsync.domain.records import StageRecord

# the blog's "use case and model stage governance attributes", in its order
BLOG_ATTRIBUTES = (
    "use_case_id",
    "use_case_name",
    "use_case_stage",
    "model_group",
    "model_version",
    "model_owner",
    "model_lob",
    "model_project",
    "model_stage",
    "model_status",
    "model_risk",
    "model_validation_metrics",
    "model_monitoring_metrics",
    "model_audit_timestamp",
    "model_audit_user",
)
# what govsync adds to each record, after them in the CSV
OPERATIONAL_FIELDS = (
    "model_package_arn",
    "source_account",
    "registry_status",
    "registry_last_modified",
    "stage_description",
    "approved_by",
    "deployment_status",
    "deployment_account",
    "deployment_endpoint",
    "artifact_status",
    "metadata_complete",
    "metadata_missing",
    "monitoring_alert",
    "decided_through",
    "unauthorized_decision",
    "gates_failed",
    "lineage_training",
    "lineage_datasets",
    "lineage_code",
    "lineage_missing",
    "review_due",
    "review_state",
    "last_reviewed_by",
    "approval_reminders",
    "retired_by",
    "teardown",
)
CSV_HEADER = BLOG_ATTRIBUTES + OPERATIONAL_FIELDS
# record fields the CSV shows through other columns, not as their own (the JSON pack has them whole)
SUMMARIZED = {
    "deployment": ("deployment_status", "deployment_account", "deployment_endpoint"),
    "decisions": ("approved_by",),
    "artifacts": ("artifact_status",),
    "registry_decision": ("decided_through", "unauthorized_decision"),
    "gates": ("gates_failed",),
    "lineage": ("lineage_training", "lineage_datasets", "lineage_code"),
    "review": ("review_due", "review_state", "last_reviewed_by"),
    "approval_reminder": ("approval_reminders",),
    "retirement": ("retired_by", "teardown"),
}


@dataclass(frozen=True, slots=True)
class Chain:
    """One version's audit chain: its head and whether it verifies."""

    model_group: str
    model_version: int
    head_seq: int
    head_hash: str
    verdict: ChainVerdict

    def to_json(self) -> dict[str, Any]:
        return {
            "model_group": self.model_group,
            "model_version": self.model_version,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "verified": self.verdict.ok,
            "entries_checked": self.verdict.checked,
            "broken_seq": self.verdict.broken_seq,
            "reason": self.verdict.reason,
        }


def in_window(entry: AuditEntry, start: str | None, end: str | None) -> bool:
    """Entries recorded in [start, end) (ISO 8601 UTC timestamps compare as text)."""
    return (start is None or entry.recorded_at >= start) and (end is None or entry.recorded_at < end)


def row(view: dict[str, Any]) -> dict[str, Any]:
    """A record's view (StageRecord.view) as one CSV row: nested values as compact JSON."""
    deployment = view.get("deployment") or {}
    approved = [d["by"] for d in view.get("decisions") or [] if d.get("state") == APPLIED]
    decided, gates, lineage = view.get("registry_decision") or {}, view.get("gates") or {}, view.get("lineage") or {}
    run = lineage.get("mlflow_run_id")
    review, reminder, retired = (
        view.get("review") or {},
        view.get("approval_reminder") or {},
        view.get("retirement") or {},
    )
    values: dict[str, Any] = {name: view.get(name) for name in CSV_HEADER}
    values.update(
        approved_by=", ".join(approved),
        deployment_account=deployment.get("account"),
        deployment_endpoint=deployment.get("endpoint_name"),
        monitoring_alert=bool(view.get("monitoring_alert")),
        decided_through=decided.get("door"),
        unauthorized_decision=None if decided.get("authorized", True) else decided.get("reason"),
        gates_failed="; ".join(f"{r['rule']}: {r['reason']}" for r in gates.get("results") or []
                               if r.get("outcome") == "fail"),
        lineage_training=lineage.get("training_job") or (f"mlflow run {run}" if run else None),
        lineage_datasets=", ".join(d["uri"] for d in lineage.get("datasets") or []),
        lineage_code="@".join(filter(None, (lineage.get("code_repository"), lineage.get("code_commit")))),
        review_due=review.get("next_review_due"), review_state=review.get("state"),
        last_reviewed_by=review.get("last_by"),
        approval_reminders=reminder.get("count"), retired_by=retired.get("by"),
        teardown=": ".join(filter(None, (retired.get("teardown"), retired.get("result")))),
    )  # fmt: skip
    return {name: _cell(value) for name, value in values.items()}


# what makes a spreadsheet read a cell as a formula (OWASP's CSV injection advice)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list | tuple):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        return str(value)  # a number is a number, its sign included
    else:
        text = str(value)
    # registrant-controlled text (`=HYPERLINK(…)` in a description) is shown, never run: a leading quote
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(views: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_HEADER, lineterminator="\r\n")
    writer.writeheader()
    for view in views:
        writer.writerow(row(view))
    return out.getvalue()


def governance_view(record: StageRecord, use_case_stages: dict[str, str]) -> dict[str, Any]:
    """The record as the JSON pack has it: the 15 attributes first, then everything else."""
    view = record.view(use_case_stages)
    return {**{name: view[name] for name in BLOG_ATTRIBUTES}, **view}
