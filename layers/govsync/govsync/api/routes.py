"""The governance API (Powertools REST resolver, request validation, OpenAPI at /openapi.json).

Every route is behind API Gateway's Cognito user pool authorizer; each one also checks the caller's
groups (`requires`). Errors are `{"message": ...}`: 400 invalid input naming the field, 401 no
valid token, 403 with the reason, 404 unknown ids, 409 a stale or repeated decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BeforeValidator

from govsync import __version__
from govsync.api import dashboard, lineage_routes, use_case_routes
from govsync.api.access import (
    SIGNED_IN,
    Answer,
    caller,
    decides_with_mfa,
    known_stage,
    message,
    requires,
    with_security_headers,
)
from govsync.api.models import GROUP_NAME, USE_CASE_ID, RetirementRequest, ReviewDecision, StageDecision
from govsync.domain.errors import Refused
from govsync.domain.export import BLOG_ATTRIBUTES
from govsync.domain.people import DECIDE, EXPORT, PERMISSIONS, READ
from govsync.observability import capture_lambda_handler, logger, metrics
from govsync.services.export import against_latest_anchor
from govsync.services.queries import RecordFilter, audit_trail, find_records, order, page
from govsync.settings import ApiSettings, settings_for
from govsync.wiring import api as wiring

app = APIGatewayRestResolver(enable_validation=True)
app.include_router(dashboard.router)
app.include_router(use_case_routes.router)
app.include_router(lineage_routes.router)
TITLE = "govsync governance API"


def invalid(exc: RequestValidationError) -> Answer:
    """400 naming each field that is wrong."""
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header"))
        problems.append(f"{where or 'body'}: {str(error.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return message(400, "invalid request: " + "; ".join(problems))


def refused(exc: Refused) -> Answer:
    return message(exc.status, exc.reason)


# Powertools' exception_handler decorator is untyped: registered by a call, the handlers keep their types
app.exception_handler(RequestValidationError)(invalid)
app.exception_handler(Refused)(refused)


def unsupported(exc: RequestUnsupportedContentType) -> Answer:
    """415 in the API's one shape, naming what to send."""
    sent = (app.current_event.headers or {}).get("Content-Type") or (app.current_event.headers or {}).get(
        "content-type") or "none"  # fmt: skip
    return message(415, f"Content-Type: send application/json, not {sent[:80]}")


app.exception_handler(RequestUnsupportedContentType)(unsupported)


@app.not_found
def unknown_route(_exc: Exception) -> Answer:
    return message(404, f"no route {app.current_event.http_method} {app.current_event.path}")


# ---------------------------------------------------------------------------------------- records
Stage = Annotated[str, Path(description="A stage of the chain, e.g. development, test, production")]
Group = Annotated[str, Path(pattern=GROUP_NAME, description="Model package group name")]


def version_digits(value: object) -> object:
    """A version as its path writes it: digits only (`%201` or `+1` is not version 1)."""
    if (isinstance(value, str) and not value.isascii()) or (isinstance(value, str) and not value.isdigit()):
        raise ValueError("a model package version is a whole number written in digits")
    return value


Version = Annotated[int, BeforeValidator(version_digits), Path(ge=1, le=9_999_999_999,
                                                                 description="Model package version")]  # fmt: skip


@app.get("/records", middlewares=[requires(READ)], summary="Stage records, filtered, a page at a time")
def list_records(
    stage: Annotated[str | None, Query()] = None,
    status: Annotated[Literal["pending", "approved", "rejected", "retired"] | None, Query()] = None,
    group: Annotated[str | None, Query(pattern=GROUP_NAME)] = None,
    use_case: Annotated[str | None, Query(pattern=USE_CASE_ID)] = None,
    risk: Annotated[str | None, Query(max_length=64)] = None,
    account: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    next: Annotated[str | None, Query(max_length=512, description="The cursor a previous page returned")] = None,
) -> dict[str, Any]:
    settings = settings_for(ApiSettings)
    if stage is not None:
        known_stage(settings, stage)
    store = wiring.governance_store()
    wanted = RecordFilter(stage=stage, status=status, group=group, use_case=use_case, risk=risk, account=account)
    records, cursor = page(find_records(store, settings.stages, wanted), settings.stages, limit, next)
    use_cases = store.use_case_stages(r.use_case_id for r in records if r.use_case_id)
    return {"records": [r.view(use_cases) for r in records], "next": cursor}


