"""The local stack as a user stops and starts it: state kept across a stop, `--fresh` empty, a killed
function worker replaced and its messages processed."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from govsync_local.server import free_port

from .conftest import CLEAN_ENV, Local, local_up, wait_until
from .test_local_stack import new_group, record, register

pytestmark = pytest.mark.e2e


def info(endpoint: str) -> dict:
    shown = subprocess.run(
        [sys.executable, "-m", "govsync_cli", "local", "info", "--json"],
        env={**CLEAN_ENV, "AWS_ENDPOINT_URL": endpoint}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(shown.stdout)


def log_of(workdir: Path) -> str:
    return (workdir / "local-up.log").read_text()


def workers_of(workdir: Path) -> list[int]:
    """The function worker processes the local stack in `workdir` runs (spawned children in its folder)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if b"spawn_main" in cmdline and Path(cwd) == workdir:
            pids.append(int(entry.name))
    return pids


def test_state_survives_a_stop_and_fresh_starts_empty_and_a_killed_worker_is_replaced(tmp_path):
    workdir = tmp_path.resolve()
    # Given a version registered on a running local stack
    with local_up(workdir, free_port()) as endpoint:
        local = Local(endpoint, workdir, info(endpoint))
        group = new_group(local)
        register(local, group)
        wait_until(lambda: record(local, group).get("development"), what="the first record")
        people = local.info["users"]
        # When every function worker is killed
        killed = workers_of(workdir)
        assert len(killed) >= 5, killed  # one per queue-fed function, and the API's
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        # Then the next registration is still synced (a new worker takes the batch)
        register(local, group)
        wait_until(lambda: record(local, group, 2).get("development"), timeout=60, what="a record after the kill")
        # (found dead before the next batch, or dying while it held one: the batch is then retried)
        replaced = re.search(r"RegistrySyncFunction: worker (exited|died) .*; starting a new one", log_of(workdir))
        assert replaced, log_of(workdir)
    # (local_up stopped it with SIGTERM and checked it stopped cleanly)
    assert (workdir / ".govsync" / "state" / "moto-state.pickle").exists()

    # When it starts again in the same folder
    with local_up(workdir, free_port()) as endpoint:
        local = Local(endpoint, workdir, info(endpoint))
        # Then the records, their audit trail and the people's passwords are still there
        assert record(local, group)["development"]["model_status"] == "pending"
        assert record(local, group, 2)["development"]
        verified = local.govsync("audit", "verify", group, "1", "--json")
        assert verified.returncode == 0 and json.loads(verified.stdout)["ok"], verified.stdout + verified.stderr
        assert local.info["users"] == people
        assert "restored the local state" in log_of(workdir)
        # and it keeps working: a new version is synced
        register(local, group)
        wait_until(lambda: record(local, group, 3).get("development"), timeout=60, what="a record after restart")

    # When it starts with --fresh, it is empty
    with local_up(workdir, free_port(), "--fresh") as endpoint:
        local = Local(endpoint, workdir, info(endpoint))
        assert record(local, group) == {}
        assert local.info["users"] != people


def test_a_hard_kill_loses_at_most_the_last_snapshot_interval(tmp_path):
    workdir = tmp_path.resolve()
    # Given a record made on a local stack that then runs one more snapshot interval
    log = (workdir / "local-up.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "govsync_cli", "local", "up", "--port", str(free_port())],
        cwd=workdir, env=CLEAN_ENV, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        endpoint = ""
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.startswith("AWS_ENDPOINT_URL="):
                endpoint = line.strip().split("=", 1)[1]
                break
        assert endpoint, log_of(workdir)
        local = Local(endpoint, workdir, info(endpoint))
        group = new_group(local)
        register(local, group)
        wait_until(lambda: record(local, group).get("development"), what="the record")
        snapshot = workdir / ".govsync" / "state" / "moto-state.pickle"
        written = snapshot.stat().st_mtime
        wait_until(lambda: snapshot.stat().st_mtime > written + 1, timeout=15, what="the next snapshot")
        # When it is killed without a chance to save (SIGKILL)
        proc.kill()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    # Then a restart has the record
    with local_up(workdir, free_port()) as endpoint:
        local = Local(endpoint, workdir, info(endpoint))
        assert record(local, group)["development"]["model_status"] == "pending"
