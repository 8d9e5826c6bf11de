"""govsync: read the governance record, verify the audit trail, reconcile the registry, run the
scheduled jobs, run the local stack and its demo.

Honours AWS_ENDPOINT_URL, AWS_PROFILE and AWS_REGION like the AWS CLI. Tables by default, --json
for scripts. Exit codes: 0 ok, 1 a check failed (audit verify) or a job left failures (reconcile,
schedule run), 2 usage or input errors.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
EMPTY = "—"


class CliError(Exception):
    """A user-facing error: printed as `govsync: <message>`, exit 2."""

    exit_code = EXIT_ERROR


class NotFound(CliError):
    """What the user named does not exist: exit 1."""

    exit_code = EXIT_FAILED


# ---------------------------------------------------------------------------- environment
def _prepare_aws(args: argparse.Namespace) -> None:
    """Resolve endpoint, profile and region once, as the AWS CLI does (--region, AWS_REGION,
    AWS_DEFAULT_REGION, the profile's region), and hand the region to every client through both
    variables. A loopback endpoint gets test credentials and, lacking any region, us-east-1."""
    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
    if args.profile:
        os.environ["AWS_PROFILE"] = args.profile
    loopback = urlparse(os.environ.get("AWS_ENDPOINT_URL", "")).hostname in LOOPBACK
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        import boto3

        region = boto3.session.Session().region_name or ("us-east-1" if loopback else None)
    if region:
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = region
    if loopback and not args.profile:
        import boto3

        if boto3.session.Session().get_credentials() is None:
            os.environ["AWS_ACCESS_KEY_ID"] = "testing"
            os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"


def _region() -> str:
    region = os.environ.get("AWS_REGION")
    if not region:
        raise CliError("no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or give your profile one")
    return region


@dataclass(frozen=True)
class StackInfo:
    """What reading the records needs from the deployed stack: its table and its stage chain."""

    table: str
    stages: tuple[str, ...]


def _default_stages() -> tuple[str, ...]:
    from govsync.settings import Settings

    return tuple(Settings.model_fields["stages"].default)


def _csv_stages(value: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in value.split(",") if s.strip())


def _stack_info(args: argparse.Namespace) -> StackInfo:
    """--table / GOVSYNC_TABLE (stages from GOVSYNC_STAGES, else the default chain), else the stack's
    GovernanceTableName output and StageNames parameter: one DescribeStacks, once per command."""
    cached = getattr(args, "stack_info", None)
    if cached is not None:
        return cached
    table = args.table or os.environ.get("GOVSYNC_TABLE")
    env_stages = _csv_stages(os.environ.get("GOVSYNC_STAGES", ""))
    if table:
        info = StackInfo(table, env_stages or _default_stages())
    else:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        from govsync_local.cloudformation import parameter_value

        try:
            stacks = boto3.client("cloudformation", region_name=_region()).describe_stacks(StackName=args.stack)
        except (ClientError, BotoCoreError) as exc:
            where = os.environ.get("AWS_ENDPOINT_URL") or "AWS"
            raise CliError(
                f"cannot find stack {args.stack!r} at {where} ({exc}); pass --table, set GOVSYNC_TABLE, or start "
                "the local stack (make up) and export the AWS_ENDPOINT_URL it prints"
            ) from exc
        stack = stacks["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        if "GovernanceTableName" not in outputs:
            raise CliError(f"stack {args.stack!r} has no GovernanceTableName output")
        parameters = {p["ParameterKey"]: parameter_value(p["ParameterValue"]) for p in stack.get("Parameters", [])}
        stages = _csv_stages(parameters.get("StageNames", "")) or env_stages or _default_stages()
        info = StackInfo(outputs["GovernanceTableName"], stages)
    args.stack_info = info
    return info


def _store(args: argparse.Namespace) -> Any:
    from govsync.adapters.store import GovernanceStore

    return GovernanceStore(_stack_info(args).table, _region())


def _stages(args: argparse.Namespace) -> tuple[str, ...]:
    return _stack_info(args).stages


def _record_order(stages: tuple[str, ...]) -> Any:
    """Sort key: group, version, then stage in promotion order (unknown stages last)."""
    rank = {stage: i for i, stage in enumerate(stages)}
    return lambda r: (r.model_group, r.model_version, rank.get(r.model_stage, len(rank)))


def _one_of(value: str | None, allowed: Sequence[str], option: str) -> None:
    if value is not None and value not in allowed:
        raise CliError(f"{option} {value!r} is not one of: {', '.join(allowed)}")


def _views(store: Any, records: Sequence[Any]) -> list[dict[str, Any]]:
    """The records as people read them: both facts per stage, the use case's stage from its own item."""
    stages = store.use_case_stages(r.use_case_id for r in records if r.use_case_id)
    return [r.view(stages) for r in records]


# ---------------------------------------------------------------------------- output
def _cell(value: Any) -> str:
    if value is None or value == "" or (isinstance(value, dict | list | tuple) and not value):
        return EMPTY
    return str(value)


def _table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if getattr(args, "json", False) else text)


