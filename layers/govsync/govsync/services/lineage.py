"""Reading a version's lineage: what the package says, then, when a read role into the source account
is configured, what its training job says (read once: later syncs take it from the record) and which
versions of its dataset objects there are.

Nothing here fails a sync: what cannot be read is recorded on the lineage as a problem, in words (a
transient error is raised, so the message is retried). A dataset's version is read once, when govsync
first sees it: later syncs keep what was recorded (the bytes a model was trained on do not change when
the object is overwritten afterwards)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from govsync.domain.arns import Arn
from govsync.domain.errors import PermanentAwsError
from govsync.domain.lineage import (
    TRAINING_JOB,
    Lineage,
    TrainingJob,
    from_package,
    recorded_training_job,
    with_problem,
    with_training_job,
    with_versions,
)
from govsync.domain.package import PackageSnapshot

MAX_VERSION_READS = 32  # dataset objects read per sync (MAX_DATASETS: every dataset recorded)


class SourceAccount(Protocol):
    """Reads in a version's source account (`adapters.source_account.SourceAccountReads`)."""

    def training_job(self, arn: str) -> TrainingJob: ...

    def object_version(self, uri: str, account: str, region: str) -> tuple[str | None, str | None] | None: ...


@dataclass(frozen=True, slots=True)
class LineageReader:
    expected: tuple[str, ...]  # the kinds a record is flagged for lacking
    source: SourceAccount | None = None  # None: no read role, the package's word only

    def read(self, pkg: PackageSnapshot, prior: Lineage | None) -> tuple[Lineage, tuple[str, ...]]:
        """The version's lineage and the expected kinds it lacks; `prior`: what was recorded before."""
        lineage = from_package(pkg)
        if self.source is not None:
            lineage = self._training_job(lineage, pkg, prior)
            lineage = self._versions(lineage, pkg, prior)
        return lineage, lineage.missing(self.expected)

    def _training_job(self, lineage: Lineage, pkg: PackageSnapshot, prior: Lineage | None) -> Lineage:
        arn = lineage.training_job
        if arn is None or self.source is None:
            return lineage
        if prior is not None and prior.training_job == arn and TRAINING_JOB in prior.sources:
            return with_training_job(lineage, recorded_training_job(prior))  # read once: a run job does not change
        account = Arn.parse(arn).account
        if account != pkg.source_account:  # never assume a role into an account the version did not come from
            return with_problem(
                lineage, f"training job {arn}: in account {account}, not the version's source account; not read"
            )
        try:
            return with_training_job(lineage, self.source.training_job(arn))
        except PermanentAwsError as exc:  # denied, unknown job: recorded, not fatal
            return with_problem(lineage, f"training job not read: {exc}")

    def _versions(self, lineage: Lineage, pkg: PackageSnapshot, prior: Lineage | None) -> Lineage:
        recorded = {d.uri: (d.etag, d.version_id) for d in (prior.datasets if prior else ()) if d.etag or d.version_id}
        versions: dict[str, tuple[str | None, str | None]] = {}
        reads = 0
        for dataset in lineage.datasets:
            if dataset.uri in recorded:
                versions[dataset.uri] = recorded[dataset.uri]
                continue
            if not dataset.uri.startswith("s3://") or dataset.uri.endswith("/") or reads >= MAX_VERSION_READS:
                continue
            reads += 1
            try:
                found = self.source.object_version(dataset.uri, pkg.source_account, pkg.region) if self.source else None
            except PermanentAwsError as exc:
                lineage = with_problem(lineage, f"dataset {dataset.uri}: version not read: {exc}")
                continue
            if found is not None:
                versions[dataset.uri] = found
        return with_versions(lineage, versions)
