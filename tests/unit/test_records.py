"""Record building: status mapping, lifecycle stages, attribute precedence, diffs."""

from dataclasses import fields, replace
from datetime import UTC, datetime

import pytest

from govsync.adapters.described_package import snapshot_from_describe
from govsync.adapters.dynamodb_items import StageRecordItem
from govsync.domain.decisions import Decision
from govsync.domain.endpoint_metrics import Breach, MonitoringAlert
from govsync.domain.export import CSV_HEADER, SUMMARIZED
from govsync.domain.governance import resolve_governance
from govsync.domain.records import StageRecord, build_stage_records, diff_records, merge_records
from govsync.domain.stages import StageConfig

from .helpers import card, described

CONFIG = StageConfig()


def records_for(**overrides):
    pkg = snapshot_from_describe(described(**overrides))
    governance = resolve_governance(pkg, {}, CONFIG.metadata_keys)
    return build_stage_records(pkg, governance, CONFIG)


@pytest.mark.parametrize(
    ("approval", "status"),
    [("PendingManualApproval", "pending"), ("Approved", "approved"), ("Rejected", "rejected")],
)
def test_development_status_follows_model_approval_status(approval, status):
    records = records_for(ModelApprovalStatus=approval)
    assert list(records) == ["development"]
    assert records["development"].model_status == status


@pytest.mark.parametrize(
    ("stage", "stage_status", "expected"),
    [
        ("Staging", "Approved", ("test", "approved")),
        ("staging", "PendingApproval", ("test", "pending")),
        ("TEST", "Rejected", ("test", "rejected")),
        ("Production", "Approved", ("production", "approved")),
        ("prod", "Approved", ("production", "approved")),
    ],
)
def test_lifecycle_maps_onto_the_named_stage(stage, stage_status, expected):
    records = records_for(
        ModelApprovalStatus="Approved",
        ModelLifeCycle={"Stage": stage, "StageStatus": stage_status, "StageDescription": "why"},
    )
    stage_name, status = expected
    assert records[stage_name].model_status == status
    assert records[stage_name].stage_description == "why"
    assert records["development"].model_status == "approved"


@pytest.mark.parametrize(
    "life_cycle",
    [{"Stage": "Sandbox", "StageStatus": "Approved"}, {"Stage": "Staging", "StageStatus": "Archived"}],
)
def test_unknown_lifecycle_stage_or_status_sets_nothing(life_cycle):
    assert list(records_for(ModelLifeCycle=life_cycle)) == ["development"]


def test_stage_aliases_are_configurable():
    config = StageConfig(stages=("dev", "qa", "live"), aliases={"Staging": "qa"})
    assert config.stage_for("staging") == "qa"
    assert config.stage_for("LIVE") == "live"
    assert config.stage_for("production") is None


def test_attribute_precedence_card_then_metadata_then_tags():
    # Given an owner in all three places, a risk only in metadata and tags, a project only in tags
    pkg = snapshot_from_describe(
        described(
            CustomerMetadataProperties={"ModelOwner": "from-metadata", "ModelRisk": "medium"},
            ModelCard=card(
                model_overview={"model_owner": "from-card"},
                additional_information={"custom_details": {"UseCaseId": "uc-from-card"}},
            ),
        )
    )
    tags = {"ModelOwner": "from-tags", "ModelRisk": "low", "ModelProject": "from-tags", "UseCaseId": "uc-tag"}
    # When resolved
    governance = resolve_governance(pkg, tags, CONFIG.metadata_keys)
    # Then the card wins, then metadata, then tags; what is nowhere is listed as missing
    assert governance.values["model_owner"] == "from-card"
    assert governance.values["use_case_id"] == "uc-from-card"
    assert governance.values["model_risk"] == "medium"
    assert governance.values["model_project"] == "from-tags"
    assert set(governance.missing) == {"UseCaseName", "UseCaseStage", "ModelLoB"}


def test_structured_card_fields_are_read():
    pkg = snapshot_from_describe(
        described(
            CustomerMetadataProperties={},
            ModelCard=card(
                intended_uses={"risk_rating": "High"},
                business_details={"line_of_business": "retail"},
            ),
        )
    )
    governance = resolve_governance(pkg, {}, CONFIG.metadata_keys)
    assert governance.values["model_risk"] == "High"
    assert governance.values["model_lob"] == "retail"