RECORD_COLUMNS = ("model_group", "model_version", "model_stage", "model_status", "deployment", "use_case_id",
                  "use_case_stage", "model_owner", "model_risk", "metadata_complete", "artifact_status", "monitoring",
                  "model_audit_user", "model_audit_timestamp")  # fmt: skip


def _version(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"version must be a positive whole number, not {value!r}")
    return int(value)


# ---------------------------------------------------------------------------- records
def cmd_records_list(args: argparse.Namespace) -> int:
    from govsync.domain.records import DEPLOYMENT_STATES, STATUSES

    stages = _stages(args)
    _one_of(args.stage, stages, "--stage")
    _one_of(args.status, STATUSES, "--status")
    _one_of(args.deployment, DEPLOYMENT_STATES, "--deployment")
    store = _store(args)
    if args.use_case:
        records = list(store.records_by_use_case(args.use_case))
    elif args.stage and args.status:
        records = list(store.records_by_stage_status(args.stage, args.status, args.group))
    else:
        records = list(store.all_records([args.stage] if args.stage else stages, args.group))
    if not records and args.use_case and store.load_use_case(args.use_case) is None:
        raise NotFound(f"no use case {args.use_case!r} and no records naming it")
    if not records and args.group and next(iter(store.all_records(stages, args.group)), None) is None:
        raise NotFound(f"no records of model group {args.group!r}")
    records = [
        r
        for r in records
        if (not args.group or r.model_group == args.group)
        and (not args.stage or r.model_stage == args.stage)
        and (not args.status or r.model_status == args.status)
        and (not args.deployment or r.deployment_status == args.deployment)
    ]
    records.sort(key=_record_order(stages))
    data = _views(store, records)
    rows = [{**row, "deployment": _deployment_cell(row), "monitoring": _monitoring_cell(row)} for row in data]
    _emit(args, data, _table(rows, RECORD_COLUMNS))
    return EXIT_OK


def cmd_records_show(args: argparse.Namespace) -> int:
    store = _store(args)
    state = store.load_version(args.group, args.version)
    if not state.records:
        raise NotFound(f"no governance record for {args.group} version {args.version}")
    stages = _stages(args)
    records = sorted(
        state.records.values(), key=lambda r: stages.index(r.model_stage) if r.model_stage in stages else 99
    )
    data = _views(store, records)
    if args.json:
        _emit(args, data, "")
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
            elif isinstance(v, dict | list) and v:
                lines.append(f"{k.ljust(width)}  {json.dumps(v)}")
            else:
                lines.append(f"{k.ljust(width)}  {_cell(v)}")
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


# ---------------------------------------------------------------------------- use cases
def cmd_usecases_list(args: argparse.Namespace) -> int:
    use_cases = list(_store(args).use_cases())
    data = [u.to_json() for u in use_cases]
    rows = [
        {"use_case_id": u.use_case_id, "use_case_name": u.use_case_name, "use_case_stage": u.stage,
         "transitions": len(u.history), "last_transition": u.history[-1].get("at") if u.history else None}
        for u in use_cases
    ]  # fmt: skip
    _emit(
        args, data, _table(rows, ("use_case_id", "use_case_name", "use_case_stage", "transitions", "last_transition"))
    )
    return EXIT_OK


def cmd_usecases_show(args: argparse.Namespace) -> int:
    store = _store(args)
    use_case = store.load_use_case(args.use_case_id)
    if use_case is None:
        raise NotFound(
            f"no use case {args.use_case_id!r} (a use case is recorded at its models' first approval; "
            "`govsync usecases list` lists them)"
        )
    records = sorted(store.records_by_use_case(args.use_case_id), key=_record_order(_stages(args)))
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
        + _table(history, ("at", "from", "to", "reason", "actor"))
        + "\n\n"
        + _table(views, ("model_group", "model_version", "model_stage", "model_status", "deployment_status"))
    )
    _emit(args, data, text)
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
            elif name not in {"model_validation_metrics", "model_monitoring_metrics"}:
                parts.append(f"{stage}.{name}: {before} -> {after}")
    return "; ".join(parts) or "(bookkeeping only)"


