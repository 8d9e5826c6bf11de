"""RegistrySyncFunction: the registry sync with its artifact copies and deploy requests."""

from __future__ import annotations

from s3transfer.manager import TransferConfig

from govsync.adapters.registry import SageMakerRegistry
from govsync.adapters.s3 import S3Artifacts
from govsync.adapters.source_account import SourceAccountReads
from govsync.adapters.sqs import SqsQueue
from govsync.domain.arns import Arn
from govsync.services.artifact_copy import ArtifactSync
from govsync.services.lineage import LineageReader
from govsync.services.ports import utc_now
from govsync.services.registry_sync import RegistrySync
from govsync.settings import SyncSettings, settings_for
from govsync.wiring.built import built_once
from govsync.wiring.store import dead_letter, notified_store
from govsync.wiring.use_cases import use_case_lifecycle

MIB = 1024 * 1024


def artifact_storage(settings: SyncSettings) -> S3Artifacts | None:
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


def lineage_reader(settings: SyncSettings) -> LineageReader:
    role = settings.lineage_role_name
    source = SourceAccountReads(role, settings.region, settings.partition) if role else None
    return LineageReader(settings.lineage_expected, source)


@built_once
def registry_sync() -> RegistrySync:
    settings = settings_for(SyncSettings)
    return RegistrySync(
        settings=settings,
        registry=SageMakerRegistry(),
        store=notified_store(settings),
        dead_letter=dead_letter(settings),
        artifacts=ArtifactSync(artifact_storage(settings), settings.artifact_buckets, utc_now),
        clock=utc_now,
        deploy_requests=SqsQueue(settings.deploy_queue_url, settings.region),
        use_cases=use_case_lifecycle(),
        lineage=lineage_reader(settings),
    )
