"""Sharing rules: managed permissions, the group policy a share writes and the checks it passes, who
registered a version, and which dev accounts the central stack accepts."""

import json

import pytest

from govsync.adapters.described_package import snapshot_from_describe
from govsync.domain.registrations import parse_dev_accounts, registration_refusal, source_account
from govsync.domain.sharing import (
    PolicyError,
    group_policy,
    merged_policy,
    parse_group_policy,
    permission_arn,
    permission_by_arn,
    policy_allows,
    shared_accounts,
    without_account,
)

from .helpers import described

GROUP_ARN = "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/fraud-detector"


def test_the_policy_a_share_writes_passes_sagemakers_checks_and_grants_the_permissions_actions():
    # Given the policy sharing the group with two accounts to register
    document = group_policy(GROUP_ARN, ["333333333333", "222222222222"], "register")
    # Then it parses, and grants each account exactly the register permission's actions
    grants = parse_group_policy(json.dumps(document), GROUP_ARN)
    assert document["Statement"][0]["Principal"]["AWS"] == [
        "arn:aws:iam::222222222222:root",
        "arn:aws:iam::333333333333:root",
    ]
    assert policy_allows(grants, "222222222222", "sagemaker:CreateModelPackage") is True
    assert policy_allows(grants, "444444444444", "sagemaker:CreateModelPackage") is None
    assert set(shared_accounts(grants)) == {"222222222222", "333333333333"}


def test_a_bad_policy_names_every_problem_at_once():
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Maybe", "Principal": {"AWS": "bob"}, "Action": "s3:GetObject", "Resource": "*"}],
    }
    with pytest.raises(PolicyError) as caught:
        parse_group_policy(json.dumps(document), GROUP_ARN)
    assert len(caught.value.problems) == 4, caught.value.problems


def test_merging_adds_accounts_to_govsyncs_statement_and_keeps_the_rest():
    existing = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Theirs", "Effect": "Allow", "Principal": {"AWS": "999999999999"},
         "Action": "sagemaker:DescribeModelPackage", "Resource": GROUP_ARN}]})  # fmt: skip
    once = merged_policy(existing, GROUP_ARN, ["222222222222"], "register")
    twice = merged_policy(json.dumps(once), GROUP_ARN, ["222222222222"], "register")
    assert once == twice and [s["Sid"] for s in once["Statement"]] == ["Theirs", "GovsyncShareRegister"]
    more = merged_policy(json.dumps(once), GROUP_ARN, ["333333333333"], "register")
    assert set(shared_accounts(parse_group_policy(json.dumps(more), GROUP_ARN))) == {
        "999999999999", "222222222222", "333333333333"}  # fmt: skip
    fewer = without_account(json.dumps(more), "222222222222")
    assert "222222222222" not in shared_accounts(parse_group_policy(json.dumps(fewer), GROUP_ARN))
    assert without_account(json.dumps(group_policy(GROUP_ARN, ["222222222222"], "default")), "222222222222") is None


def test_managed_permissions_round_trip_through_their_arns():
    for name in ("default", "deploy", "register"):
        short, actions = permission_by_arn(permission_arn(
            {"default": "AWSRAMDefaultPermissionSageMakerModelPackageGroup",
             "deploy": "AWSRAMPermissionSageMakerModelPackageGroupAllowDeploy",
             "register": "AWSRAMPermissionSageMakerModelPackageGroupAllowRegister"}[name]))  # fmt: skip
        assert short == name and "sagemaker:DescribeModelPackage" in actions
    assert permission_by_arn("arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSubnet") is None


@pytest.mark.parametrize(
    ("created_by", "expected"),
    [
        ("arn:aws:sts::222222222222:assumed-role/ds/alice", "222222222222"),
        ("arn:aws:iam::222222222222:user/alice", "222222222222"),
        ("arn:aws:sagemaker:us-east-1:222222222222:user-profile/d-1/alice", "222222222222"),
        (None, "111111111111"),
        ("unknown", "111111111111"),
    ],
)
def test_the_source_account_is_the_registering_identitys(created_by, expected):
    assert source_account(created_by, "111111111111") == expected


def test_a_snapshot_knows_the_account_it_was_registered_from():
    pkg = snapshot_from_describe(
        described(CreatedBy={"IamIdentity": {"Arn": "arn:aws:sts::222222222222:assumed-role/r/s"}})
    )
    assert (pkg.account, pkg.source_account) == ("111111111111", "222222222222")


def test_dev_accounts_take_a_list_or_a_map_of_group_patterns():
    assert parse_dev_accounts("") == {}
    assert parse_dev_accounts("222222222222, 333333333333") == {"222222222222": ("*",), "333333333333": ("*",)}
    allowed = parse_dev_accounts('{"222222222222": ["fraud-*"], "333333333333": "churn"}')
    assert allowed == {"222222222222": ("fraud-*",), "333333333333": ("churn",)}
    with pytest.raises(ValueError):
        parse_dev_accounts('{"222222222222": []}')
    assert registration_refusal(allowed, "fraud-detector", "222222222222", "111111111111") is None
    assert registration_refusal(allowed, "anything", "111111111111", "111111111111") is None
    assert "only into churn" in registration_refusal(allowed, "fraud-detector", "333333333333", "111111111111")
    assert "not an allowed dev account" in registration_refusal(
        allowed, "fraud-detector", "444444444444", "111111111111"
    )
