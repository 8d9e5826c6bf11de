"""The one update primitive and the use-case lifecycle, on the in-memory store (no sockets)."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from govsync.adapters.described_package import snapshot_from_describe
from govsync.domain.audit import verify_chain
from govsync.domain.errors import RetryableError
from govsync.domain.governance import resolve_governance
from govsync.domain.records import build_stage_records
from govsync.domain.registry_change import Seen, seen_before
from govsync.domain.stages import StageConfig
from govsync.domain.version_state import VersionHead, VersionState
from govsync.services.updates import Audit, Update, update_records, update_version
from govsync.services.use_cases import UseCaseLifecycle

from ..fakes import InMemoryStore
from .helpers import GROUP, described

NOW = "2026-11-23T10:00:00+00:00"


def implied(**overrides):
    pkg = snapshot_from_describe(described(**overrides))
    return build_stage_records(pkg, resolve_governance(pkg, {}, StageConfig().metadata_keys), StageConfig())


def registry_change(records, source_version="0001#a"):
    return lambda state: Update(records, "e-1", "alice", "registry-sync", NOW, NOW, source_version)


def test_a_change_writes_its_records_and_one_chained_audit_entry():
    # Given an empty store, when a registry change is applied
    store = InMemoryStore()
    written = update_version(store, GROUP, 1, registry_change(implied()))
    # Then the record, the head's mark and one audit entry are there, and the chain verifies
    state = store.load_version(GROUP, 1)
    assert written is not None and written.entry.seq == 1
    assert state.records["development"].model_status == "pending" and state.source_version == "0001#a"
    assert verify_chain(store.audit_entries(GROUP, 1), state.audit_seq, state.audit_head).ok


def test_the_same_change_again_writes_nothing():
    store = InMemoryStore()
    update_version(store, GROUP, 1, registry_change(implied()))
    # When a change finds the registry change already applied and asks for nothing, nothing is written
    assert update_version(store, GROUP, 1, lambda state: None) is None
    # And one of our own changes that changes no field writes nothing either
    assert update_records(store, GROUP, 1, lambda records: records, Audit("e-2", "govsync", "noop", NOW)) is None
    assert store.commits == 1


def test_a_concurrent_writer_makes_the_change_apply_again_on_what_it_wrote():
    # Given a version, and a writer that gets in between our read and our write
    store = InMemoryStore()
    update_version(store, GROUP, 1, registry_change(implied()))

    def concurrent(state: VersionState) -> None:
        approved = implied(ModelApprovalStatus="Approved")
        update_version(store, GROUP, 1, registry_change(approved, "0002#b"))

    store.before_commit = concurrent
    seen: list[str] = []

    def retire(records):
        seen.append(records["development"].model_status)
        return {**records, "development": replace(records["development"], model_status="retired")}

    # When our change is applied
    update_records(store, GROUP, 1, retire, Audit("e-3", "govsync", "retire", NOW))
    # Then it was applied twice: on what it first read, and again on what the other writer wrote
    assert seen == ["pending", "approved"]
    state = store.load_version(GROUP, 1)
    assert state.records["development"].model_status == "retired" and state.audit_seq == 3
    assert verify_chain(store.audit_entries(GROUP, 1), state.audit_seq, state.audit_head).ok


def test_a_version_that_keeps_changing_is_retried_later():
    store = InMemoryStore()
    update_version(store, GROUP, 1, registry_change(implied()))
    attempts = []

    def change(state):
        attempts.append(state.audit_seq)
        store.heads[(GROUP, 1)] = replace(store.heads[(GROUP, 1)], audit_seq=state.audit_seq + 1)  # always raced
        return Update(implied(ModelApprovalStatus="Approved"), "e-4", "bob", "registry-sync", NOW, NOW, "0003#c")

    with pytest.raises(RetryableError, match="kept changing under us"):
        update_version(store, GROUP, 1, change, attempts=3)
    assert len(attempts) == 3


def test_an_older_registry_change_never_overwrites_a_newer_one():
    store = InMemoryStore()
    update_version(store, GROUP, 1, registry_change(implied(ModelApprovalStatus="Approved"), "0002#b"))
    older = registry_change(implied(), "0001#a")
    with pytest.raises(RetryableError):
        update_version(store, GROUP, 1, older, attempts=2)
    assert store.load_version(GROUP, 1).records["development"].model_status == "approved"


def test_a_use_case_is_created_on_first_approval_and_advances_when_its_models_are_approved():
    # Given an approved development record of the use case
    store = InMemoryStore()
    update_version(store, GROUP, 1, registry_change(implied(ModelApprovalStatus="Approved")))
    record = store.load_version(GROUP, 1).records["development"]
    lifecycle = UseCaseLifecycle(store, {"development": "development", "qa": "test"}, lambda: datetime.now(UTC))
    # When the lifecycle evaluates it
    use_case = lifecycle.evaluate(record, trigger="e-1", actor="carol")
    # Then the use case exists and left development (its only model is approved there), not qa
    assert use_case is not None and use_case.stage == "qa"
    assert store.load_use_case("uc-fraud") == replace(use_case, seq=1)
    # And evaluating again changes nothing
    assert lifecycle.evaluate(record, trigger="e-2", actor="carol") == store.load_use_case("uc-fraud")


def test_a_version_live_on_the_endpoint_supersedes_every_older_one_still_live_there():
    from govsync.domain.deployment import Deployment, DeployState
    from govsync.services.deployment_status import Replacement, supersede_previous

    # Given versions 1 and 2 live in test on the same endpoint: 2 went live while 3 was being deployed,
    # and 3 was kicked when the endpoint still ran 1 (what a burst does)
    store = InMemoryStore()
    for version in (1, 2):
        live = Deployment(status=DeployState.LIVE, endpoint_name="fraud-detector-test")
        test = replace(implied(ModelPackageVersion=version)["development"], model_stage="test", deployment=live)
        update_version(store, GROUP, version, registry_change({"test": test}))
    # When version 3 is live, replacing version 1 by its kick
    supersede_previous(store, GROUP, "test", Replacement("fraud-detector-test", 1, 3), event_id="e-3",
                       actor="govsync-deployment-status", now=NOW)  # fmt: skip
    # Then both older versions are superseded by it
    for version in (1, 2):
        deployment = store.load_version(GROUP, version).records["test"].deployment
        assert (deployment.status, deployment.superseded_by) == (DeployState.SUPERSEDED, 3), version


def test_the_table_tells_a_new_change_from_a_duplicate_a_stale_one_and_a_lost_record():
    # Given a package as the registry describes it, and the table's head for its version
    pkg = snapshot_from_describe(described())
    older = snapshot_from_describe(described(LastModifiedTime=datetime(2026, 11, 23, 9, 0, tzinfo=UTC)))
    config = StageConfig()
    records = build_stage_records(pkg, resolve_governance(pkg, {}, config.metadata_keys), config)
    empty = VersionState(GROUP, 1)
    applied = VersionState(GROUP, 1, VersionHead(pkg.source_version, 1, "h"), records)
    lost = VersionState(GROUP, 1, VersionHead(pkg.source_version, 1, "h"), {})
    # Then: never applied is new; the same change is a duplicate; an older one is stale; the same change
    # whose first record is gone since is written again
    assert seen_before(empty, pkg, "development") is Seen.NEW
    assert seen_before(applied, pkg, "development") is Seen.DUPLICATE
    assert seen_before(applied, older, "development") is Seen.STALE
    assert seen_before(lost, pkg, "development") is Seen.LOST
