"""What a deployed local stack is: its resources resolved for the template, and `local info`."""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from typing import Any

from govsync_cli.cloudformation import parameter_value
from govsync_local import notifications, people
from govsync_local import template as tpl
from govsync_local.accounts import REGION, Accounts, LocalStackError, client, dev_bucket_name


def stack_context(
    endpoint: str,
    accounts: Accounts,
    stack_name: str,
    parameters: dict[str, str],
    template: dict[str, Any] | None = None,
    account: str | None = None,
) -> tpl.Context:
    """Resolve Ref/GetAtt of the deployed stack's resources by asking the local endpoint (the central
    stack from template.yaml, or `template`'s stack in `account`)."""
    account = account or accounts.central
    cfn = client("cloudformation", endpoint, account, accounts)
    try:
        summaries = cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    except Exception as exc:
        raise LocalStackError(f"no stack {stack_name!r} at {endpoint}: is the local stack running?") from exc
    ctx = tpl.Context(
        template=template or tpl.load(), account_id=account, region=REGION, stack_name=stack_name, parameters=parameters
    )
    sqs, ddb, events = (client(service, endpoint, account, accounts) for service in ("sqs", "dynamodb", "events"))
    for summary in summaries:
        logical, physical, kind = summary["LogicalResourceId"], summary["PhysicalResourceId"], summary["ResourceType"]
        ctx.refs[logical] = physical
        match kind:
            case "AWS::SQS::Queue":
                name = physical.rsplit("/", 1)[-1]
                physical = ctx.refs[logical] = sqs.get_queue_url(QueueName=name)["QueueUrl"]  # on this endpoint
                ctx.attributes[(logical, "Arn")] = sqs.get_queue_attributes(
                    QueueUrl=physical, AttributeNames=["QueueArn"]
                )["Attributes"]["QueueArn"]
                ctx.attributes[(logical, "QueueName")] = physical.rsplit("/", 1)[-1]
            case "AWS::DynamoDB::Table":
                ctx.attributes[(logical, "Arn")] = ddb.describe_table(TableName=physical)["Table"]["TableArn"]
            case "AWS::Events::Rule":
                ctx.attributes[(logical, "Arn")] = events.describe_rule(Name=physical)["Arn"]
            case "AWS::KMS::Key":
                ctx.attributes[(logical, "Arn")] = f"arn:aws:kms:{REGION}:{account}:key/{physical}"
            case "AWS::IAM::Role":
                ctx.attributes[(logical, "Arn")] = f"arn:aws:iam::{account}:role/{physical}"
            case "AWS::Logs::LogGroup":
                ctx.attributes[(logical, "Arn")] = f"arn:aws:logs:{REGION}:{account}:log-group:{physical}:*"
            case "AWS::S3::Bucket":
                ctx.attributes[(logical, "Arn")] = f"arn:aws:s3:::{physical}"
    secrets = client("secretsmanager", endpoint, account, accounts)
    for logical, resource in ctx.template["Resources"].items():
        if resource["Type"] == "AWS::SecretsManager::Secret" and logical not in ctx.refs:  # moto's CFN skips them
            with contextlib.suppress(Exception):  # not created (a condition left it out)
                ctx.refs[logical] = secrets.describe_secret(SecretId=f"{stack_name}-{logical}")["ARN"]
        if resource["Type"] == "AWS::Serverless::Function" and logical not in ctx.refs:
            name = resource.get("Properties", {}).get("FunctionName")
            ctx.refs[logical] = str(tpl.resolve(name, ctx)) if name else logical
    if account == accounts.central:
        people.find_resources(client("cognito-idp", endpoint), ctx)  # moto's CloudFormation skips them
    return ctx


def deployed_stack(
    endpoint: str, accounts: Accounts, stack_name: str = "govsync"
) -> tuple[dict[str, Any], tpl.Context]:
    """The running local stack's description, and a context resolving the template against it."""
    try:
        stack = client("cloudformation", endpoint).describe_stacks(StackName=stack_name)["Stacks"][0]
    except Exception as exc:
        raise LocalStackError(
            f"no local stack at {endpoint} (start it with `make up` or `govsync local up`): {exc}"
        ) from exc
    parameters = {p["ParameterKey"]: parameter_value(p["ParameterValue"]) for p in stack.get("Parameters", [])}
    return stack, stack_context(endpoint, accounts, stack_name, parameters)


def info(endpoint: str, accounts: Accounts | None = None, stack_name: str = "govsync") -> dict[str, Any]:
    """What `govsync local info --json` prints: where everything of the running local stack is."""
    accounts = accounts or Accounts.from_env()
    stack, ctx = deployed_stack(endpoint, accounts, stack_name)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    queues = {}
    for logical, spec in tpl.function_specs(ctx.template).items():
        queue_logical = spec.queue_logical_id
        if queue_logical is None:
            continue
        redrive = ctx.template["Resources"][queue_logical]["Properties"].get("RedrivePolicy", {})
        dlq_logical = redrive.get("deadLetterTargetArn", {}).get("Fn::GetAtt", [None])[0]
        queues[logical] = {"queue_url": ctx.refs[queue_logical], "dlq_url": ctx.refs.get(dlq_logical)}
    return {
        "endpoint_url": endpoint,
        "region": REGION,
        "stack_name": stack_name,
        "accounts": asdict(accounts),
        "dev_bucket": dev_bucket_name(accounts),
        "central_bucket": outputs.get("ArtifactBucketName"),
        "governance_table": outputs.get("GovernanceTableName"),
        "queues": queues,
        # a queue subscribed to the notifications topic (raw messages: one notification each)
        "notifications_queue": notifications.queue_url(endpoint),
        # the API's and the dashboard's URLs, the user pool and the demo users, as the stack published them
        **people.published(client("secretsmanager", endpoint)),
    }