@app.get("/models/<group>/versions/<version>", middlewares=[requires(READ)], summary="A version's stage records")
def show_version(group: Group, version: Version) -> dict[str, Any]:
    store = wiring.governance_store()
    state = store.load_version(group, version)
    if not state.records:
        raise Refused(404, f"no governance record for {group} version {version}")
    records = sorted(state.records.values(), key=order(settings_for(ApiSettings).stages))
    use_cases = store.use_case_stages(r.use_case_id for r in records if r.use_case_id)
    views = [r.view(use_cases) for r in records]
    return {
        "model_group": group,
        "model_version": version,
        "model_package_arn": records[0].model_package_arn,
        "artifacts": [a.to_json() for a in records[0].artifacts],
        "model_validation_metrics": records[0].model_validation_metrics,
        "stages": {v["model_stage"]: v for v in views},
        "audit_head": {"seq": state.audit_seq, "hash": state.audit_head},
        "attributes": list(BLOG_ATTRIBUTES),  # the governance attributes, in the order people read them
    }


@app.get("/models/<group>/versions/<version>/audit", middlewares=[requires(READ)], summary="The audit trail")
def version_audit(group: Group, version: Version) -> dict[str, Any]:
    trail = audit_trail(wiring.governance_store(), group, version)
    if not trail.exists:
        raise Refused(404, f"no audit trail for {group} version {version}")
    verdict = trail.verdict
    return {
        "model_group": group,
        "model_version": version,
        "entries": [{**e.payload(), "hash": e.hash} for e in trail.entries],
        "verification": {"verified": verdict.ok, "entries_checked": verdict.checked,
                         "broken_seq": verdict.broken_seq, "reason": verdict.reason},
        "head": {"seq": trail.head_seq, "hash": trail.head_hash},
        # the chain against the latest anchor outside the table (null: the stack keeps none)
        "anchored": against_latest_anchor(wiring.exporter().anchors, group, version, trail.entries),
    }  # fmt: skip


@app.get("/models/<group>/versions/<version>/metrics", middlewares=[requires(READ)],
         summary="A deployed stage's monitoring metrics over time, with its alert thresholds")  # fmt: skip
def version_metrics(
    group: Group,
    version: Version,
    stage: Annotated[str, Query(description="The deployed stage, e.g. production")],
    days: Annotated[int, Query(ge=1, le=400, description="How far back (the history keeps its configured days)")] = 7,
) -> dict[str, Any]:
    settings = settings_for(ApiSettings)
    known_stage(settings, stage)
    if not wiring.governance_store().load_version(group, version).records:
        raise Refused(404, f"no governance record for {group} version {version}")
    since = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    points = wiring.governance_store().metrics_history(group, version, stage, since)
    thresholds = settings.monitoring_thresholds.get(stage)
    return {
        "model_group": group,
        "model_version": version,
        "stage": stage,
        "since": since,
        "kept_days": settings.metrics_history_days,
        "thresholds": thresholds.model_dump(exclude_none=True) if thresholds else {},
        "points": [p.to_json() for p in points],
    }


@app.get("/models/<group>/versions/<version>/gates", middlewares=[requires(READ)],
         summary="What the policy gates say now of deploying the version into a stage (no change)")  # fmt: skip
def version_gates(
    group: Group,
    version: Version,
    stage: Annotated[str | None, Query(description="A stage deployed into (default: the next one)")] = None,
) -> dict[str, Any]:
    return wiring.gate_queries().check(group, version, stage)