def cmd_audit_show(args: argparse.Namespace) -> int:
    entries = _store(args).audit_entries(args.group, args.version)
    if not entries:
        raise NotFound(f"no audit trail for {args.group} version {args.version}")
    data = [{**e.payload(), "hash": e.hash} for e in entries]
    rows = [
        {"seq": e.seq, "source_time": e.source_time, "actor": e.actor, "event_id": e.event_id,
         "changes": _change_summary(e.changes), "hash": e.hash[:12]}
        for e in entries
    ]  # fmt: skip
    _emit(args, data, _table(rows, ("seq", "source_time", "actor", "event_id", "changes", "hash")))
    return EXIT_OK


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from govsync.domain.audit import verify_chain

    store = _store(args)
    if args.group:
        if args.version is None:
            raise CliError("audit verify takes GROUP VERSION, or nothing for every version")
        versions = [(args.group, args.version)]
    else:
        versions = sorted({(r.model_group, r.model_version) for r in store.all_records(_stages(args))})
    results = []
    for group, version in versions:
        state = store.load_version(group, version)
        if state.head is None:
            if args.group:
                raise NotFound(f"no audit trail for {group} version {version}")
            continue
        verdict = verify_chain(store.audit_entries(group, version), state.audit_seq, state.audit_head)
        results.append(
            {"model_group": group, "model_version": version, "ok": verdict.ok, "entries": verdict.checked,
             "broken_seq": verdict.broken_seq, "reason": verdict.reason}
        )  # fmt: skip
        if not args.json:
            status = "ok" if verdict.ok else f"BROKEN at entry {verdict.broken_seq}: {verdict.reason}"
            print(f"{group} v{version}: {verdict.checked} entries, {status}")
    broken = [r for r in results if not r["ok"]]
    summary = {
        "versions": len(results),
        "entries": sum(r["entries"] for r in results),
        "broken": [{k: r[k] for k in ("model_group", "model_version", "broken_seq", "reason")} for r in broken],
        "ok": not broken,
        "results": results,
    }
    if args.json:
        _emit(args, summary, "")
    else:
        failed = "; ".join(f"{b['model_group']} v{b['model_version']} at entry {b['broken_seq']}" for b in broken)
        print(
            f"{summary['versions']} versions, {summary['entries']} entries checked: "
            + (f"{len(broken)} broken ({failed})" if broken else "every chain verifies")
        )
    return EXIT_FAILED if broken else EXIT_OK


# ---------------------------------------------------------------------------- invoke
def _read_event(source: str | None) -> Any:
    """`-e FILE`, `-e -` (standard input), or no event at all: `{}` (as sam local invoke)."""
    if source is None:
        return {}
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
        return json.loads(text)
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read event {'from standard input' if source == '-' else source}: {exc}") from exc


