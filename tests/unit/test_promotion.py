"""Stage promotion decisions, names, endpoint events and the use-case lifecycle (pure, no AWS)."""

from dataclasses import replace

import pytest

from govsync.adapters.described_package import snapshot_from_describe
from govsync.domain.deploy_requests import open_requests, parse_deploy_request
from govsync.domain.deployment import Deployment
from govsync.domain.endpoint_events import apply_endpoint_change, check_endpoint_event
from govsync.domain.errors import RejectedEvent
from govsync.domain.events import EventEnvelope, EventPolicy
from govsync.domain.governance import resolve_governance
from govsync.domain.naming import SAGEMAKER_NAME, endpoint_name, sagemaker_name, version_resource_name
from govsync.domain.promotion import Planning, approved_in, plan_promotions
from govsync.domain.records import build_stage_records, diff_records, merge_records
from govsync.domain.rollback import plan_rollbacks, rollback_candidate
from govsync.domain.stages import StageConfig
from govsync.domain.targets import StageTarget, resolve_targets
from govsync.domain.usecases import advance, counted, initial_stage, models_approved, tallies_of, tally_changes
from govsync.strategies import check_target
from govsync.strategies.sagemaker_endpoint import SageMakerEndpoint

from .helpers import ARN, described

as_deployment = Deployment.from_json

CONFIG = StageConfig()
TARGETS = resolve_targets(
    {"test": StageTarget(account="333333333333"), "production": StageTarget(account="444444444444")},
    role_name="govsync-deploy",
    region="us-east-1",
    partition="aws",
    central_account="111111111111",
)


def records_for(**overrides):
    pkg = snapshot_from_describe(described(**overrides))
    return build_stage_records(pkg, resolve_governance(pkg, {}, CONFIG.metadata_keys), CONFIG)


def promote(before, after):
    return plan_promotions(before, after, Planning(CONFIG, TARGETS, "e-1", "2026-11-23T10:00:00+00:00"))


def test_names_are_deterministic_valid_and_at_most_63_characters():
    long_group = "a" * 63
    for name in (
        endpoint_name(long_group, "production"),
        version_resource_name(long_group, 9_999_999_999, "production"),
        sagemaker_name("fraud_detector", "v1", "Pre Prod!"),
    ):
        assert len(name) <= 63 and SAGEMAKER_NAME.fullmatch(name), name
    assert version_resource_name("fraud-detector", 1, "test") == "fraud-detector-v1-test"
    # two long names that share their first 54 characters stay distinct
    assert version_resource_name(long_group, 1, "test") != version_resource_name(long_group, 2, "test")
    assert version_resource_name(long_group, 1, "test") == version_resource_name(long_group, 1, "test")


def test_approval_in_development_requests_a_deployment_into_test_only_once():
    pending = records_for()
    approved = merge_records(pending, records_for(ModelApprovalStatus="Approved"))
    planned = promote(pending, approved)
    assert planned["test"].model_status == "pending"
    assert planned["test"].deployment.status == "requested"
    assert planned["test"].deployment.account == "333333333333"
    assert [(r.action, r.stage) for r in open_requests(planned)] == [("promote", "test")]
    # the same approval seen again asks nothing new
    again = promote(planned, merge_records(planned, records_for(ModelApprovalStatus="Approved")))
    assert again["test"] == planned["test"]


def test_pending_and_rejected_versions_request_nothing():
    pending = records_for()
    assert set(promote({}, pending)) == {"development"}
    rejected = merge_records(pending, records_for(ModelApprovalStatus="Rejected"))
    assert set(promote(pending, rejected)) == {"development"}


def test_decision_and_deployment_are_two_facts_neither_overwrites_the_other():
    # Given a test record live on its endpoint, its decision still pending
    pending = records_for(
        ModelApprovalStatus="Approved", ModelLifeCycle={"Stage": "test", "StageStatus": "PendingApproval"}
    )
    live = {
        **pending,
        "test": replace(pending["test"], deployment=as_deployment({"status": "live", "account": "333333333333"})),
    }
    assert (live["test"].model_status, live["test"].deployment_status) == ("pending", "deployed")
    # When the registry approves the test stage, the decision changes and the deployment stays
    approved = records_for(ModelApprovalStatus="Approved", ModelLifeCycle={"Stage": "test", "StageStatus": "Approved"})
    after = merge_records(live, approved)["test"]
    assert (after.model_status, after.deployment_status) == ("approved", "deployed")
    assert after.view()["deployment_status"] == "deployed" and after.view()["model_status"] == "approved"
    # a repeated decision (e.g. a metadata change) keeps what was recorded since
    retired = {**live, "test": replace(after, model_status="retired")}
    assert merge_records(retired, approved)["test"].model_status == "retired"
    # a new decision applies, and still leaves the deployment alone
    rejected = records_for(ModelApprovalStatus="Approved", ModelLifeCycle={"Stage": "test", "StageStatus": "Rejected"})
    after = merge_records(live, rejected)["test"]
    assert (after.model_status, after.deployment_status) == ("rejected", "deployed")


