"""`make bench`: every benchmark, figures as ratios against a floor measured in the same run."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import forget_metrics, moto_server, quiet  # noqa: E402

REGION = "us-east-1"
BENCHES = (
    "cold-start",
    "registry-sync",
    "history",
    "artifact-copy",
    "metrics-aggregator",
    "reconcile",
    "fanout-metrics",
    "fanout-reconcile",
    "burst",
    "gates",
    "anchor",
)
DEV_BUCKET = "bench-dev-artifacts"
CENTRAL_BUCKET = "bench-central-artifacts"


@dataclass
class Deployed:
    endpoint: str
    table: str
    handler: Any
    key_arn: str
    ctx: Any = None  # the template's context: `use` resolves another function's environment with it

    def use(self, function: str) -> Any:
        """Another function of the stack: its environment resolved from template.yaml, its handler."""
        from govsync import wiring
        from govsync_local import template as tpl
        from govsync_local.invoke import load_handler

        spec = tpl.function_specs(self.ctx.template)[function]
        os.environ.update(tpl.function_environment(spec, self.ctx))
        wiring.reset()
        return load_handler(spec)


@contextmanager
def deployed(function: str = "RegistrySyncFunction", parameters: dict[str, str] | None = None) -> Iterator[Deployed]:
    """A moto server (with the local stack's extension) holding the template's table, the central and
    dev buckets and a key; `function`'s environment resolved from template.yaml with `parameters`."""
    import boto3

    from govsync import wiring
    from govsync_local import template as tpl
    from govsync_local.invoke import load_handler

    with moto_server(extended=True) as endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        template = tpl.load()
        cfn = tpl.without_lambda(tpl.transformed(template))
        ddb = boto3.client("dynamodb", region_name=REGION)
        table = "govsync-bench"
        for definition in tpl.table_definitions(cfn).values():
            ddb.create_table(TableName=table, **definition)
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (DEV_BUCKET, CENTRAL_BUCKET):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=CENTRAL_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        key_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        ctx = tpl.Context(
            template,
            "111111111111",
            REGION,
            parameters={"AllowedArtifactBuckets": DEV_BUCKET, **(parameters or {})},
            refs={
                "GovernanceTable": table,
                "RegistryEventsDLQ": "",
                "DeployRequestsQueue": "",
                "DeployRequestsDLQ": "",
                "ScheduledJobsDLQ": "",
                "MetricsWorkQueue": "",  # the jobs run in-process here, as `govsync schedule run` runs them
                "ReconcileWorkQueue": "",
                "ArtifactBucket": CENTRAL_BUCKET,
            },
            attributes={("GovernanceKey", "Arn"): key_arn},
        )
        spec = tpl.function_specs(template)[function]
        os.environ.update(tpl.function_environment(spec, ctx))
        wiring.reset()
        yield Deployed(endpoint, table, load_handler(spec), key_arn, ctx)


def cold_start(args: argparse.Namespace) -> list[str]:
    from benchmarks import bench_cold_start

    return bench_cold_start.run(args.runtime_python)


def registry_sync(args: argparse.Namespace) -> list[str]:
    from benchmarks import bench_registry_sync

    with deployed() as stack:
        return bench_registry_sync.run(stack.endpoint, stack.table, stack.handler, versions=args.versions)


def artifact_copy(args: argparse.Namespace) -> list[str]:
    from benchmarks import bench_artifact_copy

    with deployed() as stack:
        lines = bench_artifact_copy.calls_and_time(
            stack.endpoint, stack.table, stack.handler, DEV_BUCKET, CENTRAL_BUCKET, stack.key_arn, args.versions // 2
        )
        return lines + bench_artifact_copy.memory(stack.endpoint, DEV_BUCKET, args.big_mib)


def metrics_aggregator(args: argparse.Namespace) -> list[str]:
    from benchmarks import bench_scheduled_jobs as bench

    with deployed("MetricsAggregatorFunction", bench.AGGREGATOR_PARAMETERS) as stack:
        return bench.aggregator(stack.endpoint, stack.table, args.deployed)


def reconcile(args: argparse.Namespace) -> list[str]:
    from benchmarks import bench_scheduled_jobs as bench

    with deployed("ReconcilerFunction") as stack:
        return bench.reconcile(stack.endpoint, stack.table, args.registry_versions)


def fanout_metrics(args: argparse.Namespace) -> list[str]:
    from benchmarks import bench_fanout

    return bench_fanout.aggregation(args.fanout_deployed, args.concurrency)


def fanout_reconcile(args: argparse.Namespace) -> list[str]:
    from benchmarks import bench_fanout

    return bench_fanout.reconcile(args.fanout_versions, concurrency=args.concurrency)


def history(args: argparse.Namespace) -> list[str]:
    from benchmarks import bench_history

    return bench_history.run(args.history)


def burst(args: argparse.Namespace) -> list[str]:
    from benchmarks import bench_burst

    return bench_burst.run(args.burst_registrations, args.burst_approvals)


def gates(args: argparse.Namespace) -> list[str]:
    from benchmarks import bench_gates

    with deployed(parameters=bench_gates.PARAMETERS) as stack:
        return bench_gates.run(stack, stack.use, DEV_BUCKET, args.kicks)


def anchor(args: argparse.Namespace) -> list[str]:
    from benchmarks import bench_anchor

    return bench_anchor.run(args.anchor_versions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--versions", type=int, default=120, help="model versions for the registry sync benchmark")
    parser.add_argument("--big-mib", type=int, default=2048, help="size of the large artifact for the memory figure")
    parser.add_argument("--deployed", type=int, default=1000, help="live deployments for the metrics benchmark")
    parser.add_argument("--registry-versions", type=int, default=10_000, help="versions for the reconcile benchmark")
    parser.add_argument("--history", type=int, default=10_000, help="earlier versions of the use case (history)")
    parser.add_argument("--fanout-versions", type=int, default=100_000, help="versions for the fanned-out reconcile")
    parser.add_argument("--fanout-deployed", type=int, default=10_000, help="live deployments, fanned-out metrics")
    parser.add_argument("--concurrency", type=int, default=16, help="invocations at once in the fanned-out runs")
    parser.add_argument("--burst-registrations", type=int, default=1000, help="versions registered in the burst")
    parser.add_argument("--burst-approvals", type=int, default=500, help="of them approved in the burst")
    parser.add_argument("--kicks", type=int, default=40, help="deployments kicked per gate policy")
    parser.add_argument("--anchor-versions", type=int, default=100_000, help="versions sealed by the anchor")
    parser.add_argument("--only", choices=BENCHES, help="run one benchmark")
    parser.add_argument(
        "--runtime-python",
        default=str(ROOT / ".venv-lambda" / "bin" / "python"),
        help="a Python like the Lambda runtime's (3.13 with boto3 only), for the cold start",
    )
    args = parser.parse_args()
    quiet()
    failed = False
    benches = {
        "cold-start": cold_start,
        "registry-sync": registry_sync,
        "history": history,
        "artifact-copy": artifact_copy,
        "metrics-aggregator": metrics_aggregator,
        "reconcile": reconcile,
        "fanout-metrics": fanout_metrics,
        "fanout-reconcile": fanout_reconcile,
        "burst": burst,
        "gates": gates,
        "anchor": anchor,
    }
    assert tuple(benches) == BENCHES
    for name, bench in benches.items():
        if args.only and name != args.only:
            continue
        lines = bench(args)
        forget_metrics()
        print("\n".join(lines), flush=True)
        failed |= any(line.rstrip().endswith("MISSED") for line in lines)
    print("all goals met" if not failed else "some goals MISSED")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