def cmd_invoke(args: argparse.Namespace) -> int:
    from govsync_local import invoke
    from govsync_local import stack as local
    from govsync_local import template as tpl

    template = tpl.load(str(Path(args.template).resolve()))
    specs = tpl.function_specs(template, Path(args.template).resolve().parent)
    if args.function_id not in specs:
        raise CliError(f"no function {args.function_id!r} in {args.template} (functions: {', '.join(sorted(specs))})")
    spec = specs[args.function_id]
    event = _read_event(args.event)
    overrides: dict[str, Any] = {}
    if args.env_vars:
        try:
            overrides = json.loads(Path(args.env_vars).read_text())
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot read env vars {args.env_vars}: {exc}") from exc
    env: dict[str, str] = {}
    ctx = None
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        with contextlib.suppress(local.LocalStackError):
            ctx = local.deployed_stack(endpoint, local.Accounts.from_env(), args.stack)[1]
            env = tpl.function_environment(spec, ctx)
    # as in sam local invoke: "Parameters" applies to every function, "<FunctionId>" to that one
    env.update({k: str(v) for k, v in overrides.get("Parameters", {}).items()})
    env.update({k: str(v) for k, v in overrides.get(args.function_id, {}).items()})
    missing = [k for k, v in spec.environment.items() if k not in env and not isinstance(v, str)]
    if missing:
        raise CliError(
            f"environment of {args.function_id} needs {', '.join(missing)}: start the local stack and export its "
            "AWS_ENDPOINT_URL, or give them in --env-vars"
        )
    queue_arn = ctx.attributes.get((spec.queue_logical_id, "Arn")) if ctx and spec.queue_logical_id else None
    if spec.queue_logical_id and isinstance(event, dict) and "Records" not in event:
        # a plain event for a queue-fed function: the SQS record Lambda would hand it
        event = invoke.sqs_event(event, queue_arn=queue_arn, region=_region())
        print(f"wrapped the event as the SQS record {args.function_id} receives", file=sys.stderr)
    os.environ.update({k: v for k, v in spec.environment.items() if isinstance(v, str)})
    os.environ.update(env)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    handler = invoke.load_handler(spec)
    with invoke.outcomes() as seen, invoke.stdout_to_stderr():  # the response alone on stdout
        try:
            response = handler(event, invoke.LocalContext(spec, region=_region()))
        except Exception as exc:  # as Lambda reports an unhandled error
            response = {"errorMessage": str(exc), "errorType": type(exc).__name__}
    print(json.dumps(response, default=str))
    failures = invoke.failures(response, seen)
    for failure in failures:
        print(f"govsync: {args.function_id}: {failure}", file=sys.stderr)
    return EXIT_FAILED if failures else EXIT_OK


# ---------------------------------------------------------------------------- scheduled jobs


def _function_environment(args: argparse.Namespace, logical_id: str) -> tuple[Any, dict[str, str]]:
    """A function of the template and its environment: resolved against the local stack when the
    endpoint is loopback, else read from the deployed function's configuration."""
    from govsync_local import stack as local
    from govsync_local import template as tpl

    specs = tpl.function_specs(tpl.load())
    if logical_id not in specs:
        raise CliError(f"no function {logical_id!r} in template.yaml (functions: {', '.join(sorted(specs))})")
    spec = specs[logical_id]
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if urlparse(endpoint).hostname in LOOPBACK:
        try:
            _, ctx = local.deployed_stack(endpoint, local.Accounts.from_env(), args.stack)
        except local.LocalStackError as exc:
            raise CliError(str(exc)) from exc
        return spec, tpl.function_environment(spec, ctx)
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        resource = boto3.client("cloudformation").describe_stack_resource(
            StackName=args.stack, LogicalResourceId=logical_id
        )["StackResourceDetail"]
        configuration = boto3.client("lambda").get_function_configuration(FunctionName=resource["PhysicalResourceId"])
    except (ClientError, BotoCoreError) as exc:
        raise CliError(f"cannot read {logical_id} of stack {args.stack!r}: {exc}") from exc
    return spec, dict(configuration.get("Environment", {}).get("Variables", {}))


def _use_environment(env: dict[str, str], *, quiet: bool) -> None:
    """Act as the function would: its environment, its settings and services built afresh."""
    os.environ.update(env)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    if quiet:  # the CLI reports itself; no JSON log lines or metric blobs on the terminal
        os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    from govsync import wiring
    from govsync.observability import logger

    logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"))
    wiring.reset()


def cmd_schedule_list(args: argparse.Namespace) -> int:
    from govsync_local import template as tpl

    template = tpl.load()
    ctx = tpl.Context(template=template, account_id="", region=os.environ.get("AWS_REGION", ""))
    rows = [
        {"function": logical, "schedule": sched.name, "expression": tpl.resolve(sched.expression, ctx),
         "input": json.dumps(sched.input)}
        for logical, spec in tpl.function_specs(template).items()
        for sched in spec.schedules
    ]  # fmt: skip
    _emit(args, rows, _table(rows, ("function", "schedule", "expression", "input")))
    return EXIT_OK