def test_the_approvers_words_are_recorded_per_stage():
    first = records_for(ModelApprovalStatus="Approved", ApprovalDescription="validated on Q3 holdout")
    assert first["development"].stage_description == "validated on Q3 holdout"
    later = records_for(
        ModelApprovalStatus="Approved", ApprovalDescription="ok",
        ModelLifeCycle={"Stage": "test", "StageStatus": "Approved", "StageDescription": "latency within budget"},
    )  # fmt: skip
    assert later["test"].stage_description == "latency within budget"
    changes = diff_records(records_for(), first)
    assert changes["development"]["stage_description"] == [None, "validated on Q3 holdout"]


def test_rejecting_a_live_stage_requests_a_rollback():
    approved = records_for(
        ModelApprovalStatus="Approved", ModelLifeCycle={"Stage": "production", "StageStatus": "Approved"}
    )
    serving = as_deployment({"status": "live", "account": "444444444444"})
    live = {**approved, "production": replace(approved["production"], deployment=serving)}
    rejected = merge_records(
        live,
        records_for(ModelApprovalStatus="Approved", ModelLifeCycle={"Stage": "production", "StageStatus": "Rejected"}),
    )
    planned = plan_rollbacks(live, rejected, Planning(CONFIG, TARGETS, "e-2", "now"))
    assert planned["production"].deployment.rollback.status == "requested"
    assert [(r.action, r.stage) for r in open_requests(planned)] == [("rollback", "production")]


def test_approved_in_reads_the_registry_not_the_record():
    assert approved_in(snapshot_from_describe(described(ModelApprovalStatus="Approved")), "development", CONFIG)
    assert not approved_in(snapshot_from_describe(described()), "development", CONFIG)
    staging = described(ModelApprovalStatus="Approved", ModelLifeCycle={"Stage": "Staging", "StageStatus": "Approved"})
    assert approved_in(snapshot_from_describe(staging), "test", CONFIG)
    # a version already in a later stage got past this one; one pending in this stage did not
    later = described(ModelApprovalStatus="Approved", ModelLifeCycle={"Stage": "Production", "StageStatus": "Approved"})
    assert approved_in(snapshot_from_describe(later), "test", CONFIG)
    pending = described(
        ModelApprovalStatus="Approved", ModelLifeCycle={"Stage": "test", "StageStatus": "PendingApproval"}
    )
    assert not approved_in(snapshot_from_describe(pending), "test", CONFIG)
    # a version rejected at the top level is approved nowhere, whatever its lifecycle says
    rejected = described(ModelApprovalStatus="Rejected", ModelLifeCycle={"Stage": "test", "StageStatus": "Approved"})
    assert not approved_in(snapshot_from_describe(rejected), "test", CONFIG)


def test_deployment_spec_uses_the_package_and_falls_back_to_its_instance_types():
    pkg_described = described(
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": "i"}, {"Image": "j"}],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.c5.xlarge"],
        },
    )
    pkg = snapshot_from_describe(pkg_described)
    spec = SageMakerEndpoint.spec(pkg, TARGETS["test"])
    assert spec.parameters["model"]["Containers"] == [{"ModelPackageName": ARN}]  # an inference pipeline
    assert spec.parameters["endpoint_config"]["ProductionVariants"][0]["InstanceType"] == "ml.c5.xlarge"
    assert spec.parameters["model"]["ExecutionRoleArn"] == "arn:aws:iam::333333333333:role/govsync-deploy-execution"
    with pytest.raises(ValueError, match="no instance type"):
        SageMakerEndpoint.spec(snapshot_from_describe(described(ModelApprovalStatus="Approved")), TARGETS["test"])


