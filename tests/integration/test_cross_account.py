"""Cross-account registration against the local AWS (moto with govsync's extension): the SageMaker
guide's group policy and the blog's RAM calls, verbatim in shape; then the central stack's side."""

import json
import re

import boto3
import pytest
from botocore.exceptions import ClientError

from govsync import wiring
from govsync.adapters.sqs import REASON_ATTRIBUTE
from govsync_local import template as tpl

from .conftest import CENTRAL, DEV_BUCKET, GROUP, REGION, load_event, register

DEV = "222222222222"
OTHER = "555555555555"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{CENTRAL}:model-package-group/{GROUP}"
REGISTER = "arn:aws:ram::aws:permission/AWSRAMPermissionSageMakerModelPackageGroupAllowRegister"
DEPLOY = "arn:aws:ram::aws:permission/AWSRAMPermissionSageMakerModelPackageGroupAllowDeploy"
# the blog's `permission`, verbatim
BLOG_PERMISSION = "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSageMakerModelPackageGroup"


def in_account(service: str, account: str, session: str = "data-scientist"):
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{session}", RoleSessionName=session
    )["Credentials"]
    return boto3.client(service, region_name=REGION, aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"])  # fmt: skip


def seed_group_policy(model_training_account: str) -> str:
    """The SageMaker guide's model_package_group_policy, as it writes it."""
    model_package_group_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AddPermModelPackageVersion",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{model_training_account}:root"},
                "Action": ["sagemaker:CreateModelPackage"],
                "Resource": f"arn:aws:sagemaker:{REGION}:{CENTRAL}:model-package/{GROUP}/*",
            }
        ],
    }
    return json.dumps(model_package_group_policy)


def denied(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException", caught.value.response
    return caught.value.response["Error"]["Message"]


def created_event(arn: str) -> dict:
    event = load_event("model-package-created")
    event["detail"]["ModelPackageArn"] = arn
    event["detail"]["ModelPackageVersion"] = int(arn.rsplit("/", 1)[1])
    return event


def test_the_guides_group_policy_lets_the_training_account_register_and_no_other(stack):
    # Given the guide's policy on the central group
    stack.sagemaker.put_model_package_group_policy(ModelPackageGroupName=GROUP, ResourcePolicy=seed_group_policy(DEV))
    assert json.loads(stack.sagemaker.get_model_package_group_policy(ModelPackageGroupName=GROUP)["ResourcePolicy"])
    # When the training account registers by the group's ARN
    arn = register(in_account("sagemaker", DEV), group=GROUP_ARN)
    # Then the version lives in the central registry, created by the dev identity
    assert arn == f"arn:aws:sagemaker:{REGION}:{CENTRAL}:model-package/{GROUP}/1"
    described = stack.sagemaker.describe_model_package(ModelPackageName=arn)
    assert (
        described["CreatedBy"]["IamIdentity"]["Arn"] == f"arn:aws:sts::{DEV}:assumed-role/data-scientist/data-scientist"
    )
    # and the policy grants nothing else: not reading, not another account's registration
    assert "sagemaker:DescribeModelPackage" in denied(lambda: in_account("sagemaker", DEV).describe_model_package(
        ModelPackageName=arn))  # fmt: skip
    assert f"{OTHER}" in denied(lambda: register(in_account("sagemaker", OTHER), group=GROUP_ARN))
    # When the policy is deleted, the training account is refused too
    stack.sagemaker.delete_model_package_group_policy(ModelPackageGroupName=GROUP)
    denied(lambda: register(in_account("sagemaker", DEV), group=GROUP_ARN))
    with pytest.raises(ClientError, match="Cannot find resource policy"):
        stack.sagemaker.get_model_package_group_policy(ModelPackageGroupName=GROUP)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("not json", "not JSON"),
        ('{"Version": "2012-10-17", "Statement": []}', "Statement is missing"),
        (seed_group_policy(DEV).replace("sagemaker:CreateModelPackage", "s3:GetObject"), "cannot be granted"),
        (seed_group_policy(DEV).replace(f"model-package/{GROUP}/*", "model-package/another-group/*"), "neither"),
        (seed_group_policy(DEV).replace(f'"arn:aws:iam::{DEV}:root"', '"*"'), "every account"),
        (seed_group_policy(DEV).replace('"Effect"', '"Condition": {}, "Effect"'), "Condition"),
    ],
)
def test_a_group_policy_sagemaker_would_refuse_is_refused_naming_the_problem(stack, document, problem):
    with pytest.raises(ClientError) as caught:
        stack.sagemaker.put_model_package_group_policy(ModelPackageGroupName=GROUP, ResourcePolicy=document)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert problem in caught.value.response["Error"]["Message"]


