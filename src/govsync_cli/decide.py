"""govsync approve / reject / pending / export / gates check, usecases create / advance / reject: the
governance API's service, run here with the caller's IAM identity as the person who acts (separation of duties and the
approvers required apply as they do in the API)."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from govsync_cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    NotFound,
    command_group,
    emit,
    subcommand,
    table,
    version_number,
)
from govsync_cli.jobs import function_environment, use_environment

API_FUNCTION = "GovernanceApiFunction"


def _services(args: argparse.Namespace) -> Any:
    """The API function's settings and services, as it would build them."""
    use_environment(function_environment(args, API_FUNCTION), quiet=not getattr(args, "verbose", False))
    from govsync import wiring

    return wiring


def _me() -> Any:
    """The caller, as IAM knows them (sts:GetCallerIdentity)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from govsync.domain.identity import person_from_identity

    try:
        arn = boto3.client("sts").get_caller_identity()["Arn"]
    except (ClientError, BotoCoreError) as exc:
        raise CliError(f"cannot tell who you are (sts:GetCallerIdentity): {exc}") from exc
    return person_from_identity(arn)


def refusals_exit(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """The command, a refusal of the service exiting with its reason: 1 for something unknown, else 2."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        from govsync.domain.errors import Refused

        try:
            return command(args)
        except Refused as exc:
            raise (NotFound(exc.reason) if exc.status == 404 else CliError(exc.reason)) from exc

    return run


def _known_stage(wiring: Any, stage: str) -> None:
    """--stage names a stage of the chain (exit 2 naming them)."""
    stages = wiring.decisions().settings.stages
    if stage not in stages:
        raise CliError(f"--stage {stage!r} is not a stage of the chain ({', '.join(stages)})")


@refusals_exit
def cmd_decide(args: argparse.Namespace) -> int:
    wiring = _services(args)
    _known_stage(wiring, args.stage)
    result = wiring.decisions().decide(
        _me(), args.group, args.version, args.stage, args.decision, args.comment, args.if_match
    )
    what, who = f"{args.decision} of {args.group} v{args.version} {args.stage}", ", ".join(result["approvers"])
    if result["state"] == "collected":
        text = f"{what} collected: {len(result['approvers'])} of {result['approvals_required']} approvers ({who})"
    else:
        text = f"{what} sent to the registry by {who}; the record follows its event"
    emit(args, result, text)
    return EXIT_OK


def cmd_pending(args: argparse.Namespace) -> int:
    rows = _services(args).decisions().pending()
    for row in rows:
        row["approvals"] = f"{row['approvals_collected']}/{row['approvals_required']}"
        row["waited"] = _duration(row["waited_seconds"])
    columns = ("model_group", "model_version", "stage", "model_risk", "waiting_since", "waited", "approvals",
               "deployment_status")  # fmt: skip
    emit(args, rows, table(rows, columns))
    return EXIT_OK


@refusals_exit
def cmd_gates_check(args: argparse.Namespace) -> int:
    """What the policy gates say now of deploying a version into a stage; exit 1 when they would block."""
    result = _services(args).gate_queries().check(args.group, args.version, args.stage)
    rows = [{**r, "value": r.get("value", "")} for r in result["results"]]
    verdict = (f"BLOCKED: a deployment of {args.group} v{args.version} into {result['stage']} would wait"
               if result["blocked"] else f"a deployment of {args.group} v{args.version} into {result['stage']} "
               "would go ahead")  # fmt: skip
    text = f"policy {result['policy_version']}\n{table(rows, ('rule', 'outcome', 'value', 'reason'))}\n{verdict}"
    emit(args, result, text)
    return EXIT_FAILED if result["blocked"] else EXIT_OK


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


