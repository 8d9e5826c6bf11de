"""Run a function's handler in-process, as Lambda would: its code directory, its handler, a context."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from govsync_local.template import FunctionSpec


class LocalContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    def __init__(self, spec: FunctionSpec, account_id: str = "111111111111", region: str = "us-east-1") -> None:
        self.function_name = spec.logical_id
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{spec.logical_id}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.logical_id}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + spec.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to file descriptor 1 to 2 (loggers keep their own stdout reference)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def load_handler(spec: FunctionSpec) -> Callable[[dict[str, Any], Any], Any]:
    """Import the handler module from the function's CodeUri (once per process, like a warm Lambda)."""
    module_name, _, attribute = spec.handler.rpartition(".")
    module_file = spec.code_dir / (module_name.replace(".", "/") + ".py")
    if not module_file.is_file():
        raise FileNotFoundError(f"{spec.logical_id}: handler module {module_file} not found")
    key = f"govsync_fn_{spec.logical_id}"
    module = sys.modules.get(key)
    if module is None:
        module_spec = importlib.util.spec_from_file_location(key, module_file)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[key] = module
        module_spec.loader.exec_module(module)
    return getattr(module, attribute)