def test_a_deny_statement_wins_over_an_allow(stack):
    document = json.loads(seed_group_policy(DEV))
    document["Statement"].append({**document["Statement"][0], "Sid": "NoMore", "Effect": "Deny"})
    stack.sagemaker.put_model_package_group_policy(ModelPackageGroupName=GROUP, ResourcePolicy=json.dumps(document))
    denied(lambda: register(in_account("sagemaker", DEV), group=GROUP_ARN))


def test_the_blogs_ram_share_invitation_and_acceptance(stack):
    # Given the central account shares the group over RAM (the blog's create_resource_share)
    ram_client = boto3.client("ram", region_name=REGION)
    response = ram_client.create_resource_share(
        name="model-group-resource-share", resourceArns=[GROUP_ARN], principals=[DEV], permissionArns=[BLOG_PERMISSION]
    )
    resource_share_arn = response["resourceShare"]["resourceShareArn"]
    dev_sagemaker, dev_ram = in_account("sagemaker", DEV), in_account("ram", DEV)
    # Then until the dev account accepts, it may not register
    denied(lambda: register(dev_sagemaker, group=GROUP_ARN))
    # When the dev account reviews and accepts its pending invitations (the blog's code)
    response = dev_ram.get_resource_share_invitations()
    pending_invitations = [i for i in response["resourceShareInvitations"] if i["status"] == "PENDING"]
    assert [(i["senderAccountId"], i["resourceShareArn"]) for i in pending_invitations] == [
        (CENTRAL, resource_share_arn)
    ]
    dev_ram.accept_resource_share_invitation(
        resourceShareInvitationArn=pending_invitations[0]["resourceShareInvitationArn"]
    )
    # Then the group is visible and writable from the dev account
    shared = dev_sagemaker.list_model_package_groups(CrossAccountFilterOption="CrossAccount")
    assert [g["ModelPackageGroupArn"] for g in shared["ModelPackageGroupSummaryList"]] == [GROUP_ARN]
    arn = register(dev_sagemaker, group=GROUP_ARN)
    assert dev_sagemaker.describe_model_package(ModelPackageName=arn)["ModelPackageGroupName"] == GROUP
    dev_sagemaker.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"ModelRisk": "low"})
    assert [r["arn"] for r in dev_ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"]] == [GROUP_ARN]
    assert [
        s["resourceShareArn"] for s in dev_ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    ] == [resource_share_arn]
    # and an account it was not shared with still may not
    denied(lambda: register(in_account("sagemaker", OTHER), group=GROUP_ARN))
    # When the share is revoked, the dev account is refused again
    ram_client.disassociate_resource_share(resourceShareArn=resource_share_arn, principals=[DEV])
    denied(lambda: register(dev_sagemaker, group=GROUP_ARN))
    assert (
        dev_sagemaker.list_model_package_groups(CrossAccountFilterOption="CrossAccount")["ModelPackageGroupSummaryList"]
        == []
    )


def test_a_deploy_share_does_not_let_the_dev_account_register(stack):
    boto3.client("ram", region_name=REGION).create_resource_share(
        name="read", resourceArns=[GROUP_ARN], principals=[DEV], permissionArns=[DEPLOY]
    )
    dev_ram = in_account("ram", DEV)
    (invitation,) = dev_ram.get_resource_share_invitations()["resourceShareInvitations"]
    dev_ram.accept_resource_share_invitation(resourceShareInvitationArn=invitation["resourceShareInvitationArn"])
    dev_sagemaker = in_account("sagemaker", DEV)
    assert (
        dev_sagemaker.describe_model_package_group(ModelPackageGroupName=GROUP_ARN)["ModelPackageGroupArn"] == GROUP_ARN
    )
    denied(lambda: register(dev_sagemaker, group=GROUP_ARN))


def test_within_one_organization_the_share_is_accepted_without_an_invitation(stack):
    # Given an organization managed by the central account, with a member account
    organizations = boto3.client("organizations", region_name=REGION)
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(AccountName="ml-dev", Email="ml-dev@example.com")["CreateAccountStatus"][
        "AccountId"
    ]
    # When the group is shared with the member
    boto3.client("ram", region_name=REGION).create_resource_share(
        name="org", resourceArns=[GROUP_ARN], principals=[member], permissionArns=[REGISTER]
    )
    # Then no invitation waits and the member registers at once
    assert in_account("ram", member).get_resource_share_invitations()["resourceShareInvitations"] == []
    assert register(in_account("sagemaker", member), group=GROUP_ARN).endswith(f"/{GROUP}/1")


def test_the_dev_templates_acceptor_accepts_only_the_central_accounts_invitations(stack, monkeypatch):
    # Given invitations from the central account and from a stranger's account
    boto3.client("ram", region_name=REGION).create_resource_share(
        name="central", resourceArns=[GROUP_ARN], principals=[DEV], permissionArns=[REGISTER]
    )
    stranger_group = in_account("sagemaker", OTHER).create_model_package_group(ModelPackageGroupName="bait")
    in_account("ram", OTHER).create_resource_share(
        name="stranger", resourceArns=[stranger_group["ModelPackageGroupArn"]], principals=[DEV]
    )
    # When dev-account.yaml's inline function runs in the dev account
    code = tpl.load("dev-account.yaml")["Resources"]["AcceptInvitationsFunction"]["Properties"]["Code"]["ZipFile"]
    namespace: dict = {}
    exec(compile(code, "dev-account.yaml#AcceptInvitationsFunction", "exec"), namespace)
    monkeypatch.setenv("CENTRAL_ACCOUNT_ID", CENTRAL)
    dev_ram = in_account("ram", DEV)
    result = namespace["handler"]({}, None, ram=dev_ram)
    # Then only the central account's invitation is accepted
    assert result["accepted"] == ["central"] and len(result["ignored"]) == 1
    statuses = {
        i["resourceShareName"]: i["status"]
        for i in dev_ram.get_resource_share_invitations()["resourceShareInvitations"]
    }
    assert statuses == {"central": "ACCEPTED", "stranger": "PENDING"}


def test_the_record_names_the_dev_account_and_the_dev_identity(stack):
    # Given the stack accepts versions from the dev account, and the group is shared with it
    stack.configure(DevAccounts=DEV)
    stack.sagemaker.put_model_package_group_policy(ModelPackageGroupName=GROUP, ResourcePolicy=seed_group_policy(DEV))
    # When the dev account registers and the event arrives
    arn = register(in_account("sagemaker", DEV), group=GROUP_ARN)
    assert stack.invoke(created_event(arn)) == {"batchItemFailures": []}
    # Then the record's source account and its audit entry's actor are the dev account's
    record = wiring.governance_store().load_version(GROUP, 1).records["development"]
    assert record.source_account == DEV
    assert record.model_audit_user == f"arn:aws:sts::{DEV}:assumed-role/data-scientist/data-scientist"
    (entry,) = wiring.governance_store().audit_entries(GROUP, 1)
    assert re.search(DEV, entry.actor)
    assert record.artifact_status == "copied"


@pytest.mark.parametrize(
    ("dev_accounts", "reason"),
    [("", "not an allowed dev account"), (f'{{"{DEV}": ["churn-*"]}}', "allows only into churn-*")],
)
def test_a_version_from_an_account_the_stack_does_not_accept_is_dead_lettered_and_nothing_copied(
    stack, dev_accounts, reason
):
    # Given the registry lets the dev account register, but the stack does not accept it into this group
    stack.configure(DevAccounts=dev_accounts)
    stack.sagemaker.put_model_package_group_policy(ModelPackageGroupName=GROUP, ResourcePolicy=seed_group_policy(DEV))
    arn = register(in_account("sagemaker", DEV), group=GROUP_ARN)
    # When its event arrives
    assert stack.invoke(created_event(arn)) == {"batchItemFailures": []}
    # Then it is dead-lettered with the reason, and nothing is recorded or copied
    (dead,) = stack.dead_letters()
    assert reason in dead["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]
    assert f"account {DEV}" in dead["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]
    assert wiring.governance_store().load_version(GROUP, 1).records == {}
    central_bucket = stack.ctx.refs["ArtifactBucket"]
    assert stack.s3.list_objects_v2(Bucket=central_bucket).get("KeyCount", 0) == 0
    assert DEV_BUCKET  # the artifact was there to copy


def test_the_blogs_flow_as_written_and_the_dev_accounts_own_approval_counts_for_nothing(stack):
    # Given the blog's share (the default permission), accepted, and a stack accepting the dev account
    stack.configure(DevAccounts=DEV)
    boto3.client("ram", region_name=REGION).create_resource_share(
        name="model-group-resource-share", resourceArns=[GROUP_ARN], principals=[DEV], permissionArns=[BLOG_PERMISSION]
    )
    dev_ram, dev_sagemaker = in_account("ram", DEV), in_account("sagemaker", DEV)
    (invitation,) = dev_ram.get_resource_share_invitations()["resourceShareInvitations"]
    dev_ram.accept_resource_share_invitation(resourceShareInvitationArn=invitation["resourceShareInvitationArn"])
    # When the data scientist registers from the dev account, then approves her own version there
    arn = register(dev_sagemaker, group=GROUP_ARN)
    assert stack.invoke(created_event(arn)) == {"batchItemFailures": []}
    dev_sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert stack.invoke(created_event(arn)) == {"batchItemFailures": []}
    stack.run_deployments()
    # Then the registry says approved, but the record says by whom and that it counts for nothing
    records = wiring.governance_store().load_version(GROUP, 1).records
    decided = records["development"].registry_decision
    assert records["development"].registry_status == "approved" and not decided.authorized
    assert decided.by == (f"arn:aws:sts::{DEV}:assumed-role/data-scientist/data-scientist",)
    # and nothing is promoted: development still waits for a decision
    assert records["development"].model_status == "pending" and "test" not in records