def test_missing_metadata_is_flagged_not_a_crash():
    records = records_for(CustomerMetadataProperties={"ModelOwner": "alice"}, ModelCard={"ModelCardContent": "{bad"})
    record = records["development"]
    assert record.metadata_complete is False
    assert "UseCaseId" in record.metadata_missing and "ModelOwner" not in record.metadata_missing
    assert record.model_owner == "alice" and record.use_case_id is None


def test_record_carries_the_blog_attributes_and_operations_fields():
    record = records_for()["development"].to_json()
    blog = {
        "use_case_id", "use_case_name", "use_case_stage", "model_group", "model_version", "model_owner",
        "model_lob", "model_project", "model_stage", "model_status", "model_risk", "model_validation_metrics",
        "model_monitoring_metrics", "model_audit_timestamp", "model_audit_user",
    }  # fmt: skip
    assert blog <= set(record)
    assert {"model_package_arn", "source_account", "registry_last_modified", "metadata_complete"} <= set(record)
    assert record["model_audit_user"] == "arn:aws:sts::222222222222:assumed-role/DataScientist/alice"
    assert record["source_account"] == "222222222222"  # the registering identity's account, not the registry's


def test_actor_prefers_last_modified_by_then_user_profile():
    pkg = snapshot_from_describe(
        described(LastModifiedBy={"UserProfileName": "bob-studio", "DomainId": "d-1"}),
    )
    assert pkg.actor == "bob-studio"
    assert snapshot_from_describe(described(CreatedBy={})).actor == "unknown"


def test_last_modified_defaults_to_creation_and_orders_source_versions():
    first = snapshot_from_describe(described())
    later = snapshot_from_describe(
        described(ModelApprovalStatus="Approved", LastModifiedTime=datetime(2026, 11, 23, 10, 5, tzinfo=UTC))
    )
    assert first.last_modified_time == first.creation_time
    assert first.source_version < later.source_version


def test_merge_keeps_other_stages_and_diff_lists_changes():
    before = records_for(ModelApprovalStatus="Approved", ModelLifeCycle={"Stage": "Staging", "StageStatus": "Approved"})
    implied = records_for(
        ModelApprovalStatus="Approved",
        ModelLifeCycle={"Stage": "Production", "StageStatus": "PendingApproval"},
        CustomerMetadataProperties={"ModelOwner": "carol"},
    )
    after = merge_records(before, implied)
    assert set(after) == {"development", "test", "production"}
    assert after["test"].model_status == "approved" and after["test"].model_owner == "carol"
    changes = diff_records(before, after)
    assert changes["production"]["model_status"] == [None, "pending"]
    assert changes["test"]["model_owner"] == ["alice", "carol"]
    assert "model_audit_timestamp" not in changes["development"]
    assert diff_records(after, after) == {}


def test_the_table_stores_every_field_of_the_record_declared_once_in_the_domain():
    # Given a stage record with every kind of field set
    pkg = snapshot_from_describe(described(ModelApprovalStatus="Approved"))
    record = build_stage_records(pkg, resolve_governance(pkg, {}, CONFIG.metadata_keys), CONFIG)["development"]
    decision = Decision("d1", "approve", "olivia", "olivia", None, "ok", "t", "t0", "applied")
    record = replace(record, decisions=[decision], stage_description="ok",
                     monitoring_alert=MonitoringAlert("s", "w", (Breach("m", 1, 0),)))  # fmt: skip
    # Then its item has an attribute per field, made from the field's type, and reads back the same record
    attributes = StageRecordItem.get_attributes()
    assert {f.name for f in fields(StageRecord)} <= set(attributes)
    assert type(attributes["model_version"]).__name__ == "NumberAttribute"
    assert attributes["use_case_id"].null and not attributes["model_package_arn"].null
    assert StageRecordItem.from_record(record).to_record() == record


def test_every_field_of_the_record_reaches_the_auditors_csv():
    # a field added to the record is a column of the export, or summarized by columns that are
    for field in fields(StageRecord):
        assert field.name in CSV_HEADER or set(SUMMARIZED.get(field.name, ("-",))) <= set(CSV_HEADER), field.name
