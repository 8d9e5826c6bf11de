"""`make bench`: every benchmark, figures as ratios against a floor measured in the same run."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import ENV, moto_server  # noqa: E402


def registry_sync(args: argparse.Namespace) -> list[str]:
    import boto3

    from benchmarks import bench_registry_sync
    from govsync import wiring
    from govsync_local import template as tpl
    from govsync_local.invoke import load_handler

    with moto_server() as endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        template = tpl.load()
        cfn = tpl.without_lambda(tpl.transformed(template))
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        table = "govsync-bench"
        for definition in tpl.table_definitions(cfn).values():
            ddb.create_table(TableName=table, **definition)
        ctx = tpl.Context(
            template, "111111111111", "us-east-1", refs={"GovernanceTable": table, "RegistryEventsDLQ": ""}
        )
        spec = tpl.function_specs(template)["RegistrySyncFunction"]
        os.environ.update(tpl.function_environment(spec, ctx))
        wiring.reset()
        return bench_registry_sync.run(endpoint, table, load_handler(spec), versions=args.versions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--versions", type=int, default=120, help="model versions for the registry sync benchmark")
    args = parser.parse_args()
    os.environ.update(ENV)
    failed = False
    for bench in (registry_sync,):
        lines = bench(args)
        print("\n".join(lines), flush=True)
        failed |= any(line.rstrip().endswith("MISSED") for line in lines)
    print("all goals met" if not failed else "some goals MISSED")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
