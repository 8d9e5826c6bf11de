"""govsync schedule list / run and govsync reconcile: the scheduled jobs run in-process with the
deployed function's environment, item after item (in Lambda the same items are fanned out over the
job's work queue; the job, its input and its service come from `govsync.jobs`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from datetime import datetime
from typing import Any

from govsync.jobs import JOBS, RECONCILE, Job, JobInput, default_input
from govsync_cli import plugins
from govsync_cli.base import EXIT_FAILED, EXIT_OK, CliError, emit, region, stack_parameters, table


def job_named(function_id: str) -> Job:
    job = JOBS.get(function_id)
    if job is None:
        raise CliError(
            f"{function_id} has no schedule (scheduled functions: {', '.join(sorted(JOBS))}; "
            "see `govsync schedule list`)"
        )
    return job


def function_environment(args: argparse.Namespace, function_id: str) -> dict[str, str]:
    """The function's environment: from a plugin that knows it (the local stack), else from the
    deployed function's configuration."""
    for plugin in plugins.each():
        env = plugin.function_environment(args, function_id)
        if env is not None:
            return env
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        resource = boto3.client("cloudformation").describe_stack_resource(
            StackName=args.stack, LogicalResourceId=function_id
        )["StackResourceDetail"]
        configuration = boto3.client("lambda").get_function_configuration(FunctionName=resource["PhysicalResourceId"])
    except (ClientError, BotoCoreError) as exc:
        raise CliError(f"cannot read {function_id} of stack {args.stack!r}: {exc}") from exc
    return dict(configuration.get("Environment", {}).get("Variables", {}))


def use_environment(env: dict[str, str], *, quiet: bool) -> None:
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
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def cmd_schedule_list(args: argparse.Namespace) -> int:
    parameters = stack_parameters(args)
    rows = [
        {"function": job.function_id, "schedule": job.schedule_parameter,
         "expression": parameters.get(job.schedule_parameter) or "(the template's default)",
         "input": json.dumps(default_input(job))}
        for job in JOBS.values()
    ]  # fmt: skip
    emit(args, rows, table(rows, ("function", "schedule", "expression", "input")))
    return EXIT_OK


def cmd_schedule_run(args: argparse.Namespace) -> int:
    """Run a scheduled job now, with its schedule's input (as EventBridge Scheduler would)."""
    from pydantic import ValidationError

    job = job_named(args.function_id)
    if args.window_end:
        try:
            datetime.fromisoformat(args.window_end.replace("Z", "+00:00"))
        except ValueError:
            raise CliError(f"--window-end {args.window_end!r} is not an ISO 8601 date or time "
                           "(e.g. 2026-12-06T09:00:00+00:00)") from None  # fmt: skip
    env = function_environment(args, job.function_id)
    try:
        event = json.loads(args.input) if args.input else default_input(job)
    except ValueError as exc:
        raise CliError(f"--input is not JSON: {exc}") from exc
    if args.window_end:
        event["window_end"] = args.window_end
    try:
        job_input = JobInput.model_validate(event)
    except ValidationError as exc:
        raise CliError(f"{args.function_id} refused its input: {exc}") from exc
    use_environment(env, quiet=not args.verbose)
    print(f"running {args.function_id} with {json.dumps(event)}", file=sys.stderr, flush=True)
    response = job.run(job_input, None)
    emit(args, response, job.summary(response))
    return EXIT_FAILED if response.get("failed") else EXIT_OK


def cmd_reconcile(args: argparse.Namespace) -> int:
    """The reconciler in-process, with the ReconcilerFunction's environment and progress output."""
    use_environment(function_environment(args, RECONCILE.function_id), quiet=not args.verbose)
    tty = sys.stderr.isatty()
    last: dict[str, Any] = {"at": 0.0, "group": "", "counts": {}, "base": {}}

    def progress(total: Any, item: str) -> None:
        """One line per group: its own counts (the run's totals are the summary's)."""
        counts, group = dict(total.counts), item.split("/", 1)[-1]  # items are <region>/<group>
        if group != last["group"]:
            last["base"] = last["counts"]  # where the run stood when this group began
        last["counts"] = counts
        own = {key: counts.get(key, 0) - last["base"].get(key, 0) for key in ("checked", "repaired", "failed")}
        line = f"  {group}: {own['checked']} checked, {own['repaired']} repaired, {own['failed']} failed"
        if tty:
            print(f"\r{line}\x1b[K", end="", file=sys.stderr, flush=True)
        elif group != last["group"] or time.monotonic() - last["at"] > 5:
            print(line, file=sys.stderr, flush=True)
            last.update(at=time.monotonic(), group=group)

    summary = RECONCILE.run(JobInput(groups=args.group or None), progress)
    if tty:
        print(file=sys.stderr)
    emit(args, summary, RECONCILE.summary(summary))
    if summary["not_found"]:
        regions = os.environ.get("GOVSYNC_ALLOWED_REGIONS") or region()
        names = ", ".join(map(repr, summary["not_found"]))
        print(
            f"govsync: no model package group named {names} in the registry (regions {regions}; "
            "`aws sagemaker list-model-package-groups` lists them)",
            file=sys.stderr,
        )
    return EXIT_FAILED if summary["failed"] or summary["not_found"] else EXIT_OK