def envelope(account: str, status: str, tags: dict, config: str = "fraud-detector-v1-test") -> EventEnvelope:
    return EventEnvelope.model_validate(
        {
            "id": "0f9e6d5c-1b2a-4c3d-8e7f-000000000001",
            "detail-type": "SageMaker Endpoint State Change",
            "source": "aws.sagemaker",
            "account": account,
            "region": "us-east-1",
            "time": "2026-11-23T10:00:00Z",
            "detail": {
                "EndpointName": "fraud-detector-test",
                "EndpointConfigName": config,
                "EndpointStatus": status,
                "CreationTime": 1795431600000,  # epoch milliseconds, as SageMaker sends them
                "Tags": tags,
            },
        }
    )


POLICY = EventPolicy(frozenset({"333333333333", "444444444444"}), frozenset({"us-east-1"}))
TAGS = {"govsync:model-package-arn": ARN, "govsync:stage": "test"}


def test_endpoint_events_are_checked_against_the_stage_account_and_tags():
    change = check_endpoint_event(envelope("333333333333", "IN_SERVICE", TAGS), POLICY, TARGETS)
    assert (change.group, change.version, change.stage, change.status) == ("fraud-detector", 1, "test", "IN_SERVICE")
    with pytest.raises(RejectedEvent, match="but stage test deploys to 333333333333"):
        check_endpoint_event(envelope("444444444444", "IN_SERVICE", TAGS), POLICY, TARGETS)
    with pytest.raises(RejectedEvent, match="no valid govsync:model-package-arn"):
        check_endpoint_event(envelope("333333333333", "IN_SERVICE", {"govsync:stage": "test"}), POLICY, TARGETS)
    with pytest.raises(RejectedEvent, match="names no deploying stage"):
        check_endpoint_event(
            envelope("333333333333", "IN_SERVICE", {**TAGS, "govsync:stage": "development"}), POLICY, TARGETS
        )


def test_endpoint_changes_move_only_the_current_deployment():
    record = replace(
        records_for(ModelApprovalStatus="Approved")["development"],
        model_stage="test",
        model_status="pending",
        deployment=as_deployment({"status": "requested", "account": "333333333333", "strategy": "sagemaker-endpoint"}),
    )
    live = apply_endpoint_change(
        record, check_endpoint_event(envelope("333333333333", "IN_SERVICE", TAGS), POLICY, TARGETS)
    )
    # before the kick's own write; the decision is the registry's, untouched
    assert (live.model_status, live.deployment_status, live.deployment.status) == ("pending", "deployed", "live")
    stale = check_endpoint_event(
        envelope("333333333333", "FAILED", TAGS, config="fraud-detector-v9-test"), POLICY, TARGETS
    )
    assert apply_endpoint_change(live, stale) is None
    creating = check_endpoint_event(envelope("333333333333", "CREATING", TAGS), POLICY, TARGETS)
    assert apply_endpoint_change(record, creating) is None
    failed = check_endpoint_event(envelope("333333333333", "FAILED", TAGS), POLICY, TARGETS)
    failed_record = apply_endpoint_change(record, failed)
    assert (failed_record.model_status, failed_record.deployment_status) == ("pending", "deploy_failed")


def test_rollback_candidate_is_the_newest_earlier_live_version():
    base = replace(records_for(ModelApprovalStatus="Approved")["development"], model_stage="production")
    was_live = as_deployment({"status": "superseded", "deployed_at": "t"})
    v1 = replace(base, model_version=1, model_status="approved", deployment=was_live)
    v2 = replace(base, model_version=2, model_status="pending", deployment=was_live)
    gone = replace(base, model_version=3, model_status="rejected", deployment=was_live)
    never = replace(base, model_version=3, model_status="approved", deployment=as_deployment({"status": "refused"}))
    assert rollback_candidate([v1, v2, gone, never], 4).model_version == 2
    assert rollback_candidate([v1], 1) is None


def test_deploy_requests_are_validated():
    with pytest.raises(RejectedEvent, match="malformed deploy request"):
        parse_deploy_request('{"action": "delete", "model_group": "g", "model_version": 1, "stage": "test"}', ("test",))
    with pytest.raises(RejectedEvent, match="unknown stage"):
        parse_deploy_request('{"action": "promote", "model_group": "g", "model_version": 1, "stage": "qa"}', ("test",))


