"""`make demo`: the blog's workflow on the embedded local AWS, with plain boto3 calls as a user makes them.

1. The ML engineer creates the model package group in the central account and shares it with the dev
   account over AWS RAM (`govsync groups create`); the dev account accepts the invitation (the blog's code).
2. A data scientist uploads model.tar.gz to the dev account's bucket (dev-account.yaml's), after training
   it there with a SageMaker training job on November's dataset.
3. From the dev account, create_model_package into the shared group by its ARN (the SageMaker guide's
   "Register a Model Version from a Different Account"); an account the group is not shared with is refused.
   She approves it herself in the registry, with her dev keys: the stack records an unauthorized
   decision that counts for nothing, and the policy gates keep it out of test (`govsync gates check`).
4. Through the governance API (Cognito users): the data scientist may not approve her own version (403);
   a governance officer approves it: the registry decides, the stack deploys it to the test account (333…),
   and the record names the officer.
5. Validated in test, the test stage is approved by two officers (a high-risk version takes two distinct
   approvers; the same officer twice is refused): deployed to production (444…).
6. Version 2, registered with `govsync register`, goes the same way and replaces version 1 on both endpoints:
   in production as a canary watched by a pair of rollback alarms (SageMaker's deployment guardrails).
7. An officer rejects version 2 in production: the stack rolls production back to version 1.
8. Twelve hours of production traffic and a Model Monitor schedule: the hourly metrics aggregator
   (`govsync schedule run MetricsAggregatorFunction`, once per hour) writes them on the record, keeps
   each hour in the history the dashboard charts, and raises an alert.
9. A record is lost: `govsync reconcile` lists the registry and repairs it.
10. The audit chains are anchored outside the table (`govsync audit anchor`: a Merkle root over every
    chain's head, into the Object Lock bucket) and the table is verified against the anchors.
11. The auditor exports the evidence: the CSV inventory and the JSON pack with each chain's proof to the
    anchor, which `govsync audit verify-pack` checks with no AWS access at all.
12. Lineage: each version was trained by a SageMaker training job in the dev account on a month's dataset;
    the stack recorded the job, the dataset and its version, and the code's commit. Which production
    versions were trained on November's dataset? (`govsync lineage --dataset ... --stage production`)
13. Due dates and retirement: a day later the waiting production approval is reminded; weeks later the
    live version's periodic review comes due, and an officer does it; version 2 is retired from test and
    its endpoint torn down (`govsync due-dates --as-of`, `POST …/reviews`, `POST …/retirement`).
The stack reacts to SageMaker's events; the demo waits for them and prints the records and audit trail.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from govsync_local.accounts import Accounts, client, dev_bucket_name
from govsync_local.api_client import GovernanceApi
from govsync_local.demo_api import PACK_FILE, DemoApiError, decide, export, show_pending
from govsync_local.demo_data import (
    EVALUATION_REPORT,
    GROUP,
    DemoError,
    local_info,
    model_tarball,
    register,
    say,
    wait_for,
)
from govsync_local.demo_deployments import TARGETS_FILE, demo_stage_targets, live_again, show_endpoint, show_guardrails
from govsync_local.demo_gates import decided_by, self_approval
from govsync_local.demo_lineage import COMMITS, REPOSITORY, dataset_uri, show_lineage, train, which_were_trained_on
from govsync_local.demo_monitoring import monitoring
from govsync_local.demo_notifications import told
from govsync_local.demo_upkeep import reconcile, upkeep
from govsync_local.server import free_port, stop_process

READY_TIMEOUT = 180
LOG_FILE = Path(".govsync") / "demo-local-stack.log"
STATE = Path(".govsync") / "demo-state"  # the demo's own, started fresh each run


def start_local_stack(port: int) -> tuple[subprocess.Popen[str], str]:
    """`govsync local up` in a child process; returns it and the endpoint it printed."""
    LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    TARGETS_FILE.write_text(json.dumps(demo_stage_targets(Accounts.from_env()), indent=1))
    log = LOG_FILE.open("w")
    command = [sys.executable, "-m", "govsync_cli", "local", "up", "--port", str(port), "--fresh", "--state",
               str(STATE), "--stage-targets", str(TARGETS_FILE)]  # fmt: skip
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=log,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    found: list[str] = []

    def read() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.startswith("AWS_ENDPOINT_URL="):
                found.append(line.strip().split("=", 1)[1])

    threading.Thread(target=read, daemon=True).start()
    started = time.monotonic()
    while not found:
        if proc.poll() is not None:
            raise DemoError(f"the local stack exited ({proc.returncode}); see {LOG_FILE}")
        if time.monotonic() - started > READY_TIMEOUT:
            proc.kill()
            raise DemoError(f"the local stack did not start in {READY_TIMEOUT}s; see {LOG_FILE}")
        time.sleep(0.1)
    return proc, found[0]


def user_keys(endpoint: str, user: str, account: str | None = None, accounts: Accounts | None = None) -> dict[str, str]:
    """Access keys of a new IAM user in `account` (default: the central one), so the audit trail names who acted."""
    iam = client("iam", endpoint, account, accounts)
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def user_client(service: str, endpoint: str, keys: dict[str, str]) -> Any:
    import boto3

    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint, **keys)


def share_group(endpoint: str, accounts: Accounts) -> str:
    """The ML engineer (central account) creates the group and shares it with the dev account over RAM;
    the dev account accepts the invitation (the blog's code). Returns the group's ARN."""
    from govsync_cli import main as cli

    say(
        f"1. ML engineer, central account {accounts.central}: create {GROUP!r}, share it with dev account "
        f"{accounts.dev}"
    )
    command = ["groups", "create", GROUP, "--use-case", "uc-fraud", "--share-with", accounts.dev,
               "--permission", "register", "--via", "ram", "--lob", "payments", "--project", "fraud-v2",
               "--description", "Card-not-present fraud models"]  # fmt: skip
    say(f"\ngovsync {shlex.join(command)}")
    if cli.main(["--endpoint-url", endpoint, *command]) != 0:
        raise DemoError("groups create failed")
    say(f"\n   dev account {accounts.dev}: accept the central account's RAM invitation")
    ram = client("ram", endpoint, accounts.dev, accounts)
    pending = [i for i in ram.get_resource_share_invitations()["resourceShareInvitations"] if i["status"] == "PENDING"]
    if not pending:
        raise DemoError("the dev account received no invitation")
    ram.accept_resource_share_invitation(resourceShareInvitationArn=pending[0]["resourceShareInvitationArn"])
    shared = client("sagemaker", endpoint, accounts.dev, accounts).list_model_package_groups(
        CrossAccountFilterOption="CrossAccount"
    )["ModelPackageGroupSummaryList"]
    say(
        f"   accepted {pending[0]['resourceShareName']}; shared with the dev account: "
        f"{', '.join(g['ModelPackageGroupArn'] for g in shared)}"
    )
    return str(next(g["ModelPackageGroupArn"] for g in shared if g["ModelPackageGroupName"] == GROUP))


def unshared_attempt(endpoint: str, accounts: Accounts, group_arn: str, bucket: str, key: str, report_key: str) -> None:
    """A data scientist of an account the group is not shared with tries the same registration."""
    from botocore.exceptions import ClientError

    say(f"   account {accounts.other} (the group is not shared with it) tries the same create_model_package")
    try:
        register(client("sagemaker", endpoint, accounts.other, accounts), bucket, key, report_key, group=group_arn)
    except ClientError as exc:
        say(f"   refused: {exc.response['Error']['Code']}: {exc.response['Error']['Message']}")
        return
    raise DemoError(f"account {accounts.other} registered into {GROUP} although the group is not shared with it")


def register_with_govsync(
    endpoint: str, keys: dict[str, str], group: str, bucket: str, key: str, report_key: str, options: list[str]
) -> str:
    """`govsync register` run as the data scientist in the dev account (its own process, its own credentials)."""
    command = ["govsync", "register", "--group", group, "--model-data", f"s3://{bucket}/{key}",
               "--image", "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
               "--metrics", f"s3://{bucket}/{report_key}", "--use-case", "uc-fraud", "--use-case-name",
               "Card fraud detection", "--owner", "alice@example.com", "--risk", "high",
               "--description", "XGBoost fraud detector retrained on 2026-12 data", *options]  # fmt: skip
    say("\n" + shlex.join(command))
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "GOVSYNC_ARTIFACT_BUCKETS": bucket,
           **{name.upper(): value for name, value in keys.items()}}  # fmt: skip
    env.pop("AWS_SESSION_TOKEN", None)
    done = subprocess.run([sys.executable, "-m", "govsync_cli", *command[1:], "--json"], env=env, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL)  # fmt: skip
    if done.returncode != 0:
        raise DemoError(f"govsync register failed ({done.returncode}): {done.stderr.strip()}")
    arn = str(json.loads(done.stdout)["model_package_arn"])
    say(f"   registered {arn} (PendingManualApproval)")
    return arn


def scenario(endpoint: str, accounts: Accounts) -> tuple[str, int]:
    from govsync_local.accounts import CREDENTIALS, REGION
    from govsync_local.deployed import info

    details = info(endpoint, accounts)
    os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION})
    os.environ.update({name.upper(): value for name, value in CREDENTIALS.items()})
    from govsync.adapters.store import GovernanceStore

    store = GovernanceStore(details["governance_table"], "us-east-1")

    group_arn = share_group(endpoint, accounts)
    scientist_keys = user_keys(endpoint, "alice-data-scientist", accounts.dev, accounts)
    scientist = user_client("sagemaker", endpoint, scientist_keys)

    bucket = dev_bucket_name(accounts)
    key = f"{GROUP}/training-job-2026-11-23/output/model.tar.gz"
    report_key = f"{GROUP}/training-job-2026-11-23/evaluation/statistics.json"
    say(
        f"\n2. dev account {accounts.dev}: upload s3://{bucket}/{key} and its evaluation report "
        "(the bucket of dev-account.yaml)"
    )
    dev_s3 = client("s3", endpoint, accounts.dev, accounts)
    dev_s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=model_tarball(),
        ContentType="application/x-gzip",
        Metadata={"training-job": "fraud-xgb-2026-11-23"},
        ChecksumAlgorithm="CRC64NVME",
    )
    dev_s3.put_object(
        Bucket=bucket,
        Key=report_key,
        Body=json.dumps(EVALUATION_REPORT).encode(),
        ContentType="application/json",
        ChecksumAlgorithm="CRC64NVME",
    )

    dev_sagemaker = client("sagemaker", endpoint, accounts.dev, accounts)
    november = train(dev_sagemaker, dev_s3, accounts.dev, bucket, "2026-11")

    say("3. data scientist in the dev account: create_model_package into the shared group by its ARN")
    lineage = {"SourceUri": november, "CodeRepository": REPOSITORY, "CodeCommit": COMMITS[0]}
    arn = register(scientist, bucket, key, report_key, group=group_arn, lineage=lineage)
    say(f"   {arn}")
    version = int(arn.rsplit("/", 1)[1])
    unshared_attempt(endpoint, accounts, group_arn, bucket, key, report_key)

    def status(stage: str = "development", number: int = version) -> str | None:
        """The stage's decision (pending, approved, ...)."""
        record = store.load_version(GROUP, number).records.get(stage)
        return record.model_status if record else None

    def deployment(stage: str, number: int = version) -> str | None:
        """The stage's deployment state (deploying, deployed, superseded, ...)."""
        record = store.load_version(GROUP, number).records.get(stage)
        return record.deployment_status if record else None

    wait_for("the development record", lambda: status() == "pending")
    record = store.load_version(GROUP, version).records["development"]
    if record.source_account != accounts.dev or accounts.dev not in record.model_audit_user:
        raise DemoError(f"the record names {record.source_account} / {record.model_audit_user}, not the dev account")
    say(f"   recorded: source_account {record.source_account}, registered by {record.model_audit_user}")
    if record.artifact_status != "copied":
        raise DemoError(f"artifacts not copied: {record.artifacts}")
    for artifact in record.artifacts:
        say(f"   copied {artifact.source_uri}\n       -> {artifact.central_uri} ({artifact.checksum})")
    show_lineage(record)
    say("   the notifications topic tells the approvers (govsync local info: notifications_queue):")
    told(endpoint, "approval-requested", "development", version)

    self_approval(store, endpoint, scientist, arn, version)

    api = GovernanceApi(endpoint)
    say("4. the governance API (its users: govsync local info --json); alice may not approve her own version")
    decide(api, "alice", GROUP, version, "development", "approve", "Ready for test", expect=403)
    decide(api, "olivia", GROUP, version, "development", "approve", "Validated on the hold-out set")
    wait_for("the approval to reach the record", lambda: decided_by(store, version) == api.users["olivia"]["email"])
    approved_by = store.load_version(GROUP, version).records["development"].model_audit_user
    if approved_by != api.users["olivia"]["email"]:
        raise DemoError(f"the approved record names {approved_by}, not the officer who approved it")
    say(f"   the registry's event came back: development approved, model_audit_user {approved_by}")
    wait_for(f"the deployment to the test account {accounts.test}", lambda: deployment("test") == "deployed")
    show_endpoint(store, endpoint, accounts, version, "test")

    say("5. validated in test: approving the test stage promotes into production; a high-risk version takes two")
    show_pending(api, "olivia")
    comment = "Validated in test: latency and accuracy within bounds"
    decide(api, "olivia", GROUP, version, "test", "approve", comment)
    decide(api, "olivia", GROUP, version, "test", "approve", comment, expect=409)
    decide(api, "oscar", GROUP, version, "test", "approve", "Second review: validation report and card checked")
    wait_for(
        f"the deployment to the production account {accounts.prod}", lambda: deployment("production") == "deployed"
    )
    show_endpoint(store, endpoint, accounts, version, "production")

    say("6. version 2, registered with `govsync register` (which checks it first), approved, validated in test:")
    say("   it replaces version 1 on both endpoints; production's endpoint is updated as a canary")
    december = train(dev_sagemaker, dev_s3, accounts.dev, bucket, "2026-12")
    lineage_options = ["--training-job", december, "--dataset", dataset_uri(bucket, "2026-12"),
                       "--code-repository", REPOSITORY, "--commit", COMMITS[1]]  # fmt: skip
    second = register_with_govsync(endpoint, scientist_keys, GROUP, bucket, key, report_key, lineage_options)
    number = int(second.rsplit("/", 1)[1])
    wait_for("the version 2 record", lambda: status(number=number) == "pending")
    decide(api, "oscar", GROUP, number, "development", "approve", "Retrained on 2026-12 data: better recall")
    wait_for("version 2 in test", lambda: deployment("test", number) == "deployed")
    decide(api, "olivia", GROUP, number, "test", "approve", "Validated in test")
    decide(api, "oscar", GROUP, number, "test", "approve", "Validated in test, second review")
    wait_for("version 2 in production", lambda: deployment("production", number) == "deployed")
    wait_for("version 1 to be superseded in production", lambda: deployment("production") == "superseded")
    show_endpoint(store, endpoint, accounts, number, "production")
    show_guardrails(store, number)

    say("7. governance officer rejects version 2 in production -> rollback")
    decide(api, "olivia", GROUP, number, "production", "reject", "Drift in the first hour of live traffic")
    wait_for("version 1 to be live in production again", lambda: live_again(store, version, "production"))
    show_endpoint(store, endpoint, accounts, version, "production")
    return GROUP, version


def open_dashboard(endpoint: str, stay: bool) -> None:
    """How to see this state on the dashboard; with `stay`, the URL and the users until Ctrl-C."""
    if not stay:
        say("\nSee it on the dashboard: `.venv/bin/govsync demo --stay` (or `make demo ARGS=--stay`) runs the demo "
            "again and keeps the stack up, printing the dashboard's URL and who to sign in as.")  # fmt: skip
        return
    info = local_info(endpoint)
    say(f"\ndashboard: {info['dashboard_url']}\nsign in as (username / password / groups):")
    for user in info["users"].values():
        say(f"  {user['username']:8} {user['password']}  {','.join(user['groups']):10} {user['role']}")
    say("approvers are asked for an authenticator code: `.venv/bin/govsync local mfa-code NAME` prints it "
        "(with AWS_ENDPOINT_URL below)")  # fmt: skip
    say(f"AWS_ENDPOINT_URL={endpoint}   (Ctrl-C stops the local stack)")
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    while not stopping.wait(0.5):
        pass


def run_demo(port: int = 0, stay: bool = False) -> int:
    from govsync_cli import main as cli

    accounts = Accounts.from_env()
    port = port or free_port()
    say(f"starting the local stack on 127.0.0.1:{port} (moto + template.yaml; log: {LOG_FILE})")
    try:
        proc, endpoint = start_local_stack(port)
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    say(f"AWS_ENDPOINT_URL={endpoint}\n")
    try:
        group, version = scenario(endpoint, accounts)
        monitoring(endpoint, accounts, group, version)
        reconcile(endpoint, group, version + 1)
        say(f"\ngovsync records show {group} {version}")
        cli.main(["--endpoint-url", endpoint, "records", "show", group, str(version)])
        say(f"\ngovsync records show {group} {version + 1}")
        cli.main(["--endpoint-url", endpoint, "records", "show", group, str(version + 1)])
        say("\ngovsync records list")
        cli.main(["--endpoint-url", endpoint, "records", "list"])
        say("\ngovsync usecases show uc-fraud")
        cli.main(["--endpoint-url", endpoint, "usecases", "show", "uc-fraud"])
        say(f"\ngovsync audit show {group} {version}")
        cli.main(["--endpoint-url", endpoint, "audit", "show", group, str(version)])
        say(f"\ngovsync audit verify {group} {version}")
        verified = cli.main(["--endpoint-url", endpoint, "audit", "verify", group, str(version)])
        if verified != 0:
            raise DemoError("the audit chain did not verify")
        say("\n10. the chains anchored outside the table, and the table held against the anchors")
        say("govsync audit anchor")
        if cli.main(["--endpoint-url", endpoint, "audit", "anchor"]) != 0:
            raise DemoError("anchoring found the table changed behind the chains' back")
        say("\ngovsync audit verify --anchored")
        if cli.main(["--endpoint-url", endpoint, "audit", "verify", "--anchored"]) != 0:
            raise DemoError("the table does not agree with its anchors")
        export(GovernanceApi(endpoint), "audrey")
        say(f"\ngovsync audit verify-pack {PACK_FILE}   (offline: no AWS access)")
        if cli.main(["audit", "verify-pack", str(PACK_FILE)]) != 0:
            raise DemoError("the auditor's pack does not hold")
        which_were_trained_on(cli, endpoint, dev_bucket_name(accounts), [version])
        upkeep(cli, endpoint, accounts, version)
        say("\ndemo complete")
        open_dashboard(endpoint, stay)
        return 0
    except (DemoError, DemoApiError) as exc:
        print(f"demo: {exc} (local stack log: {LOG_FILE})", file=sys.stderr)
        return 1
    finally:
        stop_process(proc, signal.SIGINT)
