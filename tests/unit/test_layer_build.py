"""The layer's build: the AWS services it keeps models for are the ones the code calls; the SDK check
refuses an SDK older than govsync needs, naming what to do; the tracer loads only where it records."""

import importlib.util
import re
from pathlib import Path

import pytest

from govsync import observability
from govsync.adapters import aws

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "govsync"


def build_script():
    spec = importlib.util.spec_from_file_location("layer_build", LAYER / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def services_called() -> set[str]:
    """Every service a client is created for in the layer's code (`client("s3", ...)`)."""
    pattern = re.compile(r"""\bclient\(\s*["']([a-z0-9-]+)["']""")
    found = set()
    for path in (LAYER / "govsync").rglob("*.py"):
        found.update(pattern.findall(path.read_text()))
    return found


def test_the_layer_keeps_the_models_of_every_service_the_code_calls():
    kept = set(build_script().SERVICES)
    # PynamoDB creates the DynamoDB client; Powertools' Tracer (DetailedTracing) the X-Ray one
    assert services_called() | {"dynamodb", "xray"} == kept


def test_the_runtime_sdk_left_out_of_the_layer_is_in_the_lock():
    locked = {line.split("==")[0] for line in (LAYER / "requirements.txt").read_text().splitlines() if "==" in line}
    assert set(build_script().RUNTIME_SDK) <= locked


def test_every_function_module_is_compiled_by_the_build():
    entry = set(build_script().ENTRY_MODULES)
    wiring = {f"govsync.wiring.{p.stem}" for p in (LAYER / "govsync" / "wiring").glob("*.py") if p.stem != "__init__"}
    shared = {"govsync.wiring.store", "govsync.wiring.use_cases", "govsync.wiring.built"}  # loaded by the others
    assert wiring - shared <= entry


def test_an_sdk_older_than_needed_is_refused_with_what_to_do():
    with pytest.raises(aws.SdkTooOld) as refused:
        aws.check_sdk({"botocore": "1.35.99", "s3transfer": "0.11.2"})
    assert "botocore 1.35.99 (needs >= 1.36.0)" in str(refused.value)
    assert "s3transfer" not in str(refused.value)
    assert "LAYER_SDK=pinned" in str(refused.value)
    aws.check_sdk({"botocore": "1.36.0", "s3transfer": "0.11.0"})
    aws.check_sdk({"botocore": "1.44.8", "s3transfer": "0.19.3"})


@pytest.mark.parametrize(
    ("env", "traced"),
    [
        ({}, False),  # outside Lambda: nothing to send traces to
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "false"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "false", "AWS_SAM_LOCAL": "true"}, False),
    ],
)
def test_the_tracer_is_created_only_where_it_records(monkeypatch, env, traced):
    for name in ("LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED", "AWS_SAM_LOCAL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    wrapped = []

    class Tracer:  # Powertools' (the real one would patch botocore for every later test)
        def __init__(self, service):
            assert service == "govsync"

        def capture_lambda_handler(self, handler):
            wrapped.append(handler.__name__)
            return handler

    monkeypatch.setattr("aws_lambda_powertools.Tracer", Tracer)
    observability.tracer.cache_clear()
    try:
        assert (observability.tracer() is not None) is traced

        @observability.capture_lambda_handler
        def handler(event, context):
            return {"ok": event}

        assert handler(1, None) == {"ok": 1}  # traced or not, the handler answers
        assert handler(2, None) == {"ok": 2}
        assert wrapped == (["handler"] if traced else [])  # wrapped once, on the first call
    finally:
        observability.tracer.cache_clear()
