"""CodePipeline in a stage's account (through its deploy role): one execution per deploy request,
the package ARN, stage and account as pipeline variables."""

from __future__ import annotations

from typing import Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters.aws import translate
from govsync.domain.naming import sagemaker_name
from govsync.domain.package import PackageSnapshot
from govsync.domain.targets import StageTarget, Target
from govsync.strategies.base import Clients, base_spec


class CodePipeline:
    name: ClassVar[str] = "codepipeline"

    def __init__(self, clients: Clients) -> None:
        self._roles = clients.roles

    @staticmethod
    def check_target(target: StageTarget) -> None:
        if not target.pipeline_name:
            raise ValueError("the codepipeline strategy needs pipeline_name")

    @staticmethod
    def spec(pkg: PackageSnapshot, target: Target) -> dict[str, Any]:
        return {
            **base_spec(pkg, target),
            "pipeline_name": target.pipeline_name,
            "variables": [
                {"name": "ModelPackageArn", "value": pkg.arn},
                {"name": "Stage", "value": target.stage},
                {"name": "Account", "value": target.account},
            ],
            # the same request always gets the same token: a retried kick starts no second execution
            "client_request_token": sagemaker_name("govsync", pkg.group, pkg.version, target.stage, pkg.content_hash),
        }

    def kick(self, target: Target, spec: dict[str, Any]) -> dict[str, Any]:
        pipelines = self._roles.client("codepipeline", target.role_arn, target.region, target.external_id)
        try:
            started = pipelines.start_pipeline_execution(
                name=spec["pipeline_name"],
                variables=spec["variables"],
                clientRequestToken=spec["client_request_token"],
            )
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "StartPipelineExecution", f"{spec['pipeline_name']} in {target.account}") from exc
        return {
            "pipeline_name": spec["pipeline_name"],
            "pipeline_execution_id": started["pipelineExecutionId"],
            "role_arn": target.role_arn,
        }

    def serving(self, target: Target, group: str) -> int | None:
        """The team's own pipeline owns the endpoint: the records say what it serves."""
        return None
