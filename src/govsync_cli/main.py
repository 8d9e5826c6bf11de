"""govsync: read the governance record, verify the audit trail, reconcile the registry, run the
scheduled jobs, onboard and share model package groups (central account), register model versions
from a dev account, and (with `govsync[local]` installed) run the local stack and its demo.

Honours AWS_ENDPOINT_URL, AWS_PROFILE and AWS_REGION like the AWS CLI. Tables by default, --json
for scripts. Exit codes: 0 ok, 1 a check failed (audit verify) or a job left failures (reconcile,
schedule run), 2 usage or input errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from govsync_cli import plugins
from govsync_cli.audit import cmd_audit_show, cmd_audit_verify, cmd_usecases_list, cmd_usecases_show
from govsync_cli.base import (
    EXIT_ERROR,
    EXIT_FAILED,
    CliError,
    command_group,
    prepare_aws,
    print_help,
    subcommand,
    version_number,
)
from govsync_cli.decide import add_commands as add_decision_commands
from govsync_cli.due_dates import add_due_date_commands
from govsync_cli.evidence import cmd_audit_anchor, cmd_audit_verify_pack
from govsync_cli.groups import add_commands as add_group_commands
from govsync_cli.jobs import cmd_reconcile, cmd_schedule_list, cmd_schedule_run
from govsync_cli.lineage import add_command as add_lineage_command
from govsync_cli.records import cmd_records_list, cmd_records_show
from govsync_cli.register import add_command as add_register_command


def job_command(group: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    """A command that runs a job: a JSON summary for scripts, and --verbose for the job's own log lines."""
    parser: argparse.ArgumentParser = group.add_parser(name, help=help_text)
    parser.add_argument("--json", action="store_true", help="JSON summary for scripts")
    parser.add_argument("--verbose", action="store_true", help="the function's own log lines too")
    return parser


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
    parser.set_defaults(func=lambda _args: print_help(parser))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    records = command_group(commands, "records", "the governance records")
    p = subcommand(
        records, "list", "stage records, filtered (uses the by_stage_status / by_use_case indexes)", cmd_records_list
    )
    p.add_argument("--group", help="only this model package group")
    p.add_argument("--stage", help="only this stage (the stack's StageNames)")
    p.add_argument("--status", help="only this decision: pending, approved, rejected, retired")
    p.add_argument(
        "--deployment", help="only this deployment state: deploying, deployed, deploy_failed, blocked, rolled_back, "
        "superseded"
    )  # fmt: skip
    p.add_argument("--use-case", help="only the records of this use case")
    p = subcommand(records, "show", "every stage record of a model version", cmd_records_show)
    p.add_argument("group"), p.add_argument("version", type=version_number)

    usecases = command_group(commands, "usecases", "use-case lifecycle")
    p = subcommand(usecases, "list", "every use case with its lifecycle stage", cmd_usecases_list)
    p = subcommand(usecases, "show", "a use case's stage, its transitions and its models' records", cmd_usecases_show)
    p.add_argument("use_case_id")

    audit = command_group(commands, "audit", "the audit trail")
    p = subcommand(audit, "show", "the audit entries of a model version", cmd_audit_show)
    p.add_argument("group"), p.add_argument("version", type=version_number)
    p = subcommand(audit, "verify", "check the hash chain (exit 1 naming the first broken entry)", cmd_audit_verify)
    p.add_argument("group", nargs="?"), p.add_argument("version", nargs="?", type=version_number)
    p.add_argument("--anchored", action="store_true",
                   help="also hold the table against the anchors in the Object Lock bucket")  # fmt: skip
    p.add_argument("--verbose", action="store_true", help="the functions' log lines too (with --anchored)")
    p = subcommand(audit, "anchor", "seal every chain's head into the next anchor now (exit 1 if the table "
                   "disagreed with the last one)", cmd_audit_anchor)  # fmt: skip
    p.add_argument("--verbose", action="store_true", help="the function's log lines too")
    p = subcommand(audit, "verify-pack", "check an auditor's JSON pack offline: entries, chains, anchor proofs "
                   "(no AWS access)", cmd_audit_verify_pack)  # fmt: skip
    p.add_argument("file", metavar="FILE", help="the pack (govsync export / GET /export), or - for standard input")

    p = job_command(
        commands, "reconcile", "list the registry and repair missing or stale records (also the first-install backfill)"
    )
    p.set_defaults(func=cmd_reconcile)
    p.add_argument("--group", action="append", help="only this model package group (repeatable)")

    schedule = command_group(commands, "schedule", "the scheduled functions")
    p = subcommand(schedule, "list", "scheduled functions, their expressions and inputs", cmd_schedule_list)
    p = job_command(
        schedule, "run", "run a scheduled function now, as its schedule would (e.g. MetricsAggregatorFunction)"
    )
    p.set_defaults(func=cmd_schedule_run)
    p.add_argument("function_id", metavar="FUNCTION_ID", help="MetricsAggregatorFunction or ReconcilerFunction")
    p.add_argument("--input", help="the event as JSON (default: the schedule's input)")
    p.add_argument("--window-end", help="metrics: collect the window ending at or before this ISO time")

    add_decision_commands(commands, usecases)
    add_group_commands(commands)
    add_register_command(commands)
    add_lineage_command(commands)
    add_due_date_commands(commands)

    for plugin in plugins.each():
        plugin.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        prepare_aws(args)
        status: int = args.func(args)
        return status
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