# ---------------------------------------------------------------------------------------- people
@app.get("/me", middlewares=[requires(SIGNED_IN)], summary="Who is signed in and what their groups let them do")
def me() -> dict[str, Any]:
    person = caller(app)
    users = wiring.decider_mfa()
    set_up = users.has_mfa(person.username) if users is not None and person.may(DECIDE) else None
    return {
        "username": person.username,
        "name": person.name,
        "email": person.email,
        "groups": sorted(person.groups),
        "permissions": sorted(p for p in PERMISSIONS if person.may(p)),
        # whether this person's decisions need MFA, and whether they have it (asked of deciders only)
        "mfa": {"required": users is not None, "set_up": set_up},
    }


# ---------------------------------------------------------------------------------------- decisions
@app.get("/approvals/pending", middlewares=[requires(READ)], summary="Stage records awaiting a decision")
def pending() -> dict[str, Any]:
    return {"pending": wiring.decisions().pending()}


@app.post(
    "/models/<group>/versions/<version>/stages/<stage>/decisions",
    middlewares=[requires(DECIDE), decides_with_mfa],
    summary="Approve or reject a stage (made in the registry; the record follows its event)",
    responses={202: {"description": "Stored: collected (more approvers needed) or sent to the registry"}},
)
def decide_stage(
    group: Group,
    version: Version,
    stage: Stage,
    body: StageDecision,
    if_match: Annotated[str | None, Header(alias="if-match", description="The record's registry_last_modified")] = None,
) -> Response[dict[str, Any]]:
    result = wiring.decisions().decide(caller(app), group, version, stage, body.decision, body.comment, if_match)
    return Response(status_code=HTTPStatus.ACCEPTED, content_type=content_types.APPLICATION_JSON, body=result)


@app.post(
    "/models/<group>/versions/<version>/reviews",
    middlewares=[requires(DECIDE), decides_with_mfa],
    summary="Record a periodic review of a version live in the last stage (sets its next due date)",
)
def review_version(group: Group, version: Version, body: ReviewDecision) -> dict[str, Any]:
    return wiring.reviews().review(caller(app), group, version, body.comment)


@app.post(
    "/models/<group>/versions/<version>/stages/<stage>/retirement",
    middlewares=[requires(DECIDE), decides_with_mfa],
    summary="Retire a stage of a version: its endpoint torn down in the stage's account while it serves the version",
    responses={202: {"description": "Retired; the teardown is asked of the deploy function (the record follows)"}},
)
def retire_stage(group: Group, version: Version, stage: Stage, body: RetirementRequest) -> Response[dict[str, Any]]:
    result = wiring.retirements().retire(caller(app), group, version, stage, body.comment)
    return Response(status_code=HTTPStatus.ACCEPTED, content_type=content_types.APPLICATION_JSON, body=result)


# ---------------------------------------------------------------------------------------- evidence
@app.get("/export", middlewares=[requires(EXPORT)], summary="The auditor's pack (json) or inventory (csv)")
def export(
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    start: Annotated[str | None, Query(alias="from", max_length=40, description="ISO 8601, inclusive")] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40, description="ISO 8601, exclusive")] = None,
) -> Response[Any]:
    exporter = wiring.exporter()
    if format == "csv":
        return Response(
            status_code=200,
            content_type="text/csv; charset=utf-8",
            body=exporter.csv(caller(app)),
            headers={"Content-Disposition": 'attachment; filename="govsync-records.csv"'},
        )
    return Response(
        status_code=200, content_type=content_types.APPLICATION_JSON, body=exporter.pack(caller(app), start, end)
    )


@app.get("/openapi.json", middlewares=[requires(READ)], summary="This API's OpenAPI document", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_document())


def openapi_document() -> str:
    return app.get_openapi_json_schema(
        title=TITLE,
        version=__version__,
        description="People decide, with identity, separation of duties and an auditor's export.",
        security_schemes={"cognito": HTTPBearer(description="The Cognito user pool's ID token (Authorization header)")},
        security=[{"cognito": []}],
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return with_security_headers(app.resolve(event, context))