def cmd_schedule_run(args: argparse.Namespace) -> int:
    """Run a scheduled function now, with its schedule's input (as EventBridge Scheduler would)."""
    from pydantic import ValidationError

    from govsync_local import invoke

    spec, env = _function_environment(args, args.function_id)
    if not spec.schedules:
        raise CliError(f"{args.function_id} has no schedule (see `govsync schedule list`)")
    try:
        event = json.loads(args.input) if args.input else dict(spec.schedules[0].input)
    except ValueError as exc:
        raise CliError(f"--input is not JSON: {exc}") from exc
    if args.window_end:
        event["window_end"] = args.window_end
    _use_environment(env, quiet=not args.verbose)
    handler = invoke.load_handler(spec)
    print(f"running {args.function_id} with {json.dumps(event)}", file=sys.stderr, flush=True)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    try:
        with invoke.stdout_to_stderr():
            response = handler(event, invoke.LocalContext(spec, region=_region()))
    except ValidationError as exc:
        raise CliError(f"{args.function_id} refused its input: {exc}") from exc
    _emit(args, response, _job_summary(response))
    return EXIT_FAILED if response.get("failed") else EXIT_OK


def _job_summary(response: dict[str, Any]) -> str:
    if "window_end" in response:
        accounts = "; ".join(f"{where}: {state}" for where, state in response.get("accounts", {}).items())
        return (
            f"window {response['window_start']} .. {response['window_end']}: {response['records']} live "
            f"deployments, {response['updated']} updated, {response['unchanged']} unchanged, {response['failed']} "
            f"failed; alerts raised {response['alerts_raised']}, resolved {response['alerts_resolved']}; "
            f"GetMetricData calls {response['get_metric_data_calls']}\naccounts: {accounts or '(none)'}"
        )
    return _reconcile_text(response)


def _reconcile_text(summary: dict[str, Any]) -> str:
    lines = [
        f"{summary['run_id']}: {summary['groups']} groups, {summary['checked']} checked, {summary['up_to_date']} up to "
        f"date, {summary['repaired']} repaired, {summary['failed']} failed, {summary['skipped']} skipped (accounts "
        "not allowed)"
    ]
    lines += [f"  failed: {f['arn']}: {f['error']}" for f in summary.get("failures", [])]
    return "\n".join(lines)


def cmd_reconcile(args: argparse.Namespace) -> int:
    """The reconciler in-process, with the ReconcilerFunction's environment and progress output."""
    _, env = _function_environment(args, "ReconcilerFunction")
    _use_environment(env, quiet=not args.verbose)
    from govsync import wiring

    tty = sys.stderr.isatty()
    last = {"at": 0.0, "group": ""}

    def progress(summary: Any, group: str) -> None:
        import time

        line = f"  {group}: {summary.checked} checked, {summary.repaired} repaired, {summary.failed} failed"
        if tty:
            print(f"\r{line}\x1b[K", end="", file=sys.stderr, flush=True)
        elif group != last["group"] or time.monotonic() - last["at"] > 5:
            print(line, file=sys.stderr, flush=True)
            last.update(at=time.monotonic(), group=group)

    summary = wiring.reconciler().run(groups=args.group or None, progress=progress).to_json()
    if tty:
        print(file=sys.stderr)
    _emit(args, summary, _reconcile_text(summary))
    if summary["not_found"]:
        regions = os.environ.get("GOVSYNC_ALLOWED_REGIONS") or _region()
        names = ", ".join(map(repr, summary["not_found"]))
        print(
            f"govsync: no model package group named {names} in the registry (regions {regions}; "
            "`aws sagemaker list-model-package-groups` lists them)",
            file=sys.stderr,
        )
    return EXIT_FAILED if summary["failed"] or summary["not_found"] else EXIT_OK


# ---------------------------------------------------------------------------- local stack
def _port(args: argparse.Namespace) -> int:
    from govsync_local.stack import DEFAULT_PORT

    if args.port:
        return args.port
    raw = os.environ.get("GOVSYNC_LOCAL_PORT", str(DEFAULT_PORT))
    if not raw.isdigit():
        raise CliError(f"GOVSYNC_LOCAL_PORT must be a port number, not {raw!r}")
    return int(raw)


def cmd_local_up(args: argparse.Namespace) -> int:
    from govsync_local.stack import LocalStack, LocalStackError

    stack = LocalStack(port=_port(args), stack_name=args.stack, duplicate_events=args.duplicate_events,
                       log=lambda line: print(f"[local] {line}", file=sys.stderr, flush=True))  # fmt: skip
    try:
        stack.start()
    except LocalStackError as exc:
        stack.stop()
        raise CliError(str(exc)) from exc
    print(f"AWS_ENDPOINT_URL={stack.endpoint}", flush=True)
    print("[local] ready: function logs in .govsync/logs/, Ctrl-C stops", file=sys.stderr, flush=True)
    stack.run_forever()
    return EXIT_OK


