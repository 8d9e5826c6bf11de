"""Local processes: a free loopback port, and a moto server in a child process."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

CREDENTIALS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, grace: float = 20) -> int:
    """Ask a child to stop, kill it after `grace` seconds; return its exit code."""
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=10)


@contextlib.contextmanager
def moto_server(account_id: str = "111111111111", *, extended: bool = False) -> Iterator[str]:
    """A moto server in a child process (its CPU time is not the caller's); yields its endpoint.
    `extended` installs the local stack's moto extension in it first, and lets keys from
    sts:AssumeRole act in the role's account (other accounts are reachable, as on the local stack)."""
    port = free_port()
    env = {**os.environ, **CREDENTIALS_ENV, "MOTO_ACCOUNT_ID": account_id}
    command = ["-m", "moto.server"]
    if extended:
        env.pop("MOTO_ACCOUNT_ID")
        command = ["-c", "import sys; from govsync_local import motoext; motoext.install(); "
                   f"motoext.set_default_account({account_id!r}); "
                   "from moto.server import main; main(sys.argv[1:])"]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, *command, "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("moto server did not start")
        yield endpoint
    finally:
        stop_process(proc)
