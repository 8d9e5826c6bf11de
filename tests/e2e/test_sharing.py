"""Onboarding and registering across accounts on the local stack, as the ML engineer (central account)
and the data scientist (dev account) do it with the govsync CLI."""

from __future__ import annotations

import json

import boto3
import pytest

DEV = "222222222222"
OTHER = "555555555555"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def account_env(local, account: str) -> dict[str, str]:
    """A shell whose credentials are a role session in `account`."""
    credentials = local.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/data-scientist", RoleSessionName="alice"
    )["Credentials"]
    return {"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"], "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip


def in_account(local, service: str, account: str):
    env = account_env(local, account)
    return boto3.client(service, region_name="us-east-1", endpoint_url=local.endpoint,
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                        aws_session_token=env["AWS_SESSION_TOKEN"])  # fmt: skip


def versions(local, group: str) -> int:
    return len(local.client("sagemaker").list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"])


@pytest.fixture(scope="module")
def shared(local):
    """`groups create` (RAM, register) run twice, the dev account's invitation accepted, a model uploaded."""
    first = local.govsync("groups", "create", "onboard-ram", "--use-case", "uc-onboard", "--share-with", DEV, "--json")
    second = local.govsync("groups", "create", "onboard-ram", "--use-case", "uc-onboard", "--share-with", DEV)
    dev_ram = in_account(local, "ram", DEV)
    pending = [i for i in dev_ram.get_resource_share_invitations()["resourceShareInvitations"]
               if i["status"] == "PENDING" and i["resourceShareName"] == "govsync-onboard-ram-register"]  # fmt: skip
    shown_pending = local.govsync("groups", "show", "onboard-ram", "--json")
    dev_ram.accept_resource_share_invitation(resourceShareInvitationArn=pending[0]["resourceShareInvitationArn"])
    bucket = local.info["dev_bucket"]
    in_account(local, "s3", DEV).put_object(Bucket=bucket, Key="onboard/model.tar.gz", Body=b"weights")
    return {"first": first, "second": second, "shown_pending": shown_pending, "bucket": bucket}


def register(local, *options: str, flags: tuple[str, ...] = (), account: str = DEV):
    """`govsync register` in the dev account's shell: the defaults, `options` (pairs) over them, then `flags`."""
    bucket = local.info["dev_bucket"]
    base = {"--group": "onboard-ram", "--model-data": f"s3://{bucket}/onboard/model.tar.gz", "--image": IMAGE,
            "--use-case": "uc-onboard", "--owner": "alice@example.com", "--risk": "medium"}  # fmt: skip
    given = dict(zip(options[::2], options[1::2], strict=True))
    argv = [part for key, value in {**base, **given}.items() for part in (key, value)]
    env = {**account_env(local, account), "GOVSYNC_ARTIFACT_BUCKETS": bucket}
    return local.govsync("register", *argv, *flags, env=env)


def test_groups_create_shares_over_ram_and_a_second_run_changes_nothing(local, shared):
    # Then the first run created, tagged and shared the group
    assert shared["first"].returncode == 0, shared["first"].stderr
    first = json.loads(shared["first"].stdout)
    assert first["use_case_id"] == "uc-onboard" and first["tags"]["UseCaseId"] == "uc-onboard"
    assert any(c.startswith("created group onboard-ram") for c in first["changes"])
    assert any("AWSRAMPermissionSageMakerModelPackageGroupAllowRegister" in c for c in first["changes"])
    assert first["pending_invitations"] == [DEV]
    # and says what the permission lets the dev account do, the approval it includes among it
    assert first["granted"] == ["sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage",
                                "sagemaker:ListModelPackages", "sagemaker:CreateModelPackage",
                                "sagemaker:UpdateModelPackage"]  # fmt: skip
    assert "includes approving and rejecting them" in shared["second"].stdout
    assert "registrant guardrail policy" in shared["second"].stdout
    # and the second said so and changed nothing
    assert shared["second"].returncode == 0, shared["second"].stderr
    assert "nothing to change" in shared["second"].stdout
    shown = json.loads(shared["shown_pending"].stdout)
    assert shown["shared_with"] == {DEV: "ram:register (invitation pending)"}
    # once accepted, the group is shared without anything pending
    shown = json.loads(local.govsync("groups", "show", "onboard-ram", "--json").stdout)
    assert shown["shared_with"] == {DEV: "ram:register"} and shown["pending_invitations"] == []
    listed = json.loads(local.govsync("groups", "list", "--json").stdout)
    assert {g["group"]: g["shared_with"] for g in listed["groups"]}["onboard-ram"] == {DEV: "ram:register"}
    text = local.govsync("groups", "list").stdout
    assert "onboard-ram" in text and f"{DEV} ram:register" in text


def test_groups_create_with_the_group_policy_is_idempotent_too(local):
    command = ("groups", "create", "onboard-policy", "--use-case", "uc-onboard", "--share-with", f"{DEV},{OTHER}",
               "--via", "policy", "--json")  # fmt: skip
    first, second = local.govsync(*command), local.govsync(*command)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert json.loads(second.stdout)["changes"] == []
    policy = json.loads(local.client("sagemaker").get_model_package_group_policy(
        ModelPackageGroupName="onboard-policy")["ResourcePolicy"])  # fmt: skip
    assert policy["Statement"][0]["Principal"]["AWS"] == [f"arn:aws:iam::{DEV}:root", f"arn:aws:iam::{OTHER}:root"]
    assert json.loads(first.stdout)["shared_with"] == {DEV: "policy", OTHER: "policy"}


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (("--owner", " "), "--owner is empty"),
        (("--risk", "extreme"), "--risk 'extreme' is not one of: high, medium, low"),
        (("--model-data", "s3://someone-elses-bucket/model.tar.gz"), "is not on the artifact bucket allow-list"),
        (("--model-data", "s3://{bucket}/onboard/missing.tar.gz"), "no such object"),
        (("--group", "onboard-unshared"), "no group of that name is shared with this account"),
        (("--image", "latest"), "not an ECR image URI"),
    ],
)
def test_register_refuses_bad_input_with_exit_2_naming_it_and_creates_nothing(local, shared, options, problem):
    options = tuple(o.replace("{bucket}", shared["bucket"]) for o in options)
    before = versions(local, "onboard-ram")
    done = register(local, *options)
    assert done.returncode == 2, done.stdout + done.stderr
    assert problem in done.stderr, done.stderr
    assert versions(local, "onboard-ram") == before


