"""What the templates promise, checked on every run: least privilege, encryption, backups, and an
alarm on every dead-letter queue."""

import json
import re
from pathlib import Path

import pytest
import yaml

from govsync_local import template as tpl

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ("template.yaml", "workload-account.yaml", "dev-account.yaml")
FORBIDDEN = {"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "s3:PutObjectAcl", "s3:DeleteObject"}


def load(name: str) -> dict:
    return tpl.load(str(ROOT / name))


def statements(node):
    """Every IAM statement anywhere in the template (roles, inline policies, resource policies)."""
    if isinstance(node, dict):
        if "Effect" in node and ("Action" in node or "NotAction" in node):
            yield node
        for value in node.values():
            yield from statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from statements(value)


def actions(statement: dict) -> list[str]:
    found = statement.get("Action", [])
    return [found] if isinstance(found, str) else [a for a in found if isinstance(a, str)]


def of_type(template: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


@pytest.mark.parametrize("name", TEMPLATES)
def test_no_role_may_scan_delete_batch_write_or_set_acls(name):
    allowed = [s for s in statements(load(name)) if s["Effect"] == "Allow"]
    assert allowed, "the template grants something"
    granted = {a for s in allowed for a in actions(s)}
    assert not granted & FORBIDDEN, sorted(granted & FORBIDDEN)
    assert not [a for a in granted if a == "*" or a.endswith(":*")], "no wildcard actions"


def test_the_table_has_backups_deletion_protection_and_its_own_key():
    (table,) = of_type(load("template.yaml"), "AWS::DynamoDB::Table").values()
    properties = table["Properties"]
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["SSESpecification"]["KMSMasterKeyId"] == {"Fn::GetAtt": ["GovernanceKey", "Arn"]}


def test_every_central_queue_and_function_setting_is_encrypted_with_the_stacks_key():
    template = load("template.yaml")
    queues = of_type(template, "AWS::SQS::Queue")
    assert len(queues) >= 7
    key = {"Fn::GetAtt": ["GovernanceKey", "Arn"]}
    assert {n for n, q in queues.items() if q["Properties"].get("KmsMasterKeyId") != key} == set()
    assert template["Globals"]["Function"]["KmsKeyArn"] == key
    policy = template["Resources"]["GovernanceKey"]["Properties"]["KeyPolicy"]
    statements = {s["Sid"]: s for s in policy["Statement"] if "Sid" in s}
    services = [
        v["Fn::Sub"] for v in statements["UseThroughAwsServicesOnly"]["Condition"]["StringEquals"]["kms:ViaService"]
    ]
    assert {s.split(".")[0] for s in services} == {"dynamodb", "s3", "sqs", "lambda", "sns", "secretsmanager"}
    assert statements["EventBridgeWritesTheEncryptedQueues"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }
    # the stage accounts' forward DLQ keeps SQS-managed keys (EventBridge cannot use the AWS managed key)
    (forward,) = of_type(load("workload-account.yaml"), "AWS::SQS::Queue").values()
    assert forward["Properties"]["SqsManagedSseEnabled"] is True


def test_service_roles_are_pinned_to_their_account_where_the_service_documents_the_key():
    """scheduler, SageMaker and EventBridge set aws:SourceAccount when they assume a role; Lambda and API
    Gateway do not document it, so their roles carry none and the Prowler mutelist says why."""
    mutelist = yaml.safe_load((ROOT / "security" / "prowler-mutelist.yaml").read_text())
    check = mutelist["Mutelist"]["Accounts"]["*"]["Checks"]["iam_role_cross_service_confused_deputy_prevention"]
    for name in TEMPLATES:
        stack = {"template.yaml": "govsync", "dev-account.yaml": "govsync-dev"}.get(name, "govsync-workload")
        for logical, role in of_type(load(name), "AWS::IAM::Role").items():
            for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
                service = statement["Principal"].get("Service")
                if service is None:
                    continue
                if service in ("lambda.amazonaws.com", "apigateway.amazonaws.com"):
                    assert "Condition" not in statement, logical
                    physical = f"{stack}-{logical}-1A2B3C4D5E6F"  # as CloudFormation names it
                    assert any(re.fullmatch(pattern, physical) for pattern in check["Resources"]), physical
                else:
                    assert statement["Condition"] == {
                        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
                    }, (name, logical)


def test_scheduled_jobs_start_as_the_pinned_scheduler_role_and_the_artifact_bucket_logs_access():
    template = load("template.yaml")
    functions = of_type(template, "AWS::Serverless::Function")
    schedules = [e["Properties"] for f in functions.values() for e in f["Properties"].get("Events", {}).values()
                 if e["Type"] == "ScheduleV2"]  # fmt: skip
    assert len(schedules) == 4
    assert all(s["RoleArn"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]} for s in schedules)
    bucket = template["Resources"]["ArtifactBucket"]["Properties"]
    assert bucket["LoggingConfiguration"]["Fn::If"][0] == "ServerAccessLogs"
    assert bucket["LoggingConfiguration"]["Fn::If"][1]["DestinationBucketName"] == {"Ref": "ArtifactAccessLogBucket"}
    logs = template["Resources"]["ArtifactAccessLogBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert logs["Principal"] == {"Service": "logging.s3.amazonaws.com"} and "aws:SourceAccount" in json.dumps(logs)


def test_every_checkov_skip_says_why_and_the_docs_list_it():
    docs = (ROOT / "docs" / "security.md").read_text()
    skipped = 0
    for name in TEMPLATES:
        for logical, resource in load(name)["Resources"].items():
            for skip in (resource.get("Metadata", {}).get("checkov") or {}).get("skip", []):
                skipped += 1
                assert len(skip.get("comment", "")) > 40, (name, logical, skip["id"])
                row = next(line for line in docs.splitlines() if line.startswith(f"| `{skip['id']}`"))
                assert "every function" in row or f"`{logical}`" in row, (skip["id"], logical)
    assert skipped >= 20


def test_queue_policies_allow_only_their_rule():
    policies = of_type(load("template.yaml"), "AWS::SQS::QueuePolicy")
    assert policies
    for name, policy in policies.items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Allow":
                assert "aws:SourceArn" in statement.get("Condition", {}).get("ArnEquals", {}), name


def test_every_dead_letter_queue_has_an_alarm_and_every_queue_the_functions_receive_count():
    template = load("template.yaml")
    queues = of_type(template, "AWS::SQS::Queue")
    redriven = {n: q["Properties"]["RedrivePolicy"] for n, q in queues.items() if "RedrivePolicy" in q["Properties"]}
    dead_letter_queues = {r["deadLetterTargetArn"]["Fn::GetAtt"][0] for r in redriven.values()} | {"ScheduledJobsDLQ"}
    alarmed = {
        d["Value"]["Fn::GetAtt"][0]
        for alarm in of_type(template, "AWS::CloudWatch::Alarm").values()
        for d in alarm["Properties"].get("Dimensions", [])
        if d["Name"] == "QueueName" and isinstance(d["Value"], dict)
    }
    assert dead_letter_queues <= alarmed, dead_letter_queues - alarmed
    # the functions dead-letter a failing message themselves on the queue's last delivery
    functions = of_type(template, "AWS::Serverless::Function").values()
    counts = {int(v["GOVSYNC_MAX_RECEIVE_COUNT"]) for f in functions
              if "GOVSYNC_MAX_RECEIVE_COUNT" in (v := f["Properties"]["Environment"]["Variables"])}  # fmt: skip
    (receive_count,) = counts  # every queue-fed function, the same delivery
    assert {r["maxReceiveCount"] for r in redriven.values()} == {receive_count}


def test_the_dev_account_lets_only_the_central_sync_role_read_only_under_the_artifact_prefix():
    template = load("dev-account.yaml")
    (policy,) = of_type(template, "AWS::S3::BucketPolicy").values()
    allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allows
    for statement in allows:
        assert statement["Condition"]["ArnEquals"]["aws:PrincipalArn"] == {"Ref": "CentralRegistrySyncRoleArn"}
        assert not {a for a in actions(statement) if not a.startswith(("s3:Get", "s3:List"))}, "read only"
        resource = json.dumps(statement["Resource"]) + json.dumps(statement["Condition"])
        assert "ArtifactPrefix" in resource, statement["Sid"]
    (key,) = of_type(template, "AWS::KMS::Key").values()
    central = [
        s for s in key["Properties"]["KeyPolicy"]["Statement"] if "CentralAccountId" in json.dumps(s["Principal"])
    ]
    assert central and all(s["Condition"]["ArnEquals"]["aws:PrincipalArn"] == {"Ref": "CentralRegistrySyncRoleArn"}
                           for s in central)  # fmt: skip
    assert set(actions(central[0])) == {"kms:Decrypt", "kms:DescribeKey"}


def test_the_dev_account_keeps_its_identities_from_deciding_in_the_registry():
    """The registry door: an identity of a dev account may register (its group permission lets it call
    UpdateModelPackage too) but never approve or reject, nor register a version already approved."""
    template = load("dev-account.yaml")
    (policy,) = of_type(template, "AWS::IAM::ManagedPolicy").values()
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert {s["Effect"] for s in statements.values()} == {"Deny"}
    denied = {
        (action, key, value)
        for s in statements.values()
        for action in actions(s)
        for operator, keys in s["Condition"].items()
        for key, values in keys.items()
        for value in ([values] if isinstance(values, str) else values)
    }
    for action in ("sagemaker:UpdateModelPackage", "sagemaker:CreateModelPackage"):
        for status in ("Approved", "Rejected"):
            assert (action, "sagemaker:ModelLifeCycle:stageStatus", status) in denied
    for status in ("Approved", "Rejected"):
        assert ("sagemaker:UpdateModelPackage", "sagemaker:ModelApprovalStatus", status) in denied
    register = statements["RegisterOnlyPendingApproval"]["Condition"]
    assert register == {"StringNotEqualsIfExists": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}}
    # attached to the roles the operator names, and its ARN an output for everything else
    assert policy["Properties"]["Roles"]["Fn::If"][0] == "HasRegistrantRoles"
    assert template["Outputs"]["RegistrantGuardrailPolicyArn"]["Value"] == {"Ref": "RegistrantGuardrailPolicy"}


def test_the_lineage_role_reads_only_training_jobs_and_object_versions_for_the_central_sync_role():
    """dev-account.yaml's lineage role: trusted by the central registry sync role alone, it describes this
    account's training jobs and reads objects' ETag and version id (GetObjectAttributes), never the data;
    the central role may assume it only in the accounts the stack accepts versions from."""
    template = load("dev-account.yaml")
    role = template["Resources"]["LineageReadRole"]
    assert role["Condition"] == "CreatesLineageRole" and role["Properties"]["RoleName"] == {
        "Ref": "LineageReadRoleName"
    }
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": {"Ref": "CentralRegistrySyncRoleArn"}}
    granted = {a for s in statements(role["Properties"]["Policies"]) for a in actions(s)}
    assert granted == {"sagemaker:DescribeTrainingJob", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"}
    jobs = next(s for s in statements(role["Properties"]["Policies"]) if s.get("Sid") == "DescribeTrainingJobs")
    assert jobs["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:training-job/*"}
    central = load("template.yaml")["Resources"]["RegistrySyncRole"]
    (assume,) = [s for s in statements(central) if s.get("Sid") == "AssumeLineageReadRole"]
    assert assume["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${LineageReadRoleName}"}
    assert "aws:ResourceAccount" in assume["Condition"]["StringEquals"]


def test_the_dev_account_template_deploys_without_a_transform_or_packaged_code():
    """StackSets deploy it as it is: no SAM transform, no CodeUri to package."""
    template = load("dev-account.yaml")
    assert "Transform" not in template
    assert all(r["Type"] != "AWS::Serverless::Function" for r in template["Resources"].values())


def test_only_the_dashboards_static_files_skip_the_apis_authorizer():
    # Given the governance API's routes, as the template declares them
    template = load("template.yaml")
    api = template["Resources"]["GovernanceApi"]["Properties"]["Auth"]
    assert api["DefaultAuthorizer"] == "CognitoAuthorizer"
    spec = tpl.function_specs(template)["GovernanceApiFunction"]
    # Then the public ones are the page's GETs only (no data: every call the page makes is authorized)
    assert sorted(spec.public_routes) == [("GET", "/dashboard"), ("GET", "/dashboard/{asset}")]
    assert ("GET", "/records") in spec.routes and len(spec.routes) >= 12
    # and the table keeps the metrics history bounded by its TTL attribute
    ttl = template["Resources"]["GovernanceTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}


def test_the_deploy_function_may_reject_in_the_registry_but_never_approve():
    """A gate with `on_fail: reject` sets a decision back to Rejected: the deploy function's role may
    update model packages for that, and is denied every approval."""
    role = load("template.yaml")["Resources"]["DeployFunctionRole"]
    found = list(statements(role))
    assert any(s["Effect"] == "Allow" and "sagemaker:UpdateModelPackage" in actions(s) for s in found)
    denied = {
        (key, value)
        for s in found
        if s["Effect"] == "Deny" and "sagemaker:UpdateModelPackage" in actions(s)
        for keys in s["Condition"].values()
        for key, values in keys.items()
        for value in values
    }
    assert denied == {("sagemaker:ModelApprovalStatus", "Approved"),
                      ("sagemaker:ModelApprovalStatus", "PendingManualApproval"),
                      ("sagemaker:ModelLifeCycle:stageStatus", "Approved"),
                      ("sagemaker:ModelLifeCycle:stageStatus", "PendingApproval")}  # fmt: skip


@pytest.mark.parametrize("name", TEMPLATES)
def test_no_rule_drops_an_event_it_cannot_deliver(name):
    """Every EventBridge rule target retries, then keeps what it could not deliver in a dead-letter
    queue that lets that rule (and only it) send, and whose messages raise an alarm."""
    template = load(name)
    policies = of_type(template, "AWS::SQS::QueuePolicy").values()
    alarmed = {
        d["Value"]["Fn::GetAtt"][0]
        for alarm in of_type(template, "AWS::CloudWatch::Alarm").values()
        for d in alarm["Properties"].get("Dimensions", [])
        if d["Name"] == "QueueName" and isinstance(d["Value"], dict)
    }
    rules = of_type(template, "AWS::Events::Rule")
    assert rules
    for rule_name, rule in rules.items():
        for target in rule["Properties"]["Targets"]:
            retry = target["RetryPolicy"]
            assert retry["MaximumRetryAttempts"] >= 3 and retry["MaximumEventAgeInSeconds"] >= 3600, rule_name
            queue = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
            assert queue in alarmed, f"{rule_name}: its dead-letter queue {queue} has no alarm"
            granted = [s for p in policies if {"Ref": queue} in p["Properties"]["Queues"]
                       for s in p["Properties"]["PolicyDocument"]["Statement"]]  # fmt: skip
            (send,) = [s for s in granted if s["Principal"] == {"Service": "events.amazonaws.com"}]
            assert send["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_name, "Arn"]}}}


def test_every_alarm_tells_someone_and_every_log_group_is_encrypted_and_kept():
    topic = {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}
    for name in TEMPLATES:  # every account's alarms: its topic, or the one AlarmTopicArn names
        alarms = of_type(load(name), "AWS::CloudWatch::Alarm")
        assert alarms and all(a["Properties"]["AlarmActions"] == [topic] for a in alarms.values()), name
        assert load(name)["Outputs"]["AlarmTopicArn"]["Value"] == topic, name
    template = load("template.yaml")
    key_arn = {"Fn::GetAtt": ["GovernanceKey", "Arn"]}
    assert template["Resources"]["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == key_arn
    groups = of_type(template, "AWS::Logs::LogGroup")
    anchors = groups.pop("AnchorLogGroup")  # the anchors' copy is kept ten years, and retained
    assert anchors["Properties"]["RetentionInDays"] == 3653 and anchors["DeletionPolicy"] == "Retain"
    assert groups and all(g["Properties"]["KmsKeyId"] == key_arn
                          and g["Properties"]["RetentionInDays"] in ({"Ref": "LogRetentionDays"}, 3653)
                          for g in [*groups.values(), anchors])  # fmt: skip
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 365
    # the dev account's one log group (the invitation acceptor's) likewise, under the artifacts' key
    dev = load("dev-account.yaml")
    (acceptor,) = of_type(dev, "AWS::Logs::LogGroup").values()
    assert acceptor["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["ArtifactKey", "Arn"]}
    assert acceptor["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert dev["Parameters"]["LogRetentionDays"]["Default"] == 365
    assert not of_type(load("workload-account.yaml"), "AWS::Logs::LogGroup")
    # the key lets CloudWatch Logs use it for these log groups only, and CloudWatch alarms for the topic
    key = {s["Sid"]: s for s in template["Resources"]["GovernanceKey"]["Properties"]["KeyPolicy"]["Statement"]
           if "Sid" in s}  # fmt: skip
    logs = key["LogsEncryptTheFunctionsLogs"]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert [arn["Fn::Sub"].split(":log-group:")[1] for arn in logs] == [
        "/aws/lambda/${AWS::StackName}-*", "/aws/apigateway/${AWS::StackName}-*",
        "/govsync/${AWS::StackName}/anchors"]  # fmt: skip
    assert key["AlarmsNotifyTheEncryptedTopic"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }
    pool = template["Resources"]["UserPool"]["Properties"]
    assert pool["DeletionProtection"] == "ACTIVE"


def test_every_suppressed_check_says_why_and_the_docs_list_it():
    """An exception to the serverless rules sits on its resource with its reason, and the docs name it."""
    docs = (ROOT / "docs" / "security.md").read_text()
    suppressed: dict[str, set[str]] = {}
    for name in TEMPLATES:
        lines = (ROOT / name).read_text().splitlines()
        for index, line in enumerate(lines):
            if "ignore_checks:" in line:
                assert lines[index - 1].strip().startswith("#"), f"{name}:{index + 1}: a suppression without its reason"
        for logical, resource in load(name)["Resources"].items():
            lint = resource.get("Metadata", {}).get("cfn-lint") or {}
            checks = lint.get("config", {}).get("ignore_checks", []) if isinstance(lint, dict) else []
            for check in checks:
                suppressed.setdefault(check, set()).add(logical)
    assert suppressed
    for check, resources in suppressed.items():
        row = next(line for line in docs.splitlines() if line.startswith(f"| `{check}`"))
        assert (check == "WS1004" and "every function" in row) or all(f"`{r}`" in row for r in resources), check


def test_the_api_writes_an_access_log_line_per_request():
    template = load("template.yaml")
    api = template["Resources"]["GovernanceApi"]["Properties"]
    setting = api["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["GovernanceApiAccessLogGroup", "Arn"]}
    line = json.loads(setting["Format"].replace("\n", ""))
    assert set(line) == {"requestId", "sub", "sourceIp", "method", "route", "status", "latencyMs", "time"}
    assert line["sub"] == "$context.authorizer.claims.sub"
    group = template["Resources"]["GovernanceApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"} and "KmsKeyId" in group
    account = template["Resources"]["ApiGatewayAccount"]
    assert account["Condition"] == "CreateApiGatewayLoggingRole" and account["DeletionPolicy"] == "Retain"


def test_snapstart_is_a_parameter_and_everything_invokes_the_published_alias():
    template = load("template.yaml")
    assert template["Parameters"]["SnapStart"]["Default"] == "false"
    function = template["Globals"]["Function"]
    assert function["AutoPublishAlias"] == "live"
    assert function["SnapStart"] == {"ApplyOn": {"Fn::If": ["UseSnapStart", "PublishedVersions", "None"]}}
    cfn = tpl.transformed(template, "us-east-1")["Resources"]
    mappings = [r["Properties"]["FunctionName"] for r in cfn.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert mappings and all(m["Ref"].endswith("Aliaslive") for m in mappings)
    schedules = [r["Properties"]["Target"]["Arn"] for r in cfn.values() if r["Type"] == "AWS::Scheduler::Schedule"]
    assert len(schedules) == 4 and all(s["Ref"].endswith("Aliaslive") for s in schedules)
    # the scheduler role may invoke the alias (a qualified ARN)
    role = template["Resources"]["SchedulerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert sum(r["Fn::Sub"].endswith(":*") for r in role["Resource"]) == 4


def test_anchors_are_write_once_under_compliance_lock_and_no_role_deletes_from_the_table():
    template = load("template.yaml")
    resources = template["Resources"]
    bucket = resources["AnchorBucket"]
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain" and props["ObjectLockEnabled"] is True
    assert props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {
        "Mode": "COMPLIANCE", "Years": {"Ref": "AnchorRetentionYears"}}  # fmt: skip
    assert template["Parameters"]["AnchorRetentionYears"]["Default"] == 10
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["GovernanceKey", "Arn"]}}  # fmt: skip
    policy = {s["Sid"]: s for s in resources["AnchorBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]}
    assert policy["TlsOnly"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert policy["WriteOnceOnly"]["Effect"] == "Deny"
    assert policy["WriteOnceOnly"]["Condition"] == {"Null": {"s3:if-none-match": "true"}}
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention"} <= set(policy["NoDeletes"]["Action"])
    # no role of the stack may delete a table item, or an anchor, or touch the lock
    for logical, role in of_type(template, "AWS::IAM::Role").items():
        actions = json.dumps(role["Properties"].get("Policies", []))
        for forbidden in ("dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:*", "s3:DeleteObject",
                          "s3:PutObjectRetention", "s3:BypassGovernanceRetention", '"s3:*"'):  # fmt: skip
            assert forbidden not in actions, (logical, forbidden)
    anchor_role = json.dumps(resources["AuditAnchorRole"]["Properties"]["Policies"])
    assert "dynamodb:PutItem" not in anchor_role and "dynamodb:UpdateItem" not in anchor_role
    table = resources["GovernanceTable"]["Properties"]
    assert table["DeletionProtectionEnabled"] is True
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_only_the_notifying_functions_read_the_webhook_secret_and_publish_notifications():
    template = load("template.yaml")
    notifying = {
        "RegistrySyncRole",
        "DeployFunctionRole",
        "DeploymentStatusRole",
        "MetricsAggregatorRole",
        "DueDatesRole",
    }
    readers, publishers = set(), set()
    for name, resource in of_type(template, "AWS::IAM::Role").items():
        for statement in statements(resource):
            if "secretsmanager:GetSecretValue" in actions(statement):
                assert statement["Resource"] == {"Ref": "WebhookSecret"}, name
                readers.add(name)
            if "sns:Publish" in actions(statement):
                assert statement["Resource"] == {
                    "Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]
                }
                publishers.add(name)
    assert readers == publishers == notifying
    assert not {a for s in statements(template) for a in actions(s) if a.startswith("secretsmanager:")} - {
        "secretsmanager:GetSecretValue"
    }


@pytest.mark.parametrize(
    ("function", "role", "variable", "own_queue", "dead_letter_queue"),
    [
        # an update under guardrails: its UPDATING report again, delayed, to read where the update is then
        ("DeploymentStatusFunction", "DeploymentStatusRole", "GOVSYNC_PROGRESS_QUEUE_URL", "EndpointEventsQueue",
         "EndpointEventsDLQ"),
        # a kick whose endpoint is being updated: its request again, delayed
        ("DeployFunction", "DeployFunctionRole", "GOVSYNC_DEPLOY_QUEUE_URL", "DeployRequestsQueue",
         "DeployRequestsDLQ"),
    ],
)  # fmt: skip
def test_a_function_that_sends_itself_a_message_for_later_may_send_only_there_and_to_dead_letter_queues(
    function, role, variable, own_queue, dead_letter_queue
):
    central = load("template.yaml")["Resources"]
    sends = [s for s in statements(central[role]["Properties"]["Policies"]) if "sqs:SendMessage" in actions(s)]
    assert {json.dumps(s["Resource"], sort_keys=True) for s in sends} == {
        json.dumps({"Fn::GetAtt": [queue, "Arn"]}) for queue in (own_queue, dead_letter_queue, "NotificationsDLQ")
    }
    assert central[function]["Properties"]["Environment"]["Variables"][variable] == {"Ref": own_queue}
