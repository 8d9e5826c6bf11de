"""The embedded local AWS: a moto server, the real template deployed into it, SageMaker's events,
and Lambda's SQS event-source mapping played in-process.

Everything here is the local stack's; the functions run unchanged against it through
AWS_ENDPOINT_URL, exactly as they would against AWS.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from govsync_local import motoext, notifications, people
from govsync_local import template as tpl
from govsync_local.accounts import (
    CREDENTIALS,
    LINEAGE_ROLE,
    REGION,
    Accounts,
    LocalStackError,
    client,
    dev_bucket_name,
    stack_parameters,
)
from govsync_local.deployed import stack_context
from govsync_local.emitter import SageMakerEventEmitter
from govsync_local.poller import QueuePoller
from govsync_local.state import StateError, StateStore
from govsync_local.unsupported import apply_unsupported
from govsync_local.webhooks import WebhookReceiver

DEFAULT_PORT = 5050
WORKLOAD_TEMPLATE = tpl.ROOT / "workload-account.yaml"
WORKLOAD_STACK = "govsync-workload"
DEV_TEMPLATE = tpl.ROOT / "dev-account.yaml"
DEV_STACK = "govsync-dev"


class LocalStack:
    """A moto server with the stack deployed, SageMaker's events emitted and the functions polled."""

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        accounts: Accounts | None = None,
        stack_name: str = "govsync",
        duplicate_events: bool = False,
        log: Callable[[str], None] = print,
        api_port: int | None = None,
        state: StateStore | None = None,
        fresh: bool = False,
        stage_targets: dict[str, dict[str, object]] | None = None,
    ) -> None:
        self.port = port
        self.api_port = port + 1 if api_port is None else api_port  # port+1 taken: any free one
        self._api_port_given = api_port is not None
        self.accounts = accounts or Accounts.from_env()
        self.stack_name = stack_name
        self.endpoint = f"http://127.0.0.1:{port}"
        self.duplicate_events = duplicate_events
        lock = threading.Lock()

        def one_line_at_a_time(line: str) -> None:  # the pollers, the printer and the receiver log at once
            with lock:
                log(line)

        self.log = one_line_at_a_time
        self._server: Any = None
        self._pollers: list[QueuePoller] = []
        self._api: Any = None
        self._printer: notifications.NotificationPrinter | None = None
        self.webhooks = WebhookReceiver(self.log)  # bound now: its URL is a parameter of the stack
        self._stopping = threading.Event()
        self.state = state  # None: in memory only (what tests and scans start)
        self.fresh = fresh
        self.restored = False
        self.stage_targets = stage_targets  # None: the local chain's (accounts.stage_targets)

    @property
    def parameters(self) -> dict[str, str]:
        chosen = {"StageTargets": json.dumps(self.stage_targets)} if self.stage_targets else {}
        return {**stack_parameters(self.accounts), "Webhooks": json.dumps({"*": [self.webhooks.url]}), **chosen}

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise LocalStackError(f"port {self.port} is in use (set GOVSYNC_LOCAL_PORT or --port)")
        os.environ.pop("MOTO_ACCOUNT_ID", None)  # it would pin assumed roles to one account too
        os.environ["MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"] = "true"  # MFA codes are checked, as Cognito does
        os.environ["AWS_DEFAULT_REGION"] = REGION
        os.environ.setdefault("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
        motoext.install()
        motoext.set_default_account(self.accounts.central)
        from moto.server import ThreadedMotoServer

        # Quiet console: no per-request lines, no warnings for the resource types created below.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        logging.getLogger("moto").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)

        if self.state is not None and self.fresh:
            self.state.clear()
        self.restored = self.state is not None and self.state.exists()
        if self.restored:
            assert self.state is not None
            try:
                self.state.restore()  # before the server takes its first request
            except StateError as exc:
                raise LocalStackError(str(exc)) from exc
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        started = time.monotonic()
        if self.restored:
            self.context = stack_context(self.endpoint, self.accounts, self.stack_name, self.parameters)
            self.log(f"restored the local state from {self.state.path if self.state else ''} (--fresh starts empty)")
        else:
            self.deploy()
            self.log(f"deployed template.yaml as stack {self.stack_name!r} ({time.monotonic() - started:.1f}s)")
        emitter = SageMakerEventEmitter(duplicate=self.duplicate_events)
        motoext.on_model_package_change(emitter.model_package_changed)
        motoext.on_endpoint_change(emitter.endpoint_changed)
        self.start_pollers()
        self.start_notifications()
        self.start_api()
        if self.state is not None:  # only a stack that started whole is saved
            self.state.save()
            self.state.start_saving(self.log)

    def deploy(self) -> None:
        template = tpl.load()
        cfn_doc = tpl.without_lambda(tpl.transformed(template, REGION))
        cfn = client("cloudformation", self.endpoint)
        cfn.create_stack(
            StackName=self.stack_name,
            TemplateBody=json.dumps(cfn_doc),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in self.parameters.items()],
            Capabilities=["CAPABILITY_IAM"],
        )
        stack = cfn.describe_stacks(StackName=self.stack_name)["Stacks"][0]
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise LocalStackError(f"stack {self.stack_name}: {stack['StackStatus']} {stack.get('StackStatusReason')}")
        self.context = stack_context(self.endpoint, self.accounts, self.stack_name, self.parameters)
        apply_unsupported(cfn_doc, self.context, lambda service: client(service, self.endpoint), self.log)
        central = cfn.describe_stacks(StackName=self.stack_name)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in central.get("Outputs", [])}
        for account in (self.accounts.test, self.accounts.prod):
            self.deploy_workload(account, outputs)
        self.deploy_dev(outputs)

    def deploy_dev(self, outputs: dict[str, str]) -> None:
        """dev-account.yaml in the dev account: the artifact bucket and key the central sync reads."""
        parameters = {
            "CentralAccountId": self.accounts.central,
            "CentralRegistrySyncRoleArn": outputs["RegistrySyncRoleArn"],
            "LineageReadRoleName": LINEAGE_ROLE,
            "LineageDatasetBuckets": dev_bucket_name(self.accounts),
        }
        self._create_account_stack(self.accounts.dev, DEV_STACK, DEV_TEMPLATE, parameters)

    def deploy_workload(self, account: str, outputs: dict[str, str]) -> None:
        """workload-account.yaml in a stage account (`outputs`: the central stack's): deploy role,
        execution role, event forwarding, metrics read role."""
        parameters = {
            "CentralAccountId": self.accounts.central,
            "CentralDeployRoleArn": outputs["DeployFunctionRoleArn"],
            "CentralArtifactBucket": outputs["ArtifactBucketName"],
            "CentralKeyArn": outputs["GovernanceKeyArn"],
            "ModelArtifactBuckets": dev_bucket_name(self.accounts),
            "CentralMetricsRoleArn": outputs["MetricsAggregatorRoleArn"],
            "CentralStatusRoleArn": outputs["DeploymentStatusRoleArn"],
        }
        self._create_account_stack(account, WORKLOAD_STACK, WORKLOAD_TEMPLATE, parameters)

    def _create_account_stack(self, account: str, name: str, template: Path, parameters: dict[str, str]) -> None:
        """One of the account templates, created in `account` as its CloudFormation would."""
        cfn = client("cloudformation", self.endpoint, account, self.accounts)
        cfn.create_stack(
            StackName=name,
            TemplateBody=template.read_text(),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise LocalStackError(
                f"{template.name} in {account}: {stack['StackStatus']} {stack.get('StackStatusReason')}"
            )
        # what moto's CloudFormation skips (queue and bucket policies, alarms), from the template's own properties
        context = stack_context(self.endpoint, self.accounts, name, parameters, tpl.load(str(template)), account)
        apply_unsupported(
            context.template, context, lambda service: client(service, self.endpoint, account, self.accounts), self.log
        )
        self.log(f"deployed {template.name} in account {account}")

    def function_env(self, spec: tpl.FunctionSpec) -> dict[str, str]:
        """The environment Lambda would give the function, on the local endpoint."""
        return {
            **tpl.function_environment(spec, self.context),
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            **{k.upper(): v for k, v in CREDENTIALS.items()},
            "AWS_LAMBDA_FUNCTION_NAME": str(self.context.refs.get(spec.logical_id, spec.logical_id)),
            "POWERTOOLS_TRACE_DISABLED": "true",
        }

    def start_api(self) -> None:
        """The governance API on 127.0.0.1, behind the local Cognito authorizer, with the demo's people."""
        from govsync_local.api_gateway import CognitoAuthorizer, LocalApiGateway

        specs = [s for s in tpl.function_specs(self.context.template).values() if s.routes]
        if not specs:
            return
        pool_id, client_id = self.context.refs["UserPool"], self.context.refs["UserPoolClient"]
        authorizer = CognitoAuthorizer(self.endpoint, REGION, pool_id, (client_id,))
        # the dashboard signs in against the local Cognito (the browser calls it, as it would AWS's)
        env = {**self.function_env(specs[0]), "GOVSYNC_COGNITO_ENDPOINT": self.endpoint}
        try:
            self._api = LocalApiGateway(specs[0], env, authorizer, self.api_port, self.log)
        except OSError as exc:
            if self._api_port_given:
                raise LocalStackError(f"governance API port {self.api_port} is in use ({exc})") from exc
            self._api = LocalApiGateway(specs[0], env, authorizer, 0, self.log)
        self._api.start()
        secrets = client("secretsmanager", self.endpoint)
        users = people.published(secrets).get("users") if self.restored else None
        if not users:
            users = people.create(client("cognito-idp", self.endpoint), pool_id, client_id)
        people.publish(secrets, self._api.url, pool_id, client_id, users, self.webhooks.url)
        self.log(f"governance API on {self._api.url} ({len(users)} demo users: govsync local info --json)")
        self.log(f"dashboard on {self._api.url}{people.DASHBOARD_PATH}")

    def start_notifications(self) -> None:
        """Queues subscribed to the notifications topic; each notification printed as a line."""
        topic = notifications.topic_arn(self.endpoint, self.stack_name)
        if topic is None:
            return
        urls = notifications.subscribe(self.endpoint, topic)
        self._printer = notifications.NotificationPrinter(self.endpoint, urls[notifications.PRINTED], self.log)
        self._printer.start()
        self.webhooks.start(notifications.webhook_secret(self.endpoint, self.context.refs["WebhookSecret"]))
        self.log(f"webhooks: every notification POSTed, signed, to {self.webhooks.url} (verified there)")

    def start_pollers(self) -> None:
        for spec in tpl.function_specs(self.context.template).values():
            queue = spec.queue_logical_id
            if queue is None:
                continue
            queue_url, queue_arn = self.context.refs[queue], self.context.attributes[(queue, "Arn")]
            env = self.function_env(spec)
            poller = QueuePoller(spec, queue_url, queue_arn, env, client("sqs", self.endpoint), self.log)
            poller.start()
            self._pollers.append(poller)

    def stop(self) -> None:
        if self._printer is not None:
            self._printer.stop()
            self._printer = None
        self.webhooks.stop()
        if self._api is not None:
            self._api.stop()
            self._api = None
        for poller in self._pollers:
            poller.stop()
        if self.state is not None and self.state.saved_at is not None and self._server is not None:
            self.state.stop_saving()
            try:
                self.state.save()
                self.log(f"saved the local state in {self.state.path}")
            except Exception as exc:
                self.log(f"saving the local state failed: {type(exc).__name__}: {exc}")
        if self._server is not None:
            self._server.stop()
            self._server = None
        motoext.clear_listeners()

    def run_forever(self) -> None:
        """Serve until Ctrl-C or SIGTERM (handlers installed even where SIGINT was inherited ignored)."""

        def request_stop(signum: int, _frame: Any) -> None:
            self.log(f"stopping ({signal.Signals(signum).name})")
            self._stopping.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, request_stop)
        try:
            while not self._stopping.wait(0.5):
                pass
        finally:
            self.stop()
            self.log("stopped")
