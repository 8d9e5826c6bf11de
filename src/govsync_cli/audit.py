"""govsync usecases list / show and govsync audit show / verify."""

from __future__ import annotations

import argparse
from typing import Any

from govsync_cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    NotFound,
    emit,
    stages_of,
    store_for,
    table,
)


# ---------------------------------------------------------------------------- use cases
def cmd_usecases_list(args: argparse.Namespace) -> int:
    use_cases = list(store_for(args).use_cases())
    data = [u.to_json() for u in use_cases]
    rows = [
        {"use_case_id": u.use_case_id, "use_case_name": u.use_case_name, "use_case_stage": u.stage,
         "transitions": len(u.history), "last_transition": u.history[-1].get("at") if u.history else None}
        for u in use_cases
    ]  # fmt: skip
    emit(args, data, table(rows, ("use_case_id", "use_case_name", "use_case_stage", "transitions", "last_transition")))
    return EXIT_OK


def cmd_usecases_show(args: argparse.Namespace) -> int:
    store = store_for(args)
    use_case = store.load_use_case(args.use_case_id)
    if use_case is None:
        raise NotFound(
            f"no use case {args.use_case_id!r} (a use case is recorded at its models' first approval; "
            "`govsync usecases list` lists them)"
        )
    from govsync.services.queries import order

    records = sorted(store.records_by_use_case(args.use_case_id), key=order(stages_of(args)))
    views = [r.view({use_case.use_case_id: use_case.stage}) for r in records]
    data = {**use_case.to_json(), "models": views}
    history = [
        {
            "at": h.get("at"),
            "from": h.get("from"),
            "to": h.get("to"),
            "reason": h.get("reason"),
            "actor": h.get("actor"),
        }
        for h in use_case.history
    ]
    text = (
        f"use case {use_case.use_case_id} ({use_case.use_case_name or 'unnamed'}): {use_case.stage}\n\n"
        + table(history, ("at", "from", "to", "reason", "actor"))
        + "\n\n"
        + table(views, ("model_group", "model_version", "model_stage", "model_status", "deployment_status"))
    )
    emit(args, data, text)
    return EXIT_OK


# ---------------------------------------------------------------------------- audit
def _change_summary(changes: dict[str, dict[str, list[Any]]]) -> str:
    parts = []
    for stage, fields in changes.items():
        status = fields.get("model_status")
        if "model_stage" in fields and fields["model_stage"][0] is None:
            parts.append(f"{stage} record created ({status[1] if status else 'no status'})")
            continue
        for name, (before, after) in fields.items():
            if name == "artifacts":
                parts.append(f"{stage}.artifacts: {len(before or [])} -> {len(after or [])} entries")
            elif name == "deployment":
                parts.append(f"{stage}.deployment: {(before or {}).get('status')} -> {(after or {}).get('status')}")
            elif name == "model_monitoring_metrics":
                parts.append(f"{stage}.monitoring: window ending {(after or {}).get('window_end')}")
            elif name == "monitoring_alert":
                parts.append(f"{stage}.monitoring_alert: {'raised' if after else 'resolved'}")
            elif name == "decisions":
                parts.extend(f"{stage}: {decision_line(d)}" for d in after or [] if d not in (before or []))
            elif name == "refused_decision":
                parts.append(f"{stage}: {after['decision']} by {after['by']} refused: {after['reason']}")
            elif name not in {"model_validation_metrics", "model_monitoring_metrics"}:
                parts.append(f"{stage}.{name}: {before} -> {after}")
    return "; ".join(parts) or "(bookkeeping only)"


def decision_line(decision: dict[str, Any]) -> str:
    return f"{decision['decision']} by {decision['by']} {decision['state']}: {decision['comment']!r}"


def cmd_audit_show(args: argparse.Namespace) -> int:
    entries = store_for(args).audit_entries(args.group, args.version)
    if not entries:
        raise NotFound(f"no audit trail for {args.group} version {args.version}")
    data = [{**e.payload(), "hash": e.hash} for e in entries]
    rows = [
        {"seq": e.seq, "source_time": e.source_time, "actor": e.actor, "event_id": e.event_id,
         "changes": _change_summary(e.changes), "hash": e.hash[:12]}
        for e in entries
    ]  # fmt: skip
    emit(args, data, table(rows, ("seq", "source_time", "actor", "event_id", "changes", "hash")))
    return EXIT_OK


def versions_with_trails(store: Any, stages: tuple[str, ...]) -> list[tuple[str, int]]:
    """Every version with a record, a chain head or a first audit entry (the trail listings)."""
    versions = {(r.model_group, r.model_version) for r in store.all_records(stages)}
    versions.update(leaf.key for leaf in store.trail_heads())
    versions.update(store.trail_starts())
    return sorted(versions)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from govsync.services.queries import audit_trail

    store = store_for(args)
    if args.group:
        if args.version is None:
            raise CliError("audit verify takes GROUP VERSION, or nothing for every version")
        versions = [(args.group, args.version)]
    else:
        versions = versions_with_trails(store, stages_of(args))
    results = []
    for group, version in versions:
        trail = audit_trail(store, group, version)
        if not trail.exists:
            if args.group:
                raise NotFound(f"no audit trail for {group} version {version}")
            continue
        verdict = trail.verdict
        results.append(
            {"model_group": group, "model_version": version, "ok": verdict.ok, "entries": verdict.checked,
             "broken_seq": verdict.broken_seq, "reason": verdict.reason}
        )  # fmt: skip
        if not args.json:
            status = "ok" if verdict.ok else f"BROKEN at entry {verdict.broken_seq}: {verdict.reason}"
            print(f"{group} v{version}: {verdict.checked} entries, {status}")
    broken = [r for r in results if not r["ok"]]
    summary: dict[str, Any] = {
        "versions": len(results),
        "entries": sum(r["entries"] for r in results),
        "broken": [{k: r[k] for k in ("model_group", "model_version", "broken_seq", "reason")} for r in broken],
        "ok": not broken,
        "results": results,
    }
    anchored = None
    if args.anchored:
        from govsync_cli.evidence import anchored_check

        anchored = anchored_check(args)
        summary["anchored"] = anchored.to_json()
        summary["ok"] = summary["ok"] and anchored.ok
    if args.json:
        emit(args, summary, "")
    else:
        failed = "; ".join(f"{b['model_group']} v{b['model_version']} at entry {b['broken_seq']}" for b in broken)
        print(
            f"{summary['versions']} versions, {summary['entries']} entries checked: "
            + (f"{len(broken)} broken ({failed})" if broken else "every chain verifies")
        )
        if anchored is not None:
            from govsync_cli.evidence import describe_check

            print(describe_check(anchored))
    return EXIT_OK if summary["ok"] else EXIT_FAILED
