"""Reconciler: the registry, listed, against the table. Every package whose record is missing (a
missed event, or a first install) or older than the registry is synced through the same code as the
event path (`RegistrySync.sync`). Daily on its schedule, and on demand (`govsync reconcile`).

Memory stays flat in the number of versions: the registry is read a page (100 packages) at a time,
and the table's version heads and first stage records for that page with BatchGetItem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from govsync.domain.arns import Arn
from govsync.domain.errors import GovsyncError
from govsync.domain.events import PackageRef
from govsync.domain.package import snapshot_from_describe
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.ports import Registry, Store, utc_now
from govsync.services.registry_sync import Outcome, RegistrySync
from govsync.settings import Settings

MAX_REPORTED_FAILURES = 50


@dataclass
class ReconcileSummary:
    run_id: str
    groups: int = 0
    checked: int = 0
    up_to_date: int = 0
    repaired: int = 0
    failed: int = 0
    skipped: int = 0  # packages of accounts the stack does not accept events from
    failures: list[dict[str, str]] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)  # groups asked for by name that the registry lacks

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


Progress = Callable[[ReconcileSummary, str], None]


@dataclass
class Reconciler:
    settings: Settings
    registry: Registry
    store: Store
    sync: RegistrySync
    clock: Callable[[], datetime] = utc_now

    def run(self, groups: Iterable[str] | None = None, progress: Progress | None = None) -> ReconcileSummary:
        """Reconcile every group (or only `groups`, by name); `progress` hears after each page."""
        started = self.clock()
        summary = ReconcileSummary(run_id=f"reconcile-{started:%Y%m%dT%H%M%S}Z")
        wanted = set(groups) if groups else None
        seen: set[str] = set()
        for region in sorted(self.settings.allowed_regions):
            for group in self.registry.list_groups(region):
                if wanted is not None and group["ModelPackageGroupName"] not in wanted:
                    continue
                seen.add(group["ModelPackageGroupName"])
                summary.groups += 1
                try:
                    for page in self.registry.list_packages(group["ModelPackageGroupArn"], region):
                        self._page(page, region, summary, started)
                        if progress:
                            progress(summary, group["ModelPackageGroupName"])
                except GovsyncError as exc:  # this group's listing or head reads; the next group goes on
                    self._failed(summary, group["ModelPackageGroupArn"], exc)
        summary.not_found = sorted((wanted or set()) - seen)
        logger.info("registry reconciled", **{k: v for k, v in summary.to_json().items() if k != "failures"})
        for name in ("checked", "repaired", "failed"):
            metrics.add_metric(name=f"Reconcile{name.title()}", unit=MetricUnit.Count, value=getattr(summary, name))
        return summary

    def _page(self, page: list[dict[str, Any]], region: str, summary: ReconcileSummary, started: datetime) -> None:
        applied_versions = self.store.applied_versions(
            [(p["ModelPackageGroupName"], int(p["ModelPackageVersion"])) for p in page if p.get("ModelPackageVersion")],
            self.settings.stages[0],
        )
        for package in page:
            arn = package["ModelPackageArn"]
            if Arn.parse(arn).account not in self.settings.allowed_accounts:
                summary.skipped += 1
                continue
            summary.checked += 1
            try:
                described = self.registry.describe_package(arn, region)
                pkg = snapshot_from_describe(described)
                applied = applied_versions.get((pkg.group, pkg.version))
                if applied is not None and applied >= pkg.source_version:
                    summary.up_to_date += 1
                    continue
                ref = PackageRef(
                    event_id=summary.run_id,
                    event_time=started,
                    account=pkg.account,
                    region=region,
                    group=pkg.group,
                    version=pkg.version,
                    arn=arn,
                )
                outcome = self.sync.sync(ref, described=described, message_id=summary.run_id)
            except GovsyncError as exc:
                self._failed(summary, arn, exc)
                continue
            if outcome is Outcome.UPSERTED:
                summary.repaired += 1
                logger.info(
                    "record repaired", model_group=pkg.group, model_version=pkg.version, missing=applied is None
                )
            else:
                summary.up_to_date += 1

    @staticmethod
    def _failed(summary: ReconcileSummary, arn: str, exc: GovsyncError) -> None:
        summary.failed += 1
        if len(summary.failures) < MAX_REPORTED_FAILURES:
            summary.failures.append({"arn": arn, "error": str(exc)})
        logger.error("reconcile failed", arn=arn, error=str(exc))
