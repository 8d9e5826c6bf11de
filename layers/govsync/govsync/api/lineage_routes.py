"""The governance API's lineage route: which versions were built from a dataset, a commit, a training
job or an MLflow run, with their stages and status."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from govsync.api.access import known_stage, requires
from govsync.domain.errors import Refused
from govsync.domain.lineage_keys import QUERY_KINDS, BadLineageQuery, LineageKey
from govsync.domain.people import READ
from govsync.services.queries import built_from
from govsync.settings import ApiSettings, settings_for
from govsync.wiring import api as wiring

router = APIGatewayRouter()

Value = Annotated[str | None, Query(max_length=2048)]


@router.get("/lineage", middlewares=[requires(READ)], summary="Versions built from a dataset, commit, job or run")
def lineage(
    dataset: Value = None,
    commit: Value = None,
    training_job: Value = None,
    mlflow_run: Value = None,
    stage: Annotated[str | None, Query(max_length=63, description="only versions with a record here")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    given = {kind: value for kind, value in zip(QUERY_KINDS, (dataset, commit, training_job, mlflow_run), strict=True)
             if value is not None}  # fmt: skip
    if len(given) != 1:
        names = ", ".join(k.replace("-", "_") for k in QUERY_KINDS)
        raise Refused(400, f"give exactly one of {names}")
    settings = settings_for(ApiSettings)
    if stage is not None:
        known_stage(settings, stage)
    ((kind, value),) = given.items()
    try:
        key = LineageKey.of(kind, value)
    except BadLineageQuery as exc:
        raise Refused(400, f"{kind.replace('-', '_')}: {exc}") from None
    versions, truncated = built_from(wiring.governance_store(), key, settings.stages, stage, limit)
    return {
        "query": {"kind": key.kind, "value": key.value, "stage": stage},
        "versions": [v.to_json() for v in versions],
        "truncated": truncated,
    }
