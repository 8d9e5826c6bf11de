"""Resource types moto's CloudFormation skips, created in the local AWS from the template's own
properties (queue, bucket and event bus policies, alarms, the Cognito user pool, client and groups,
secrets)."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from typing import Any

from govsync_local import people
from govsync_local import template as tpl


def apply_unsupported(
    cfn_doc: dict[str, Any], context: tpl.Context, client: Callable[[str], Any], log: Callable[[str], None]
) -> None:
    """Resource types moto's CloudFormation skips, created from the template's own properties."""
    # what others refer to first (a user pool before its client and groups, a secret before the roles
    # that may read it)
    first = {"AWS::Cognito::UserPool", "AWS::SecretsManager::Secret"}
    ordered = sorted(cfn_doc["Resources"].items(), key=lambda item: item[1]["Type"] not in first)
    for logical, resource in ordered:
        if "Condition" in resource and not context.condition(resource["Condition"]):
            continue
        props = tpl.resolve(resource.get("Properties", {}), context)
        match resource["Type"]:
            case "AWS::SQS::QueuePolicy":
                for queue_url in props["Queues"]:
                    client("sqs").set_queue_attributes(
                        QueueUrl=queue_url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
                    )
            case "AWS::S3::BucketPolicy":
                # kept whole; the moto extension evaluates only its unconditional statements
                client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"]))
            case "AWS::Events::EventBusPolicy":
                statement = {"Sid": props["StatementId"], **props["Statement"]}
                client("events").put_permission(
                    EventBusName=props.get("EventBusName", "default"),
                    Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
                )
            case "AWS::CloudWatch::Alarm":
                props.setdefault("AlarmName", f"{context.stack_name}-{logical}")
                client("cloudwatch").put_metric_alarm(**props)
            case "AWS::SecretsManager::Secret":
                context.refs[logical] = create_secret(client("secretsmanager"), secret_name(context, logical), props)
            case "AWS::Cognito::UserPool" | "AWS::Cognito::UserPoolClient" | "AWS::Cognito::UserPoolGroup":
                made = people.create_resource(client("cognito-idp"), resource["Type"], props)
                if made is not None:
                    context.refs[logical], arn = made
                    context.attributes[(logical, "Arn")] = arn


def secret_name(context: tpl.Context, logical: str) -> str:
    """A secret's name on the local stack (found again by it: `deployed.stack_context`)."""
    return f"{context.stack_name}-{logical}"


def create_secret(secrets: Any, name: str, props: dict[str, Any]) -> str:
    """The secret, its value generated as GenerateSecretString asks (letters and digits); its ARN."""
    spec = props.get("GenerateSecretString", {})
    alphabet = string.ascii_letters + string.digits + ("" if spec.get("ExcludePunctuation") else "!#$%&*+-=?@^_")
    value = props.get("SecretString") or "".join(
        random.SystemRandom().choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32)))
    )
    made = secrets.create_secret(Name=name, SecretString=value, Description=props.get("Description", ""))
    return str(made["ARN"])
