"""The local stack's accounts, region and credentials, and a client in any of its accounts."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
LOCAL_ROLE = "govsync-local-operator"


class LocalStackError(Exception):
    """The local stack cannot start, or is not running."""


@dataclass(frozen=True)
class Accounts:
    """Seed 000's accounts as moto account ids (configurable: GOVSYNC_LOCAL_ACCOUNTS=central=…,dev=…).
    `other` is a dev account no group is shared with (its registrations are refused)."""

    central: str = "111111111111"
    dev: str = "222222222222"
    test: str = "333333333333"
    prod: str = "444444444444"
    other: str = "555555555555"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Accounts:
        raw = (env if env is not None else os.environ).get("GOVSYNC_LOCAL_ACCOUNTS", "")
        values: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in raw.split(","))):
            name, _, account = part.partition("=")
            if name not in cls.__dataclass_fields__ or not (account.isdigit() and len(account) == 12):
                raise LocalStackError(f"GOVSYNC_LOCAL_ACCOUNTS: bad entry {part!r} (want name=12-digit-id)")
            values[name] = account
        return cls(**values)


LINEAGE_ROLE = "govsync-lineage-read"  # dev-account.yaml's lineage read role, named alike in both stacks


def dev_bucket_name(accounts: Accounts) -> str:
    return f"govsync-dev-artifacts-{accounts.dev}"


def stage_targets(accounts: Accounts) -> dict[str, dict[str, object]]:
    """The local stage chain: development (registered in dev) -> test (333…) -> production (444…)."""
    return {
        "test": {"account": accounts.test, "instance_type": "ml.m5.large"},
        "production": {"account": accounts.prod, "instance_type": "ml.m5.xlarge", "instance_count": 2},
    }


# Production alerts above 2% server errors, a p90 model latency of 250 ms, or Model Monitor violations.
MONITORING_THRESHOLDS = {
    "production": {"invocation_5xx_rate": 0.02, "model_latency_p90_us": 250_000, "monitor_violations": True}
}


def stack_parameters(accounts: Accounts) -> dict[str, str]:
    return {
        "AllowedArtifactBuckets": dev_bucket_name(accounts),
        "DevAccounts": accounts.dev,
        "StageTargets": json.dumps(stage_targets(accounts)),
        "DeployAccounts": f"{accounts.test},{accounts.prod}",
        "MonitoringThresholds": json.dumps(MONITORING_THRESHOLDS),
        "LineageReadRoleName": LINEAGE_ROLE,
        # the demo's data scientist registers as an IAM user of the dev account; she is alice@example.com
        "IdentityMap": json.dumps({f"arn:aws:iam::{accounts.dev}:user/alice-*": "alice@example.com"}),
    }


def client(service: str, endpoint: str, account: str | None = None, accounts: Accounts | None = None) -> Any:
    """A client on the local endpoint, in the central account or (by sts:AssumeRole) another one."""
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=30)
    central = (accounts or Accounts()).central
    if account is None or account == central:
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint, config=config, **CREDENTIALS)
    sts = boto3.client("sts", region_name=REGION, endpoint_url=endpoint, config=config, **CREDENTIALS)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{LOCAL_ROLE}", RoleSessionName="govsync-local")[
        "Credentials"
    ]
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint,
        config=config,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
