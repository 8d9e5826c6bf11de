"""Composition root: builds each service once per process from the settings."""

from __future__ import annotations

from functools import lru_cache

from s3transfer.manager import TransferConfig

from govsync import strategies
from govsync.adapters.aws import AssumedRoles
from govsync.adapters.cloudwatch import CloudWatchMetrics
from govsync.adapters.eventbus import EventPublisher
from govsync.adapters.monitors import ModelMonitors
from govsync.adapters.registry import SageMakerRegistry
from govsync.adapters.s3 import S3Artifacts
from govsync.adapters.sqs import SqsDeadLetter, SqsQueue
from govsync.adapters.store import GovernanceStore
from govsync.domain.arns import Arn
from govsync.services.artifact_copy import ArtifactSync
from govsync.services.decisions import Decisions
from govsync.services.deploy import Deployments
from govsync.services.deployment_status import DeploymentStatus
from govsync.services.export import Exporter
from govsync.services.metrics_aggregation import MetricsAggregator
from govsync.services.ports import utc_now
from govsync.services.reconcile import Reconciler
from govsync.services.registry_sync import RegistrySync
from govsync.services.use_cases import UseCaseLifecycle
from govsync.settings import Settings, get_settings

MIB = 1024 * 1024


@lru_cache(maxsize=1)
def governance_store() -> GovernanceStore:
    settings = get_settings()
    return GovernanceStore(settings.governance_table, settings.region)


def artifact_storage(settings: Settings) -> S3Artifacts | None:
    if not settings.artifact_bucket or not settings.artifact_key_arn:
        return None
    return S3Artifacts(
        central_bucket=settings.artifact_bucket,
        kms_key_arn=settings.artifact_key_arn,
        region=settings.region,
        source_role_name=settings.source_role_name,
        partition=Arn.parse(settings.artifact_key_arn).partition,
        transfer_config=TransferConfig(
            multipart_threshold=settings.copy_threshold_mib * MIB,
            multipart_chunksize=settings.copy_part_mib * MIB,
            max_request_concurrency=settings.copy_concurrency,
        ),
    )


def dead_letter(settings: Settings) -> SqsDeadLetter:
    return SqsDeadLetter(settings.dead_letter_queue_url, settings.region)


@lru_cache(maxsize=1)
def registry_sync() -> RegistrySync:
    settings = get_settings()
    return RegistrySync(
        settings=settings,
        registry=SageMakerRegistry(),
        store=governance_store(),
        dead_letter=dead_letter(settings),
        artifacts=ArtifactSync(artifact_storage(settings), settings.artifact_buckets, utc_now),
        clock=utc_now,
        deploy_requests=SqsQueue(settings.deploy_queue_url, settings.region),
        use_cases=use_case_desk(),
    )


@lru_cache(maxsize=1)
def deployments() -> Deployments:
    settings = get_settings()
    clients = strategies.Clients(AssumedRoles("govsync-deploy", settings.region), settings.region)
    return Deployments(
        settings=settings,
        registry=SageMakerRegistry(),
        store=governance_store(),
        strategies=strategies.build(clients),
        dead_letter=dead_letter(settings),
    )


@lru_cache(maxsize=1)
def deployment_status() -> DeploymentStatus:
    settings = get_settings()
    return DeploymentStatus(settings=settings, store=governance_store(), dead_letter=dead_letter(settings))


@lru_cache(maxsize=1)
def metrics_aggregator() -> MetricsAggregator:
    settings = get_settings()
    roles = AssumedRoles("govsync-metrics", settings.region)
    return MetricsAggregator(
        settings=settings,
        store=governance_store(),
        cloudwatch=CloudWatchMetrics(roles),
        monitors=ModelMonitors(roles),
        notifier=EventPublisher(settings.region),
    )


@lru_cache(maxsize=1)
def decisions() -> Decisions:
    return Decisions(settings=get_settings(), store=governance_store(), registry=SageMakerRegistry(), clock=utc_now)


@lru_cache(maxsize=1)
def use_case_desk() -> UseCaseLifecycle:
    settings = get_settings()
    return UseCaseLifecycle(governance_store(), settings.use_case_stages, utc_now)


@lru_cache(maxsize=1)
def exporter() -> Exporter:
    return Exporter(settings=get_settings(), store=governance_store(), clock=utc_now)


@lru_cache(maxsize=1)
def reconciler() -> Reconciler:
    settings = get_settings()
    return Reconciler(settings=settings, registry=SageMakerRegistry(), store=governance_store(), sync=registry_sync())


def reset() -> None:
    """Forget settings and services (tests change the environment between cases)."""
    from govsync.adapters import aws

    for cached in (get_settings, governance_store, registry_sync, deployments, deployment_status,
                   metrics_aggregator, reconciler, decisions, use_case_desk, exporter, aws.client):  # fmt: skip
        cached.cache_clear()
