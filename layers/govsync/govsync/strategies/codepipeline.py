"""CodePipeline in a stage's account (through its deploy role): one execution per deploy request,
the package ARN, stage and account as pipeline variables."""

from __future__ import annotations

from typing import ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters.aws import translate
from govsync.domain.kicks import DeploySpec, KickResult
from govsync.domain.naming import sagemaker_name
from govsync.domain.package import PackageSnapshot
from govsync.domain.record_facts import TeardownResult
from govsync.domain.targets import StageTarget, Target
from govsync.strategies.base import Clients, base_spec, owned_by_the_team


class CodePipeline:
    name: ClassVar[str] = "codepipeline"

    def __init__(self, clients: Clients) -> None:
        self._roles = clients.roles

    @staticmethod
    def check_target(target: StageTarget) -> None:
        if not target.pipeline_name:
            raise ValueError("the codepipeline strategy needs pipeline_name")

    @staticmethod
    def spec(pkg: PackageSnapshot, target: Target) -> DeploySpec:
        """StartPipelineExecution's parameters."""
        return base_spec(
            pkg,
            target,
            {
                "name": target.pipeline_name,
                "variables": [
                    {"name": "ModelPackageArn", "value": pkg.arn},
                    {"name": "Stage", "value": target.stage},
                    {"name": "Account", "value": target.account},
                ],
                # the same request always gets the same token: a retried kick starts no second execution
                "clientRequestToken": sagemaker_name("govsync", pkg.group, pkg.version, target.stage, pkg.content_hash),
            },
        )

    def kick(self, target: Target, spec: DeploySpec) -> KickResult:
        pipelines = self._roles.client("codepipeline", target.role_arn, target.region, target.external_id)
        pipeline = str(spec.parameters["name"])
        try:
            started = pipelines.start_pipeline_execution(**spec.parameters)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "StartPipelineExecution", f"{pipeline} in {target.account}") from exc
        details = {"pipeline_name": pipeline, "pipeline_execution_id": str(started["pipelineExecutionId"])}
        return KickResult(role_arn=target.role_arn, details=details)

    def serving(self, target: Target, group: str) -> int | None:
        """The team's own pipeline owns the endpoint: the records say what it serves."""
        return None

    def tear_down(self, target: Target, group: str, version: int) -> TeardownResult:
        return owned_by_the_team(target)
