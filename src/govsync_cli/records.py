"""govsync records list / show: the stage records, as tables or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from govsync_cli.audit import decision_line
from govsync_cli.base import (
    EMPTY,
    EXIT_OK,
    NotFound,
    cell,
    emit,
    one_of,
    stages_of,
    store_for,
    table,
    views,
)

RECORD_COLUMNS = ("model_group", "model_version", "model_stage", "model_status", "deployment", "use_case_id",
                  "use_case_stage", "model_owner", "model_risk", "metadata_complete", "artifact_status", "monitoring",
                  "model_audit_user", "model_audit_timestamp")  # fmt: skip


# ---------------------------------------------------------------------------- records
def cmd_records_list(args: argparse.Namespace) -> int:
    from govsync.domain.records import DEPLOYMENT_STATES, STATUSES
    from govsync.services.queries import RecordFilter, find_records

    stages = stages_of(args)
    one_of(args.stage, stages, "--stage")
    one_of(args.status, STATUSES, "--status")
    one_of(args.deployment, DEPLOYMENT_STATES, "--deployment")
    store = store_for(args)
    wanted = RecordFilter(stage=args.stage, status=args.status, group=args.group, use_case=args.use_case)
    records = find_records(store, stages, wanted)
    if not records and args.use_case and store.load_use_case(args.use_case) is None:
        raise NotFound(f"no use case {args.use_case!r} and no records naming it")
    if not records and args.group and next(iter(store.all_records(stages, args.group)), None) is None:
        raise NotFound(f"no records of model group {args.group!r}")
    records = [r for r in records if not args.deployment or r.deployment_status == args.deployment]
    data = views(store, records)
    rows = [{**row, "deployment": _deployment_cell(row), "monitoring": _monitoring_cell(row)} for row in data]
    emit(args, data, table(rows, RECORD_COLUMNS))
    return EXIT_OK


def cmd_records_show(args: argparse.Namespace) -> int:
    store = store_for(args)
    state = store.load_version(args.group, args.version)
    if not state.records:
        raise NotFound(f"no governance record for {args.group} version {args.version}")
    stages = stages_of(args)
    records = sorted(
        state.records.values(), key=lambda r: stages.index(r.model_stage) if r.model_stage in stages else 99
    )
    data = views(store, records)
    if args.json:
        emit(args, data, "")
        return EXIT_OK
    blocks = []
    for record in data:
        width = max(len(k) for k in record)
        lines = []
        for k, v in record.items():
            if k == "artifacts":
                lines.append(f"{k.ljust(width)}  {len(v) or EMPTY}")
                lines.extend(f"{''.ljust(width)}  - {_artifact_line(a)}" for a in v)
            elif k == "deployment" and v:
                lines.append(f"{k.ljust(width)}  {_deployment_line(v)}")
            elif k == "model_monitoring_metrics" and v:
                lines.append(f"{k.ljust(width)}  {_monitoring_line(v)}")
                lines.extend(f"{''.ljust(width)}  - {_monitor_line(m)}" for m in v.get("monitors", []))
            elif k == "monitoring_alert" and v:
                lines.append(f"{k.ljust(width)}  {_alert_line(v)}")
            elif k == "lineage" and v:
                lines.append(f"{k.ljust(width)}  {lineage_line(v)}")
                lines.extend(f"{''.ljust(width)}  - {dataset_line(d)}" for d in v.get("datasets", []))
                lines.extend(f"{''.ljust(width)}  ! {problem}" for problem in v.get("problems", []))
            elif k == "decisions" and v:
                lines.append(f"{k.ljust(width)}  {len(v)}")
                lines.extend(f"{''.ljust(width)}  - {d['at']} {decision_line(d)}" for d in v)
            elif isinstance(v, dict | list) and v:
                lines.append(f"{k.ljust(width)}  {json.dumps(v)}")
            else:
                lines.append(f"{k.ljust(width)}  {cell(v)}")
        blocks.append("\n".join(lines))
    print("\n\n".join(blocks))
    return EXIT_OK


def _deployment_cell(record: dict[str, Any]) -> str:
    if not record.get("deployment_status"):
        return ""
    return f"{record['deployment_status']}@{record['deployment'].get('account')}"


def _monitoring_cell(record: dict[str, Any]) -> str:
    values = (record.get("model_monitoring_metrics") or {}).get("values")
    if not values:
        return ""
    cell = f"{values['invocations']} inv, 5xx {values['invocation_5xx_rate']:.1%}"
    if "model_latency_p90_us" in values:
        cell += f", p90 {values['model_latency_p90_us'] / 1000:g} ms"
    return cell + (" ALERT" if record.get("monitoring_alert") else "")


def _monitoring_line(m: dict[str, Any]) -> str:
    v = m.get("values", {})
    parts = [
        f"{m.get('endpoint_name')} in {m.get('account')}, {m.get('window_start')} .. {m.get('window_end')}:",
        f"{v.get('invocations')} invocations, 4xx {v.get('invocation_4xx_errors')} "
        f"({v.get('invocation_4xx_rate', 0):.1%}), 5xx {v.get('invocation_5xx_errors')} "
        f"({v.get('invocation_5xx_rate', 0):.1%})",
    ]
    latency = [
        f"{label} {v[key] / 1000:g} ms"
        for key, label in (
            ("model_latency_avg_us", "model avg"),
            ("model_latency_p90_us", "p90"),
            ("overhead_latency_avg_us", "overhead avg"),
        )
        if key in v
    ]
    if latency:
        parts.append("latency " + ", ".join(latency))
    return " ".join(parts[:1]) + " " + "; ".join(parts[1:]) + f" (collected {m.get('collected_at')})"


def _monitor_line(monitor: dict[str, Any]) -> str:
    last = monitor.get("last_execution") or {}
    execution = f"last run {last.get('status')} at {last.get('scheduled_time')}" if last else "no run yet"
    schedule = f"{monitor.get('schedule_name')} ({monitor.get('schedule_status')})"
    return f"Model Monitor {monitor.get('monitoring_type')} {schedule}: {execution}"


def _alert_line(alert: dict[str, Any]) -> str:
    breached = "; ".join(
        f"Model Monitor {b['value']}: {b['threshold']}"
        if b["metric"] == "monitor_violations"
        else f"{b['metric']} {b['value']} > {b['threshold']}"
        for b in alert.get("breaches", [])
    )
    return f"since {alert.get('since')} (window ending {alert.get('window_end')}): {breached}"


def _deployment_line(d: dict[str, Any]) -> str:
    where = d.get("endpoint_name") or d.get("pipeline_execution_id") or d.get("event_id") or ""
    parts = [f"{d.get('status')} ({d.get('action', 'promote')}, {d.get('strategy')}) in {d.get('account')}"]
    if where:
        parts.append(f"-> {where}")
    if d.get("endpoint_config_name"):
        parts.append(f"config {d['endpoint_config_name']}")
    if d.get("previous_version"):
        parts.append(f"replaced v{d['previous_version']}")
    if d.get("superseded_by"):
        parts.append(f"superseded by v{d['superseded_by']}")
    if d.get("rolled_back_from"):
        parts.append(f"redeployed as rollback from v{d['rolled_back_from']}")
    if rollback := d.get("rollback"):
        to = f" to v{rollback['to_version']}" if rollback.get("to_version") else ""
        parts.append(
            f"rollback {rollback.get('status')}{to}" + (f": {rollback['reason']}" if rollback.get("reason") else "")
        )
    if d.get("error"):
        parts.append(f"error: {d['error']}")
    return ", ".join(parts)


def _artifact_line(artifact: dict[str, Any]) -> str:
    name = artifact.get("name")
    if artifact.get("status") != "copied":
        return f"{name}: {artifact.get('status')} {artifact.get('source_uri')}: {artifact.get('error')}"
    objects = f", {artifact['objects']} objects" if artifact.get("objects") else ""
    return (
        f"{name}: {artifact.get('source_uri')} -> {artifact.get('central_uri')} "
        f"({artifact.get('size')} bytes{objects}, {artifact.get('checksum')}, verified by {artifact.get('verified')})"
    )


def lineage_line(lineage: dict[str, Any]) -> str:
    """Where the version came from, in one line (the datasets on lines of their own)."""
    parts = []
    if job := lineage.get("training_job"):
        parts.append(f"training job {job}")
    if run := lineage.get("mlflow_run_id"):
        parts.append(f"MLflow run {run}" + (f" (experiment {lineage['mlflow_experiment']})"
                                            if lineage.get("mlflow_experiment") else ""))  # fmt: skip
    if commit := lineage.get("code_commit"):
        parts.append(f"code {lineage.get('code_repository') or '?'} @ {commit}")
    if not parts and lineage.get("source_uri"):
        parts.append(f"source {lineage['source_uri']}")
    if image := lineage.get("training_image"):
        parts.append(f"image {image}")
    said = ", ".join(lineage.get("sources", []))
    return "; ".join(parts or ["(nothing)"]) + (f"  [from {said}]" if said else "")


def dataset_line(dataset: dict[str, Any]) -> str:
    version = ", ".join(f"{k} {dataset[k]}" for k in ("version_id", "etag") if dataset.get(k))
    channel = f"{dataset['channel']}: " if dataset.get("channel") else ""
    return f"{channel}{dataset['uri']}" + (f" ({version})" if version else "")
