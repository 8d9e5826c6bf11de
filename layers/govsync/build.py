"""Builds the govsync layer into ARTIFACTS_DIR/python (run by `sam build` through this folder's Makefile).

1. The locked requirements, as Lambda's x86_64 CPython 3.13 wheels. The AWS SDK (boto3, botocore,
   s3transfer and their dependencies) comes from the Lambda runtime by default (`--sdk runtime`): govsync
   checks at start that it is recent enough (`govsync.adapters.aws.check_sdk`). `--sdk pinned` ships the
   locked SDK instead, with botocore's models trimmed to the services govsync calls (SERVICES) and
   boto3's resource models removed (govsync uses clients only): for a runtime whose SDK is too old.
2. The govsync package. Swagger UI's bundle leaves Powertools (govsync never enables Swagger UI).
3. Every module a function loads compiled to `.pyc` (unchecked-hash: Lambda's /opt is read-only, so
   without them each cold start compiles the same sources again). Modules no function loads stay
   source only, to keep the layer small.

Usage: python3.13 build.py [--sdk runtime|pinned] ARTIFACTS_DIR   (3.13: the runtime's .pyc and wheels)
"""

from __future__ import annotations

import argparse
import compileall
import json
import py_compile
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# what the Lambda runtime has: boto3 and its dependencies
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
# the AWS services govsync's adapters and strategies create clients for (a unit test checks the code
# against this list); xray: Powertools' Tracer, when DetailedTracing is on
SERVICES = (
    "cloudwatch",
    "codepipeline",
    "cognito-idp",
    "dynamodb",
    "events",
    "logs",
    "s3",
    "sagemaker",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "sts",
    "xray",
)
# what a function loads: its wiring module (the services and adapters it uses) and the handler shapes
ENTRY_MODULES = (
    "govsync.handlers",
    "govsync.jobs",
    "govsync.api.routes",
    "govsync.wiring.sync",
    "govsync.wiring.deploy",
    "govsync.wiring.gates",
    "govsync.wiring.status",
    "govsync.wiring.api",
    "govsync.wiring.metrics",
    "govsync.wiring.reconcile",
    "govsync.wiring.runs",
    "govsync.wiring.anchor",
    "govsync.wiring.due_dates",
    "aws_lambda_powertools.utilities.parser",
    "yaml",  # the gate policy's parser: loaded with a function's first deployment or gates query
)
# run in the built layer: import what the functions import, create each service's client (botocore
# loads its parsers, signers and endpoint resolver then), and print every module file that was loaded
COLLECT = """
import json, sys
sys.path[:0] = [sys.argv[1]]
import importlib, boto3
from pynamodb.connection import Connection
for name in json.loads(sys.argv[2]):
    importlib.import_module(name)
session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
for service in json.loads(sys.argv[3]):
    session.client(service)
Connection(region="us-east-1").client
print(json.dumps(sorted({getattr(m, "__file__", None) or "" for m in list(sys.modules.values())} - {""})))
"""


def install(target: Path, sdk: str) -> None:
    """The locked requirements (without the runtime's SDK unless pinned) and the govsync package."""
    lines = (HERE / "requirements.txt").read_text().splitlines()
    skip = () if sdk == "pinned" else RUNTIME_SDK
    wanted = [line for line in lines if "==" in line and line.split("==")[0].strip().lower() not in skip]
    requirements = target.parent / "requirements.txt"
    requirements.write_text("\n".join(wanted) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
         "--target", str(target), "--platform", "manylinux2014_x86_64", "--implementation", "cp",
         "--python-version", "3.13", "--only-binary=:all:", "--no-deps", "-r", str(requirements)],
        check=True,
    )  # fmt: skip
    requirements.unlink()
    shutil.copytree(HERE / "govsync", target / "govsync", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def trim(target: Path) -> None:
    """botocore's models of the services govsync calls only, no boto3 resource models, no examples, no
    Swagger UI bundle, no type stubs, no libyaml binding."""
    data = target / "botocore" / "data"
    if data.is_dir():
        for service in data.iterdir():
            if service.is_dir() and service.name not in SERVICES:
                shutil.rmtree(service)
        for examples in data.glob("*/*/examples-1.json"):
            examples.unlink()
        for resources in (target / "boto3" / "data").iterdir():
            shutil.rmtree(resources)
    for bundle in (target / "aws_lambda_powertools" / "event_handler" / "openapi" / "swagger_ui").glob("*.min.*"):
        bundle.unlink()
    shutil.rmtree(target / "wrapt-stubs", ignore_errors=True)
    # PyYAML's libyaml binding: govsync reads one small gate policy per cold start, with the pure-Python
    # SafeLoader, which PyYAML falls back to by itself (about 2 MB less to download)
    for binding in (*(target / "yaml").glob("_yaml*.so"), *(target / "_yaml").glob("*")):
        binding.unlink()


def compile_loaded(target: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-c", COLLECT, str(target), json.dumps(ENTRY_MODULES), json.dumps(SERVICES)],
        check=True, capture_output=True, text=True,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "", "AWS_EC2_METADATA_DISABLED": "true"},
    )  # fmt: skip
    files = [Path(f) for f in json.loads(out.stdout) if f.endswith(".py") and Path(f).is_relative_to(target)]
    for source in files:
        py_compile.compile(
            str(source), doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH, quiet=1
        )
    compileall.compile_dir(target / "govsync", quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    return len(files)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdk", choices=("runtime", "pinned"), default="runtime")
    parser.add_argument("artifacts_dir")
    args = parser.parse_args(argv)
    if sys.version_info[:2] != (3, 13):
        sys.exit(f"build.py: run it with python3.13 (the layer's runtime), not {sys.version.split()[0]}")
    target = Path(args.artifacts_dir).resolve() / "python"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    install(target, args.sdk)
    trim(target)
    compiled = compile_loaded(target)
    sdk = f"pinned, models of {', '.join(SERVICES)}" if args.sdk == "pinned" else "the runtime's"
    print(f"govsync layer: {compiled} modules compiled; AWS SDK: {sdk}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