@refusals_exit
def cmd_usecases_create(args: argparse.Namespace) -> int:
    wiring = _services(args)
    from pydantic import ValidationError

    from govsync.api.models import NewUseCase

    try:
        body = NewUseCase(id=args.use_case_id, name=args.name, owner=args.owner, lob=args.lob,
                          description=args.description or "")  # fmt: skip
    except ValidationError as exc:
        problems = "; ".join(f"--{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise CliError(problems.replace("--id", "USE_CASE_ID")) from exc
    use_case = wiring.use_case_lifecycle().record(
        _me(), body.id, body.name, owner=body.owner, lob=body.lob, description=body.description or None
    )
    emit(args, use_case.to_json(), f"use case {use_case.use_case_id} ({use_case.use_case_name}) recorded in poc")
    return EXIT_OK


@refusals_exit
def cmd_usecases_decide(args: argparse.Namespace) -> int:
    wiring = _services(args)
    lifecycle = wiring.use_case_lifecycle()
    use_case = lifecycle.decide(_me(), args.use_case_id, args.decision, args.comment, from_stage=args.from_stage)
    last = use_case.history[-1]
    emit(args, use_case.to_json(), f"use case {use_case.use_case_id}: {last['from']} -> {last['to']}")
    return EXIT_OK


@refusals_exit
def cmd_export(args: argparse.Namespace) -> int:
    wiring = _services(args)
    if args.format == "csv":
        text = wiring.exporter().csv(_me())
        summary = f"{max(text.count(chr(10)) - 1, 0)} records"
    else:
        pack = wiring.exporter().pack(_me(), args.since, args.until)
        text = json.dumps(pack, indent=2, default=str) + "\n"
        chains = "every chain verifies" if pack["verified"] else "SOME CHAINS DO NOT VERIFY"
        summary = f"{len(pack['records'])} records, {len(pack['audit_entries'])} audit entries, {chains}"
    if args.output:
        Path(args.output).write_text(text)
        print(f"wrote {args.output}: {summary}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


@refusals_exit
def cmd_retire(args: argparse.Namespace) -> int:
    wiring = _services(args)
    _known_stage(wiring, args.stage)
    result = wiring.retirements().retire(_me(), args.group, args.version, args.stage, args.comment)
    retired = result["retirement"]
    waits = "its teardown is asked of the deploy function" if retired["teardown"] == "requested" else retired["result"]
    emit(args, result, f"{args.group} v{args.version} {args.stage} retired by {retired['by']}: {waits}")
    return EXIT_OK


def add_commands(commands: Any, usecases: Any) -> None:
    for decision, verb in (("approve", "approve"), ("reject", "reject")):
        p = subcommand(
            commands,
            decision,
            f"{verb} a stage of a model version (in the registry, as you)",
            cmd_decide,
            defaults={"decision": decision},
        )
        p.add_argument("group"), p.add_argument("version", type=version_number)
        p.add_argument("--stage", required=True, help="development, test, production (the stack's StageNames)")
        p.add_argument("--comment", required=True, help="why: kept on the record, its audit entry and the registry")
        p.add_argument("--if-match", help="the record's registry_last_modified: refuse if the package changed since")
        p.add_argument("--verbose", action="store_true", help="the service's own log lines too")
    p = subcommand(commands, "retire", "retire a stage of a model version (as you): its endpoint is torn down in the "
                   "stage's account while it still serves the version", cmd_retire)  # fmt: skip
    p.add_argument("group"), p.add_argument("version", type=version_number)
    p.add_argument("--stage", required=True, help="the stage retired (the stack's StageNames)")
    p.add_argument("--comment", required=True, help="why: kept on the record and its audit entry")
    p.add_argument("--verbose", action="store_true", help="the service's own log lines too")
    p = subcommand(commands, "pending", "stage records awaiting a decision, oldest first", cmd_pending)
    p.add_argument("--verbose", action="store_true", help="the service's own log lines too")
    p = subcommand(
        commands,
        "export",
        "the auditor's pack (json: records, audit entries, chain proofs) or csv",
        cmd_export,
        json_help=None,
    )
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.add_argument("--since", help="json: audit entries recorded at or after this ISO 8601 date or time")
    p.add_argument("--until", help="json: audit entries recorded before this ISO 8601 date or time")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")

    gates = command_group(commands, "gates", "the policy gates a deployment passes")
    p = subcommand(gates, "check", "what the gates say now of deploying a version into a stage (exit 1: it would "
                   "wait); changes nothing", cmd_gates_check)  # fmt: skip
    p.add_argument("group"), p.add_argument("version", type=version_number)
    p.add_argument("--stage", help="the stage deployed into (default: the next one the version would enter)")
    p.add_argument("--verbose", action="store_true", help="the service's own log lines too")

    p = subcommand(usecases, "create", "record a use case (it starts in poc)", cmd_usecases_create)
    p.add_argument("use_case_id", metavar="USE_CASE_ID")
    p.add_argument("--name", required=True)
    p.add_argument("--owner", required=True)
    p.add_argument("--lob", required=True, help="line of business")
    p.add_argument("--description")
    for decision, text in (
        ("advance", "move a use case to its next stage"),
        ("reject", "send a use case back a stage"),
    ):
        p = subcommand(usecases, decision, text, cmd_usecases_decide, defaults={"decision": decision})
        p.add_argument("use_case_id", metavar="USE_CASE_ID")
        p.add_argument("--comment", required=True, help="why")
        p.add_argument("--from", dest="from_stage", metavar="STAGE",
                       help="the stage the use case is in as you saw it: refused if it moved since")  # fmt: skip
