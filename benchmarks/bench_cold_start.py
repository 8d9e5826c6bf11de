"""Cold start: each built function's `import app` the way Lambda loads it (the function's folder, then
the layer, then the runtime's Python with its boto3), in a fresh interpreter that writes no `.pyc`.

Two floors, measured in the same run: `import boto3` in that Python, and the libraries the function is
built on imported alone (Powertools' logger, metrics and its batch processor, event handler or parser;
pydantic; PynamoDB; boto3), which is what any function made of them loads before a line of govsync.

Both ways of shipping the AWS SDK are measured: the built layer (the runtime's SDK, `sam build`'s
default) and the layer with the pinned SDK trimmed to govsync's services (`LAYER_SDK=pinned`); and the
built layer without its `.pyc` (what a plain `sam build` ships)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmarks.harness import report

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / ".aws-sam" / "build"
COMMON = "boto3, pydantic, pynamodb.connection, pynamodb.attributes, aws_lambda_powertools.logging, "
COMMON += "aws_lambda_powertools.metrics"
SQS = f"{COMMON}, aws_lambda_powertools.utilities.batch"
# function -> the libraries it is built on
FUNCTIONS: dict[str, str] = {
    "RegistrySyncFunction": f"{SQS}, s3transfer.manager",
    "DeployFunction": SQS,
    "DeploymentStatusFunction": SQS,
    "GovernanceApiFunction": f"{COMMON}, aws_lambda_powertools.event_handler, "
    "aws_lambda_powertools.event_handler.openapi.models, aws_lambda_powertools.event_handler.openapi.params",
    # a schedule's event is parsed, its work queue's batches processed
    "MetricsAggregatorFunction": f"{SQS}, aws_lambda_powertools.utilities.parser",
    "ReconcilerFunction": f"{SQS}, aws_lambda_powertools.utilities.parser, s3transfer.manager",
}
LIBRARIES_GOAL = 1.25  # x the libraries alone
LAYER_GOAL_MB = 6.0
TIMER = (
    "import sys, time\nsys.path[:0] = {path!r}\nt = time.perf_counter()\nimport {module}\n"
    "print(time.perf_counter() - t)"
)


def import_seconds(python: str, module: str, path: list[str]) -> float:
    """One cold `import module` in a fresh interpreter that writes no .pyc (as /opt and /var/task)."""
    out = subprocess.run(
        [python, "-I", "-B", "-c", TIMER.format(path=path, module=module)],
        capture_output=True, text=True, check=True, cwd="/",
    )  # fmt: skip
    return float(out.stdout.strip())


def medians(python: str, layer: Path, rounds: int) -> dict[str, float]:
    """The fastest of `rounds` cold imports (noise only ever adds) of boto3 ("boto3"), and per function of
    `import app` and of its libraries alone ("<function> libraries"), interleaved."""
    runs: dict[str, list[float]] = {}
    path = [str(layer / "python")]
    for _ in range(rounds):
        runs.setdefault("boto3", []).append(import_seconds(python, "boto3", []))
        for function, libraries in FUNCTIONS.items():
            runs.setdefault(function, []).append(import_seconds(python, "app", [str(BUILD / function), *path]))
            runs.setdefault(f"{function} libraries", []).append(import_seconds(python, libraries, path))
    return {name: min(times) for name, times in runs.items()}


def run(runtime_python: str, rounds: int = 7) -> list[str]:
    from scripts.check_package import MB, zipped_size

    lines = [f"cold start (`import app` as built, in the runtime's Python, fastest of {rounds})"]
    with tempfile.TemporaryDirectory() as tmp:
        pinned, source_only = Path(tmp) / "pinned", Path(tmp) / "source-only"
        subprocess.run(
            [runtime_python, str(ROOT / "layers" / "govsync" / "build.py"), "--sdk", "pinned", str(pinned)],
            check=True, capture_output=True,
        )  # fmt: skip
        shutil.copytree(BUILD / "GovsyncLayer", source_only, ignore=shutil.ignore_patterns("__pycache__"))
        times = medians(runtime_python, BUILD / "GovsyncLayer", rounds)
        size = zipped_size(BUILD / "GovsyncLayer") / MB
        lines.append(f"  the built layer (the runtime's SDK): `import boto3` {times['boto3'] * 1000:.0f} ms")
        lines.append(report("    layer zipped, MB", size, f"<= {LAYER_GOAL_MB}", size <= LAYER_GOAL_MB))
        for function in FUNCTIONS:
            ratio, libraries = times[function] / times[f"{function} libraries"], f"{function} libraries"
            lines.append(
                f"    {function}: {times[function] / times['boto3']:.2f} x boto3; its libraries alone "
                f"{times[libraries] / times['boto3']:.2f} x boto3"
            )
            lines.append(
                report("      import app, x its libraries", ratio, f"<= {LIBRARIES_GOAL}", ratio <= LIBRARIES_GOAL)
            )
        times = medians(runtime_python, pinned, max(3, rounds // 2))
        lines.append(
            f"  the layer with the pinned SDK (LAYER_SDK=pinned): {zipped_size(pinned) / MB:.2f} MB zipped; "
            + ", ".join(f"{f.removesuffix('Function')} {times[f] / times['boto3']:.2f}" for f in FUNCTIONS)
            + " x boto3"
        )
        times = medians(runtime_python, source_only, max(3, rounds // 2))
        lines.append(
            "  the built layer without its .pyc (a plain sam build): "
            + ", ".join(f"{f.removesuffix('Function')} {times[f] / times['boto3']:.2f}" for f in FUNCTIONS)
            + " x boto3"
        )
    return lines