def cmd_local_info(args: argparse.Namespace) -> int:
    from govsync_local.stack import Accounts, LocalStackError, info

    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"http://127.0.0.1:{_port(args)}"
    try:
        data = info(endpoint, Accounts.from_env(), args.stack)
    except LocalStackError as exc:
        raise CliError(str(exc)) from exc
    lines = [f"{k:<16} {v}" for k, v in data.items() if k not in {"accounts", "queues"}]
    lines += [f"account {k:<8} {v}" for k, v in data["accounts"].items()]
    lines += [f"queue {fn}: {q['queue_url']}  (DLQ {q['dlq_url']})" for fn, q in data["queues"].items()]
    _emit(args, data, "\n".join(lines))
    return EXIT_OK


def cmd_local_env_vars(args: argparse.Namespace) -> int:
    """The `sam local invoke --env-vars` file for every function, resolved against the running stack."""
    from govsync_local import stack as local
    from govsync_local import template as tpl

    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"http://127.0.0.1:{_port(args)}"
    try:
        _, ctx = local.deployed_stack(endpoint, local.Accounts.from_env(), args.stack)
    except local.LocalStackError as exc:
        raise CliError(str(exc)) from exc
    container_endpoint = args.container_endpoint or endpoint.replace("127.0.0.1", "host.docker.internal")
    data = {
        logical: {**tpl.function_environment(spec, ctx), "AWS_ENDPOINT_URL": container_endpoint}
        for logical, spec in tpl.function_specs(ctx.template).items()
    }
    text = json.dumps(data, indent=2)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text + "\n")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from govsync_local.demo import run_demo

    return run_demo(port=args.port)


# ---------------------------------------------------------------------------- parser
def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_OK