def test_use_case_advances_while_every_model_is_approved():
    approved = records_for(ModelApprovalStatus="Approved")["development"]
    other = replace(approved, model_group="fraud-explainer", model_status="pending")
    tallies = tallies_of([approved, other])[approved.use_case_id]
    start = advance(_use_case(), tallies, {"development": "development", "qa": "test"}, trigger="e", actor="a", at="t")
    assert start.stage == "development" and models_approved(tallies, "development") == (False, ["fraud-explainer"])
    tallies = tallies_of([approved, replace(other, model_status="approved")])[approved.use_case_id]
    done = advance(_use_case(), tallies, {"development": "development"}, trigger="e", actor="a", at="t")
    assert done.stage == "qa" and done.history[0]["reason"] == "all models approved in development"
    assert done.history[0]["models"] == sorted([approved.model_group, "fraud-explainer"])


def test_tallies_follow_each_records_change_and_match_a_recount():
    """Every change of a version's records moves the tallies by what each record counted before and
    counts after; applied in any order they equal the tallies counted afresh from the records."""
    base = records_for(ModelApprovalStatus="Approved")["development"]
    uc, group = base.use_case_id, base.model_group
    pending = replace(base, model_status="pending")
    assert tally_changes(group, {}, [pending]) == {(uc, group, "development"): (1, 0)}
    assert tally_changes(group, {"development": counted(pending)}, [base]) == {(uc, group, "development"): (0, 1)}
    assert tally_changes(group, {"development": counted(base)}, [base]) == {}
    moved = replace(base, use_case_id="uc-other")  # its use case changed: counted out of one, into the other
    assert tally_changes(group, {"development": counted(base)}, [moved]) == {
        (uc, group, "development"): (-1, -1),
        ("uc-other", group, "development"): (1, 1),
    }
    assert tally_changes(group, {"development": None}, [replace(base, use_case_id=None)]) == {}
    # a history of changes over three versions, summed, equals the recount of the final records
    history = [(1, pending), (2, pending), (1, base), (3, moved), (2, replace(pending, model_status="rejected"))]
    totals: dict = {}
    final: dict = {}
    for version, record in history:
        before = {"development": counted(final[version])} if version in final else {}
        for key, (n, ok) in tally_changes(group, before, [record]).items():
            totals[key] = (totals.get(key, (0, 0))[0] + n, totals.get(key, (0, 0))[1] + ok)
        final[version] = record
    recount = {
        (u, t.group, t.stage): (t.records, t.approved) for u, ts in tallies_of(final.values()).items() for t in ts
    }
    assert {k: v for k, v in totals.items() if v != (0, 0)} == recount
    assert recount == {(uc, group, "development"): (2, 1), ("uc-other", group, "development"): (1, 1)}
    assert initial_stage("QA") == "qa" and initial_stage("nonsense") == "development"


def _use_case():
    from govsync.domain.usecases import UseCase

    return UseCase("uc-fraud", "Card fraud", "development")


def test_stage_targets_need_what_their_strategy_needs():
    with pytest.raises(ValueError, match="pipeline_name"):
        check_target(StageTarget(account="333333333333", strategy="codepipeline"))
    with pytest.raises(ValueError, match="12-digit"):
        StageTarget(account="333")


def test_a_write_counts_the_versions_records_from_before_the_tallies():
    """A version written before the tallies existed counts nothing; the first write of any of its records
    counts all of them (the one written, and the ones left as they were), once."""
    from govsync.domain.version_state import VersionState
    from tests.fakes import InMemoryStore

    base = records_for(ModelApprovalStatus="Approved")["development"]
    test = replace(base, model_stage="test", model_status="pending")
    store = InMemoryStore()
    store.commit(VersionState(base.model_group, 1), [base, test], None, "1")
    store.tallies.clear()  # as a table from before the tallies holds the version
    store.uncounted |= {(base.model_group, 1, "development"), (base.model_group, 1, "test")}
    state = store.load_version(base.model_group, 1)
    assert state.uncounted == {"development", "test"} and store.use_case_tallies(base.use_case_id) == []
    # When only the test record changes (approved), the development record is counted with it
    store.commit(state, [replace(test, model_status="approved")], None, "2")
    tallies = {(t.stage, t.records, t.approved) for t in store.use_case_tallies(base.use_case_id)}
    assert tallies == {("development", 1, 1), ("test", 1, 1)}
    assert store.load_version(base.model_group, 1).uncounted == set()
