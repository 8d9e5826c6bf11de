"""govsync lineage: which versions were built from a dataset, a commit, a training job or an MLflow run,
with their stages and status (through the lineage index, never a Scan)."""

from __future__ import annotations

import argparse
from typing import Any

from govsync_cli.base import EXIT_OK, CliError, emit, one_of, stages_of, store_for, subcommand, table

OPTIONS = {"dataset": "--dataset", "commit": "--commit", "training-job": "--training-job", "mlflow-run": "--mlflow-run"}
COLUMNS = ("model_group", "model_version", "stages", "training", "code", "datasets")


def _stages_cell(stages: dict[str, dict[str, Any]]) -> str:
    return ", ".join(
        f"{stage} {s['model_status']}" + (f" ({s['deployment_status']})" if s.get("deployment_status") else "")
        for stage, s in stages.items()
    )


def _row(found: dict[str, Any]) -> dict[str, Any]:
    lineage = found["lineage"]
    run = lineage.get("mlflow_run_id")
    return {
        "model_group": found["model_group"],
        "model_version": found["model_version"],
        "stages": _stages_cell(found["stages"]),
        "training": lineage.get("training_job", "").rpartition("/")[2] or (f"mlflow run {run}" if run else None),
        "code": lineage.get("code_commit", "")[:12] or None,
        "datasets": len(lineage.get("datasets") or []) or None,
    }


def cmd_lineage(args: argparse.Namespace) -> int:
    from govsync.domain.lineage_keys import BadLineageQuery, LineageKey
    from govsync.services.queries import built_from

    given = {kind: getattr(args, kind.replace("-", "_")) for kind in OPTIONS}
    given = {kind: value for kind, value in given.items() if value is not None}
    if len(given) != 1:
        raise CliError(f"give exactly one of {', '.join(OPTIONS.values())}")
    ((kind, value),) = given.items()
    try:
        key = LineageKey.of(kind, value)
    except BadLineageQuery as exc:  # before any AWS call
        raise CliError(f"{OPTIONS[kind]}: {exc}") from None
    stages = stages_of(args)
    one_of(args.stage, stages, "--stage")
    versions, truncated = built_from(store_for(args), key, stages, args.stage, args.limit)
    found = [v.to_json() for v in versions]
    data = {"query": {"kind": key.kind, "value": key.value, "stage": args.stage}, "versions": found,
            "truncated": truncated}  # fmt: skip
    text = table([_row(v) for v in found], COLUMNS)
    if truncated:
        text += f"\n(the first {args.limit}; --limit shows more)"
    emit(args, data, text)
    return EXIT_OK


def positive(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 100_000:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 100000, not {value!r}")
    return int(value)


def add_command(commands: Any) -> None:
    p = subcommand(
        commands,
        "lineage",
        "versions built from a dataset, a commit, a training job or an MLflow run, with their stages",
        cmd_lineage,
        description="Which versions were built from it, with each stage's decision and deployment "
        "(e.g. which production models were trained on this dataset: --dataset s3://... --stage production).",
    )
    asked = p.add_mutually_exclusive_group(required=True)
    asked.add_argument("--dataset", metavar="URI", help="a dataset's URI (a trailing / is ignored)")
    asked.add_argument("--commit", metavar="SHA", help="a code commit (the full hash the version recorded)")
    asked.add_argument("--training-job", metavar="ARN", help="a SageMaker training job's ARN")
    asked.add_argument("--mlflow-run", metavar="RUN_ID", help="an MLflow run id")
    p.add_argument("--stage", help="only versions with a record in this stage")
    p.add_argument("--limit", type=positive, default=1000, help="at most this many versions (default 1000)")