def _group(commands: Any, name: str, help_text: str) -> Any:
    """A command group: alone, it prints its help."""
    group = commands.add_parser(name, help=help_text, description=help_text)
    group.set_defaults(func=lambda _args: _help(group))
    return group.add_subparsers(dest="sub", metavar="COMMAND")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govsync", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--endpoint-url", help="AWS endpoint (default: AWS_ENDPOINT_URL)")
    parser.add_argument("--region", help="AWS region (default: AWS_REGION / profile)")
    parser.add_argument("--profile", help="AWS profile (default: AWS_PROFILE)")
    parser.add_argument(
        "--stack", default=os.environ.get("GOVSYNC_STACK", "govsync"), help="stack name (default: govsync)"
    )
    parser.add_argument("--table", help="governance table (default: GOVSYNC_TABLE, else the stack's output)")
    parser.set_defaults(func=lambda _args: _help(parser))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    records = _group(commands, "records", "the governance records")
    p = records.add_parser("list", help="stage records, filtered (uses the by_stage_status / by_use_case indexes)")
    p.add_argument("--group", help="only this model package group")
    p.add_argument("--stage", help="only this stage (the stack's StageNames)")
    p.add_argument("--status", help="only this decision: pending, approved, rejected, retired")
    p.add_argument(
        "--deployment", help="only this deployment state: deploying, deployed, deploy_failed, blocked, rolled_back, "
        "superseded"
    )  # fmt: skip
    p.add_argument("--use-case", help="only the records of this use case")
    p.add_argument("--json", action="store_true", help="JSON for scripts")
    p.set_defaults(func=cmd_records_list)
    p = records.add_parser("show", help="every stage record of a model version")
    p.add_argument("group"), p.add_argument("version", type=_version)
    p.add_argument("--json", action="store_true", help="JSON for scripts")
    p.set_defaults(func=cmd_records_show)

    usecases = _group(commands, "usecases", "use-case lifecycle")
    p = usecases.add_parser("list", help="every use case with its lifecycle stage")
    p.add_argument("--json", action="store_true", help="JSON for scripts")
    p.set_defaults(func=cmd_usecases_list)
    p = usecases.add_parser("show", help="a use case's stage, its transitions and its models' records")
    p.add_argument("use_case_id")
    p.add_argument("--json", action="store_true", help="JSON for scripts")
    p.set_defaults(func=cmd_usecases_show)

    audit = _group(commands, "audit", "the audit trail")
    p = audit.add_parser("show", help="the audit entries of a model version")
    p.add_argument("group"), p.add_argument("version", type=_version)
    p.add_argument("--json", action="store_true", help="JSON for scripts")
    p.set_defaults(func=cmd_audit_show)
    p = audit.add_parser("verify", help="check the hash chain (exit 1 naming the first broken entry)")
    p.add_argument("group", nargs="?"), p.add_argument("version", nargs="?", type=_version)
    p.add_argument("--json", action="store_true", help="JSON for scripts")
    p.set_defaults(func=cmd_audit_verify)

    p = commands.add_parser(
        "reconcile", help="list the registry and repair missing or stale records (also the first-install backfill)"
    )
    p.add_argument("--group", action="append", help="only this model package group (repeatable)")
    p.add_argument("--verbose", action="store_true", help="the function's own log lines too")
    p.add_argument("--json", action="store_true", help="JSON summary for scripts")
    p.set_defaults(func=cmd_reconcile)

    schedule = _group(commands, "schedule", "the scheduled functions")
    p = schedule.add_parser("list", help="scheduled functions, their expressions and inputs")
    p.add_argument("--json", action="store_true", help="JSON for scripts")
    p.set_defaults(func=cmd_schedule_list)
    p = schedule.add_parser(
        "run", help="run a scheduled function now, as its schedule would (e.g. MetricsAggregatorFunction)"
    )
    p.add_argument("function_id", metavar="FUNCTION_ID", help="MetricsAggregatorFunction or ReconcilerFunction")
    p.add_argument("--input", help="the event as JSON (default: the schedule's input)")
    p.add_argument("--window-end", help="metrics: collect the window ending at or before this ISO time")
    p.add_argument("--verbose", action="store_true", help="the function's own log lines too")
    p.add_argument("--json", action="store_true", help="JSON summary for scripts")
    p.set_defaults(func=cmd_schedule_run)

    p = commands.add_parser("invoke", help="run a function's handler in-process (like sam local invoke, no Docker)")
    p.add_argument("function_id", metavar="FUNCTION_ID", help="logical id in the template, e.g. RegistrySyncFunction")
    p.add_argument(
        "-e", "--event", help="event JSON file, - for standard input (default: {}); a plain EventBridge event or "
        "request for a queue-fed function is wrapped as the SQS record it receives"
    )  # fmt: skip
    p.add_argument(
        "-n", "--env-vars", help="sam local invoke style JSON: {FunctionId: {VAR: value}, Parameters: {...}}"
    )
    p.add_argument("-t", "--template", default="template.yaml", help="SAM template (default: template.yaml)")
    p.set_defaults(func=cmd_invoke)

    local = _group(commands, "local", "the embedded local AWS")
    p = local.add_parser(
        "up", help="start moto, deploy template.yaml, emit SageMaker events, poll queues (Ctrl-C stops)"
    )
    p.add_argument("--port", type=int, help="port (default: GOVSYNC_LOCAL_PORT or 5050)")
    p.add_argument("--duplicate-events", action="store_true", help="put every SageMaker event twice (at-least-once)")
    p.set_defaults(func=cmd_local_up)
    p = local.add_parser("info", help="where the running local stack's resources are")
    p.add_argument("--port", type=int, help="port (default: GOVSYNC_LOCAL_PORT or 5050)")
    p.add_argument("--json", action="store_true", help="JSON for scripts")
    p.set_defaults(func=cmd_local_info)

    p = local.add_parser("env-vars", help="write the sam local invoke --env-vars file for the running stack")
    p.add_argument("--port", type=int, help="port (default: GOVSYNC_LOCAL_PORT or 5050)")
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    p.add_argument("--container-endpoint", help="endpoint as seen from a container (default: host.docker.internal)")
    p.set_defaults(func=cmd_local_env_vars)

    p = commands.add_parser("demo", help="the blog's workflow on the local stack, start to finish")
    p.add_argument("--port", type=int, default=0, help="port for the local stack (default: a free one)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _prepare_aws(args)
        return args.func(args)
    except CliError as exc:
        print(f"govsync: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `govsync ... | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:  # botocore and friends: one line, not a traceback
        from govsync.domain.errors import GovsyncError

        if isinstance(exc, GovsyncError) or type(exc).__module__.startswith(("botocore", "pynamodb")):
            print(f"govsync: {type(exc).__name__}: {exc}", file=sys.stderr)
            return EXIT_ERROR
        raise


def run() -> None:
    """The console script: main(), and a quiet exit when stdout closed early (`| head`)."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_FAILED
    raise SystemExit(code)


if __name__ == "__main__":
    run()
