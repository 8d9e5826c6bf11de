"""Smoke test of what `sam build` produced: the built function and layer, in a Python that has only
what the Lambda runtime has (boto3), syncing a real event against a moto server.

Catches a layer that misses a dependency, or a function that imports local-only tooling.
Usage: python scripts/check_package.py RUNTIME_PYTHON   (run by `make package-check`)
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / ".aws-sam" / "build"
MB = 1_000_000
LAYER_LIMIT = 6 * MB  # zipped: what each function's cold start downloads
sys.path.insert(0, str(ROOT))

RUNNER = """
import json, sys
from app import handler

class Context:
    function_name = "govsync"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:111111111111:function:govsync"
    aws_request_id = "package-check"
    def get_remaining_time_in_millis(self):
        return 30000

event = json.load(open(sys.argv[1]))
sys.stdout.flush()
print("RESULT " + json.dumps(handler(event, Context())))
"""


def layer_build() -> ModuleType:
    """layers/govsync/build.py, the layer's build script (what it leaves to the runtime, its services)."""
    spec = importlib.util.spec_from_file_location("layer_build", ROOT / "layers" / "govsync" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def zipped_size(folder: Path) -> int:
    """The folder zipped as `sam deploy` uploads it (deflate), in bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return buffer.tell()


def layer_drift() -> dict[str, str]:
    """Packages whose version in the built layer differs from the lock (or is missing from it, other than
    the AWS SDK when the layer leaves it to the runtime)."""
    from packaging.utils import canonicalize_name

    locked = {}
    for line in (ROOT / "layers" / "govsync" / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==")
            locked[canonicalize_name(name.split("[")[0])] = version.strip()
    built = {}
    for info in (BUILD / "GovsyncLayer" / "python").glob("*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").rsplit("-", 1)
        built[canonicalize_name(name)] = version
    if "boto3" not in built:
        locked = {name: version for name, version in locked.items() if name not in layer_build().RUNTIME_SDK}
    return {
        name: f"lock {locked.get(name, '-')}, built {built.get(name, '-')}"
        for name in locked.keys() | built.keys()
        if locked.get(name) != built.get(name)
    }


def main() -> int:
    import tempfile

    import boto3
    from boto3.dynamodb.types import TypeDeserializer

    from govsync_local import template as tpl
    from govsync_local.fake_env import QUIET_ENV
    from govsync_local.invoke import sqs_event
    from govsync_local.server import moto_server

    runtime_python = os.path.abspath(sys.argv[1])  # not resolve(): that would leave the venv
    if not (BUILD / "template.yaml").exists():
        print("check-package: no .aws-sam/build (run sam build first)", file=sys.stderr)
        return 2
    if drift := layer_drift():
        print(f"check-package: the built layer differs from layers/govsync/requirements.txt: {drift}", file=sys.stderr)
        return 1
    layer_bytes = zipped_size(BUILD / "GovsyncLayer")
    if layer_bytes > LAYER_LIMIT:
        print(f"check-package: the layer is {layer_bytes / MB:.2f} MB zipped (limit 6)", file=sys.stderr)
        return 1
    os.environ.update(QUIET_ENV)
    with moto_server() as endpoint, tempfile.TemporaryDirectory() as tmp:
        kwargs = {"region_name": "us-east-1", "endpoint_url": endpoint}
        ddb, sqs, sm = (
            boto3.client("dynamodb", **kwargs),
            boto3.client("sqs", **kwargs),
            boto3.client("sagemaker", **kwargs),
        )
        template = tpl.load()
        table = "govsync-package-check"
        for definition in tpl.table_definitions(tpl.without_lambda(tpl.transformed(template))).values():
            ddb.create_table(TableName=table, **definition)
        dlq = sqs.create_queue(QueueName="package-check-dlq")["QueueUrl"]
        work = {name: sqs.create_queue(QueueName=f"package-check-{name}")["QueueUrl"]
                for name in ("ReconcileWorkQueue", "MetricsWorkQueue")}  # fmt: skip
        s3, kms = boto3.client("s3", **kwargs), boto3.client("kms", **kwargs)
        pool = boto3.client("cognito-idp", **kwargs).create_user_pool(PoolName="package-check")["UserPool"]["Id"]
        key_arn = kms.create_key()["KeyMetadata"]["Arn"]
        topic = boto3.client("sns", **kwargs).create_topic(Name="package-check-notifications")["TopicArn"]
        secrets = boto3.client("secretsmanager", **kwargs)
        secret = secrets.create_secret(Name="package-check-webhooks", SecretString="package-check")["ARN"]
        for bucket in ("package-check-dev", "package-check-central"):
            s3.create_bucket(Bucket=bucket)
        s3.create_bucket(Bucket="package-check-anchors", ObjectLockEnabledForBucket=True)
        boto3.client("logs", **kwargs).create_log_group(logGroupName="/govsync/package-check/anchors")
        s3.put_object(Bucket="package-check-dev", Key="model/model.tar.gz", Body=b"model" * 1000)
        sm.create_model_package_group(ModelPackageGroupName="fraud-detector")
        sm.create_model_package(
            ModelPackageGroupName="fraud-detector",
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={"Containers": [{"Image": "img",
                                                    "ModelDataUrl": "s3://package-check-dev/model/model.tar.gz"}],
                                    "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
            CustomerMetadataProperties={"ModelOwner": "alice"},
        )  # fmt: skip
        ctx = tpl.Context(
            template,
            "111111111111",
            "us-east-1",
            parameters={
                "AllowedArtifactBuckets": "package-check-dev",
                "StageTargets": json.dumps({"test": {"account": "333333333333"}}),
            },
            refs={"GovernanceTable": table, "RegistryEventsDLQ": dlq, "ArtifactBucket": "package-check-central",
                  "DeployRequestsQueue": "", "EndpointEventsQueue": "", "DeployRequestsDLQ": dlq,
                  "EndpointEventsDLQ": dlq, "ScheduledJobsDLQ": dlq, "UserPoolClient": "packagecheckclient",
                  "UserPool": pool,
                  "AnchorBucket": "package-check-anchors", "AnchorLogGroup": "/govsync/package-check/anchors",
                  "AlarmTopic": topic, "WebhookSecret": secret, "NotificationsDLQ": dlq, **work},
            attributes={("GovernanceKey", "Arn"): key_arn},
        )  # fmt: skip

        def run_built(function: str, event_file: str) -> dict | None:
            spec = tpl.function_specs(template)[function]
            env = {
                "PATH": os.environ["PATH"],
                **QUIET_ENV,
                **tpl.function_environment(spec, ctx),
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_LAMBDA_FUNCTION_NAME": function,
                "PYTHONPATH": f"{BUILD / 'GovsyncLayer' / 'python'}:{BUILD / function}",
                "PYTHONNOUSERSITE": "1",
                "PYTHONDONTWRITEBYTECODE": "1",  # /opt is read-only in Lambda: only the build's .pyc
            }
            run = subprocess.run(
                [runtime_python, "-I", "-c", f"import sys; sys.path[:0] = {env['PYTHONPATH'].split(':')!r}\n" + RUNNER,
                 str(ROOT / "events" / event_file) if not os.path.isabs(event_file) else event_file],
                env=env, capture_output=True, text=True, timeout=120, cwd="/",
            )  # fmt: skip
            result = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
            if run.returncode != 0 or not result:
                print(run.stdout[-3000:], run.stderr[-3000:], sep="\n", file=sys.stderr)
                print(f"check-package: the built {function} failed", file=sys.stderr)
                return None
            return json.loads(result[0].removeprefix("RESULT "))

        response = run_built("RegistrySyncFunction", "sqs-model-package-created.json")
        if response is None:
            return 1
        # the other functions load and answer with the layer only (nothing to deploy: a pending version)
        for function, event_file in (
            ("DeployFunction", "sqs-deploy-request.json"),
            ("DeploymentStatusFunction", "sqs-endpoint-in-service.json"),
        ):
            if run_built(function, event_file) != {"batchItemFailures": []}:
                return 1

        # the scheduled functions, on their schedules' input: the run planned onto the work queue, its items
        # done by the function as the queue hands them over; nothing live to measure, the version up to date
        def scheduled_run(function: str, event_file: str, queue: str) -> dict | None:
            planned = run_built(function, event_file)
            while planned and (messages := sqs.receive_message(QueueUrl=work[queue]).get("Messages")):
                for message in messages:
                    path = Path(tmp) / f"{message['MessageId']}.json"
                    path.write_text(json.dumps(sqs_event(message["Body"], queue_arn=None, region="us-east-1")))
                    if run_built(function, str(path)) != {"batchItemFailures": []}:
                        return None
                    sqs.delete_message(QueueUrl=work[queue], ReceiptHandle=message["ReceiptHandle"])
            if not planned:
                return None
            key = {"pk": {"S": f"RUN#{planned['job']}#{planned['run_id']}"}, "sk": {"S": "RUN"}}
            head = ddb.get_item(TableName=table, Key=key).get("Item", {})
            return TypeDeserializer().deserialize(head["summary"]) if "summary" in head else None

        aggregated = scheduled_run("MetricsAggregatorFunction", "schedule-metrics-aggregation.json", "MetricsWorkQueue")
        reconciled = scheduled_run("ReconcilerFunction", "schedule-reconcile.json", "ReconcileWorkQueue")
        if not aggregated or aggregated.get("failed") != 0 or not reconciled or reconciled.get("up_to_date") != 1:
            print(f"check-package: scheduled functions answered {aggregated} and {reconciled}", file=sys.stderr)
            return 1
        # the anchor: the version's chain head sealed into the Object Lock bucket, a copy in its log group
        anchored = run_built("AuditAnchorFunction", "schedule-audit-anchor.json")
        if not anchored or anchored.get("versions") != 1 or anchored.get("findings") != []:
            print(f"check-package: AuditAnchorFunction answered {anchored}", file=sys.stderr)
            return 1
        # the due dates: the version's waiting stage counted (a reminder is not due yet), nothing failed
        dated = run_built("DueDatesFunction", "schedule-due-dates.json")
        if not dated or dated.get("failed") != 0 or dated.get("waiting", 0) < 1:
            print(f"check-package: DueDatesFunction answered {dated}", file=sys.stderr)
            return 1
        # the governance API: a viewer's GET /records as API Gateway hands it over, the record listed
        listed = run_built("GovernanceApiFunction", "api-get-records.json")
        body = json.loads(listed["body"]) if listed and listed.get("statusCode") == 200 else {}
        if [r["model_version"] for r in body.get("records", [])] != [1]:
            print(f"check-package: GovernanceApiFunction answered {listed}", file=sys.stderr)
            return 1
        # an approver's GET /me: whether her decisions need MFA, asked of the pool (DeciderMfa=required)
        me_event = json.loads((ROOT / "events" / "api-get-records.json").read_text())
        me_event.update(resource="/me", path="/me", queryStringParameters=None, multiValueQueryStringParameters=None)
        me_event["requestContext"].update(resourcePath="/me", path="/v1/me")
        me_event["requestContext"]["authorizer"]["claims"].update(
            {"cognito:username": "olivia", "email": "olivia@example.com", "cognito:groups": "approvers"}
        )
        (Path(tmp) / "api-get-me.json").write_text(json.dumps(me_event))
        me = run_built("GovernanceApiFunction", str(Path(tmp) / "api-get-me.json"))
        if not me or json.loads(me.get("body") or "{}").get("mfa") != {"required": True, "set_up": False}:
            print(f"check-package: GET /me answered {me}", file=sys.stderr)
            return 1
        # and the dashboard's page, from the built layer's web files (a public route: no claims)
        page = run_built("GovernanceApiFunction", "api-get-dashboard.json")
        if not page or page.get("statusCode") != 200 or 'src="app.js"' not in page.get("body", ""):
            print(f"check-package: the dashboard's page answered {page}", file=sys.stderr)
            return 1
        item = ddb.get_item(
            TableName=table, Key={"pk": {"S": "MODEL#fraud-detector#1"}, "sk": {"S": "V#STAGE#development"}}
        )
        status = item.get("Item", {}).get("artifact_status", {}).get("S")
        if response != {"batchItemFailures": []} or status != "copied":
            print(f"check-package: unexpected result {response}, artifact status: {status}", file=sys.stderr)
            return 1
    print(
        "check-package: the sam build output synced an event and copied its artifact, and the deploy, "
        "deployment status, metrics aggregator, reconciler, audit anchor, due dates and governance API functions "
        "answered (an approver's MFA asked of the user pool), and the dashboard's page was served, with the layer "
        f"only (built exactly as locked; {layer_bytes / MB:.2f} MB zipped): ok"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
