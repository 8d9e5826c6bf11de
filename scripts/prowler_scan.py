"""`make security`: Prowler against the local stack's four accounts (central, dev, test, prod), each
deployed from its template, and the findings on govsync's own resources.

Usage: prowler_scan.py PROWLER [--json] [--keep DIR]

Starts a fresh local stack on free ports, runs Prowler (its own venv: PROWLER is its executable) once
per account with the deliberate exceptions in security/prowler-mutelist.yaml and the demo's accounts
as trusted accounts, and prints every finding on a govsync resource: failed, or muted with the
mutelist's reason. Account-wide findings (password policy, CIS metric filters, SAML providers) are
counted, not listed: they are the account's, not the stack's. Exits 1 if a high or critical finding
on govsync's resources is not muted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
MUTELIST = ROOT / "security" / "prowler-mutelist.yaml"
SERVICES = ["iam", "s3", "sqs", "dynamodb", "kms", "cloudwatch", "cognito", "apigateway", "sagemaker", "sns",
            "secretsmanager", "eventbridge"]  # fmt: skip
BLOCKING = {"High", "Critical"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def is_govsync(uid: str) -> bool:
    """A resource of govsync's stacks (every name starts with the stack's), or the default bus whose
    policy the central stack sets."""
    if ":secret:govsync-local/" in uid:  # the local stack's own note of its API's URL and demo users: no template's
        return False
    return "govsync" in uid or uid.endswith(":event-bus/default")


def prowler_config(prowler: str, trusted: list[str], workdir: Path) -> Path:
    """Prowler's own default configuration with the demo's accounts trusted (they are one owner's)."""
    site = subprocess.run(
        [str(Path(prowler).parent / "python"), "-c", "import prowler, os; print(os.path.dirname(prowler.__file__))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    config = yaml.safe_load((Path(site) / "config" / "config.yaml").read_text())
    config.setdefault("aws", {})["trusted_account_ids"] = trusted
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def scan(prowler: str, endpoint: str, account: str, role: str | None, config: Path, out: Path) -> list[dict[str, Any]]:
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
    env.pop("AWS_PROFILE", None)
    name = f"prowler-{account}"
    command = [prowler, "aws", "-f", "us-east-1", "--service", *SERVICES, "-M", "json-ocsf", "-o", str(out),
               "-F", name, "--no-banner", "--mutelist-file", str(MUTELIST), "--config-file", str(config)]  # fmt: skip
    if role:
        command += ["--role", role]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    report = out / f"{name}.ocsf.json"
    if not report.exists():
        output = done.stdout[-2000:] + done.stderr[-2000:]
        sys.exit(f"prowler wrote no report for {account} (exit {done.returncode}):\n{output}")
    return list(json.loads(report.read_text() or "[]"))


def reasons() -> dict[str, str]:
    checks = yaml.safe_load(MUTELIST.read_text())["Mutelist"]["Accounts"]["*"]["Checks"]
    return {check: " ".join(entry["Description"].split()) for check, entry in checks.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prowler", help="the prowler executable (its own venv)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument("--keep", type=Path, help="keep Prowler's reports in this folder")
    args = parser.parse_args()

    import logging

    from govsync_local.accounts import LOCAL_ROLE
    from govsync_local.stack import LocalStack

    stack = LocalStack(
        port=free_port(), api_port=free_port(), log=lambda line: print(f"[local] {line}", file=sys.stderr)
    )
    stack.start()
    # the local AWS answers "not implemented" to calls Prowler makes for other checks (CloudTrail's
    # LookupEvents, EventBridge schemas): Prowler records those as errors; their server-side tracebacks
    # are noise here
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    accounts = stack.accounts
    named = {accounts.central: "central", accounts.dev: "dev", accounts.test: "test", accounts.prod: "prod"}
    findings: list[dict[str, Any]] = []
    try:
        # (moto's server prints a line for each service it lacks that Prowler asks about: not ours to show)
        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
            out = args.keep or Path(tmp)
            out.mkdir(parents=True, exist_ok=True)
            config = prowler_config(args.prowler, list(named), Path(tmp))
            for account, name in named.items():
                started = time.monotonic()
                role = None if account == accounts.central else f"arn:aws:iam::{account}:role/{LOCAL_ROLE}"
                results = scan(args.prowler, stack.endpoint, account, role, config, out)
                print(f"[scan] {name} ({account}): {len(results)} results in {time.monotonic() - started:.0f}s",
                      file=sys.stderr)  # fmt: skip
                for result in results:
                    result["_account"] = name
                findings += results
    finally:
        stack.stop()

    why = reasons()
    rows = []
    account_wide = 0
    for result in findings:
        if result.get("status_code") != "FAIL":
            continue
        uid = (result.get("resources") or [{}])[0].get("uid", "")
        if not is_govsync(uid):
            account_wide += 1
            continue
        check = result["metadata"]["event_code"]
        muted = bool(result.get("status") == "Suppressed" or result.get("unmapped", {}).get("muted"))
        rows.append({
            "account": result["_account"], "severity": result["severity"], "check": check, "resource": uid,
            "muted": muted, "detail": result.get("status_detail", ""), "reason": why.get(check, "") if muted else "",
        })  # fmt: skip
    rows.sort(key=lambda r: (r["muted"], r["severity"] not in BLOCKING, r["check"], r["account"], r["resource"]))
    blocking = [r for r in rows if not r["muted"] and r["severity"] in BLOCKING]
    if args.json:
        print(
            json.dumps({"findings": rows, "account_wide_failures": account_wide, "blocking": len(blocking)}, indent=2)
        )
    else:
        open_rows = [r for r in rows if not r["muted"]]
        print(f"Prowler on govsync's resources in 4 accounts: {len(open_rows)} open, {len(rows) - len(open_rows)} "
              f"muted with a reason, {len(blocking)} high or critical open ({account_wide} account-wide failures "
              "not listed)")  # fmt: skip
        for r in open_rows:
            print(f"  OPEN  {r['severity']:<8} {r['check']}  [{r['account']}] {r['resource']}\n        {r['detail']}")
        for check in sorted({r["check"] for r in rows if r["muted"]}):
            muted = [r for r in rows if r["muted"] and r["check"] == check]
            print(f"  muted {check} ({len(muted)}): {why.get(check, '')}")
    return 1 if blocking else 0


if __name__ == "__main__":
    sys.exit(main())
