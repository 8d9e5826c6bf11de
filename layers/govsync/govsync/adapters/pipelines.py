"""CodePipeline in a stage's account (through its deploy role): one execution per deploy request."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters.aws import AssumedRoles, translate
from govsync.domain.promotion import Target


class CodePipelines:
    strategy = "codepipeline"

    def __init__(self, roles: AssumedRoles) -> None:
        self._roles = roles

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
