"""The governance API's use-case routes: list, show, record, advance or reject a use case."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from govsync.api.access import caller, decides_with_mfa, requires
from govsync.api.models import USE_CASE_ID, NewUseCase, UseCaseDecision
from govsync.domain.errors import Refused
from govsync.domain.people import MANAGE_USE_CASES, READ
from govsync.services.queries import order
from govsync.settings import ApiSettings, settings_for
from govsync.wiring import api as wiring

router = APIGatewayRouter()

# ---------------------------------------------------------------------------------------- use cases
UseCaseId = Annotated[str, Path(pattern=USE_CASE_ID)]


@router.get("/usecases", middlewares=[requires(READ)], summary="Every use case")
def list_use_cases() -> dict[str, Any]:
    return {"usecases": [u.to_json() for u in wiring.governance_store().use_cases()]}


@router.get("/usecases/<use_case_id>", middlewares=[requires(READ)], summary="A use case and its models' records")
def show_use_case(use_case_id: UseCaseId) -> dict[str, Any]:
    store = wiring.governance_store()
    use_case = store.load_use_case(use_case_id)
    if use_case is None:
        raise Refused(404, f"no use case {use_case_id!r}")
    records = sorted(store.records_by_use_case(use_case_id), key=order(settings_for(ApiSettings).stages))
    return {**use_case.to_json(), "models": [r.view({use_case_id: use_case.stage}) for r in records]}


@router.post(
    "/usecases", middlewares=[requires(MANAGE_USE_CASES), decides_with_mfa], summary="Record a use case (in POC)"
)
def create_use_case(body: NewUseCase) -> Response[dict[str, Any]]:
    use_case = wiring.use_case_lifecycle().record(
        caller(router), body.id, body.name, owner=body.owner, lob=body.lob, description=body.description or None
    )
    return Response(status_code=HTTPStatus.CREATED, content_type=content_types.APPLICATION_JSON,
                    body=use_case.to_json())  # fmt: skip


@router.post("/usecases/<use_case_id>/decisions", middlewares=[requires(MANAGE_USE_CASES), decides_with_mfa],
          summary="Advance a use case to its next stage, or reject it back one")  # fmt: skip
def decide_use_case(use_case_id: UseCaseId, body: UseCaseDecision) -> dict[str, Any]:
    lifecycle = wiring.use_case_lifecycle()
    return lifecycle.decide(
        caller(router), use_case_id, body.decision, body.comment, from_stage=body.from_stage
    ).to_json()
