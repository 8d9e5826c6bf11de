"""GovernanceApiFunction (and the CLI): people's decisions and the auditor's exports."""

from __future__ import annotations

from govsync.adapters.anchor_bucket import AnchorBucket
from govsync.adapters.cognito import CognitoUsers
from govsync.adapters.registry import SageMakerRegistry
from govsync.adapters.sqs import SqsQueue
from govsync.services.decisions import Decisions
from govsync.services.due_dates import Reviews
from govsync.services.export import Exporter
from govsync.services.gate_checks import GateQueries
from govsync.services.ports import utc_now
from govsync.services.retirement import Retirements
from govsync.settings import ApiSettings, settings_for
from govsync.wiring.built import built_once
from govsync.wiring.gates import gate_checks
from govsync.wiring.store import governance_store
from govsync.wiring.use_cases import use_case_lifecycle

__all__ = [
    "decider_mfa",
    "decisions",
    "exporter",
    "gate_queries",
    "governance_store",
    "retirements",
    "reviews",
    "use_case_lifecycle",
]


@built_once
def decisions() -> Decisions:
    settings = settings_for(ApiSettings)
    return Decisions(settings=settings, store=governance_store(), registry=SageMakerRegistry(), clock=utc_now,
                     cadence=settings.cadence)  # fmt: skip


@built_once
def reviews() -> Reviews:
    settings = settings_for(ApiSettings)
    return Reviews(settings.cadence, settings.stages, governance_store(), SageMakerRegistry(), settings.region,
                   settings.identity_map, utc_now)  # fmt: skip


@built_once
def retirements() -> Retirements:
    settings = settings_for(ApiSettings)
    return Retirements(settings.stages, governance_store(), SqsQueue(settings.deploy_queue_url, settings.region),
                       use_case_lifecycle(), utc_now)  # fmt: skip


@built_once
def exporter() -> Exporter:
    settings = settings_for(ApiSettings)
    anchors = AnchorBucket(settings.anchor_bucket, settings.region) if settings.anchor_bucket else None
    return Exporter(settings=settings, store=governance_store(), clock=utc_now, anchors=anchors)


@built_once
def gate_queries() -> GateQueries:
    settings = settings_for(ApiSettings)
    return GateQueries(gate_checks(settings), governance_store(), SageMakerRegistry(), utc_now, settings.region)


@built_once
def decider_mfa() -> CognitoUsers | None:
    """Whose MFA a decision checks (None: the stack does not require it)."""
    settings = settings_for(ApiSettings)
    return CognitoUsers(settings.user_pool_id, settings.region) if settings.decider_mfa == "required" else None