def test_register_names_every_problem_at_once(local, shared):
    done = register(local, "--risk", "extreme", "--owner", "", "--model-data", "s3://elsewhere/m.tar.gz")
    assert done.returncode == 2
    assert done.stderr.count("\n  - ") == 3, done.stderr


def test_register_from_an_account_the_group_is_not_shared_with_is_refused(local, shared):
    arn = local.client("sagemaker").describe_model_package_group(ModelPackageGroupName="onboard-ram")[
        "ModelPackageGroupArn"
    ]
    done = register(local, "--group", arn, account=OTHER)
    assert done.returncode == 2 and f"is not shared with account {OTHER}" in done.stderr, done.stderr


def test_register_dry_run_prints_the_request_and_sends_nothing(local, shared):
    before = versions(local, "onboard-ram")
    done = register(local, flags=("--dry-run", "--json"))
    assert done.returncode == 0, done.stderr
    request = json.loads(done.stdout)["request"]
    assert request["ModelApprovalStatus"] == "PendingManualApproval"
    assert request["CustomerMetadataProperties"] == {"UseCaseId": "uc-onboard", "ModelOwner": "alice@example.com",
                                                     "ModelRisk": "medium"}  # fmt: skip
    assert request["ModelPackageGroupName"].endswith(":model-package-group/onboard-ram")
    assert versions(local, "onboard-ram") == before


def test_register_then_revoke(local, shared):
    # When the data scientist registers from the dev account
    done = register(local, flags=("--json",))
    assert done.returncode == 0, done.stderr
    arn = json.loads(done.stdout)["model_package_arn"]
    described = local.client("sagemaker").describe_model_package(ModelPackageName=arn)
    assert described["CreatedBy"]["IamIdentity"]["Arn"].startswith(f"arn:aws:sts::{DEV}:assumed-role/")
    assert described["CustomerMetadataProperties"]["ModelRisk"] == "medium"
    # When the ML engineer stops sharing the group with the dev account
    revoked = local.govsync("groups", "unshare", "onboard-ram", "--account", DEV)
    assert revoked.returncode == 0 and f"removed {DEV}" in revoked.stdout, revoked.stderr
    # Then the dev account's next registration is refused, nothing created
    before = versions(local, "onboard-ram")
    done = register(local, "--group", arn.rsplit("/", 1)[0].replace(":model-package/", ":model-package-group/"))
    assert done.returncode == 2 and "is not shared with account" in done.stderr, done.stderr
    assert versions(local, "onboard-ram") == before
    again = local.govsync("groups", "unshare", "onboard-ram", "--account", DEV)
    assert "nothing to change" in again.stdout


def test_showing_or_unsharing_a_group_this_account_does_not_have_exits_1_naming_it(local):
    for command in (("groups", "show", "no-such-group"), ("groups", "unshare", "no-such-group", "--account", DEV)):
        done = local.govsync(*command)
        assert done.returncode == 1 and "no model package group 'no-such-group'" in done.stderr, done.stderr


def test_groups_create_refuses_bad_accounts_and_the_callers_own(local):
    bad = local.govsync("groups", "create", "onboard-bad", "--use-case", "uc", "--share-with", "12345")
    assert bad.returncode == 2 and "12-digit account ids" in bad.stderr, bad.stderr
    own = local.govsync("groups", "create", "onboard-bad", "--use-case", "uc", "--share-with", "111111111111")
    assert own.returncode == 2 and "names this account" in own.stderr, own.stderr
    assert local.govsync("groups", "show", "onboard-bad").returncode == 1  # nothing created
