"""Policy gates as pure rules (each passes, fails and skips with the value it saw and why), the policy
document (a mistake named by field and line), the registry door judged, an approval completed through
govsync, and the deploy function holding every kick to the gates: blocked, fixed, deployed once;
`on_fail: reject` setting the registry back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from govsync.adapters.described_package import snapshot_from_describe
from govsync.domain.approvals import ApprovalRules, Ask, decide
from govsync.domain.artifacts import COPIED, REPORT, ArtifactCopy
from govsync.domain.attribution import attribute
from govsync.domain.endpoint_metrics import Breach, MonitoringAlert
from govsync.domain.errors import ConfigurationProblem, Refused
from govsync.domain.gate_results import GateOutcome, GateReport, OnFail
from govsync.domain.governance import resolve_governance
from govsync.domain.people import Person
from govsync.domain.records import build_stage_records
from govsync.domain.registry_decisions import Approvers, through_govsync, through_registry
from govsync.domain.stages import StageConfig
from govsync.gates import GateContext, evaluate
from govsync.gates.policy import Policy, PolicyError, parse_policy, shipped_policy
from govsync.services.gate_checks import GateChecks

from .helpers import CENTRAL, described

CONFIG = StageConfig()
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
REGISTRANT = "arn:aws:sts::222222222222:assumed-role/DataScientist/alice"
OFFICER = f"arn:aws:sts::{CENTRAL}:assumed-role/ModelRiskOfficer/oscar"
OTHER_OFFICER = f"arn:aws:sts::{CENTRAL}:assumed-role/ModelRiskOfficer/olga"
OLIVIA = Person("olivia", "olivia@example.com", frozenset({"approvers"}))
AT = "2026-11-23T10:00:00+00:00"


def records(**overrides):
    pkg = snapshot_from_describe(described(**overrides))
    return pkg, build_stage_records(pkg, resolve_governance(pkg, {}, CONFIG.metadata_keys), CONFIG)


def approved_by(*people: str, risk: str = "medium", door: str = "registry", **overrides):
    """A version approved in development (by `people`), to be deployed into test."""
    pkg, recs = records(ModelApprovalStatus="Approved", **overrides)
    dev = replace(recs["development"], model_risk=risk)
    if door == "registry":
        decided = through_registry("approved", people[0], AT, pkg.created_by, pkg.account, Approvers())
    else:
        decided = through_govsync("approved", people, "d1", AT)
    return pkg, {"development": replace(dev, registry_decision=decided)}


def context(pkg, recs, stage="test"):
    return GateContext(pkg, recs, stage, CONFIG, NOW, ApprovalRules(), Approvers())


def check(rule_yaml: str, pkg, recs, stage="test"):
    policy = parse_policy(f"version: t\nrules:\n{rule_yaml}")
    (_, result) = evaluate(context(pkg, recs, stage), policy).results  # records_current, then the rule
    return result


# ---------------------------------------------------------------------------------------------- rules
def test_separation_of_duties_fails_when_the_registrant_approved_any_stage_through_any_door():
    result = check("  - rule: separation_of_duties", *approved_by(REGISTRANT))
    assert result.outcome is GateOutcome.FAIL and result.value == REGISTRANT
    assert "registered this version" in result.reason and "development" in result.reason
    passed = check("  - rule: separation_of_duties", *approved_by(OFFICER))
    assert passed.outcome is GateOutcome.PASS and passed.value == REGISTRANT


def test_approvers_counts_people_and_a_registry_decision_only_when_its_identity_may_decide():
    # an officer of the central account counts as one person: enough for medium risk
    passed = check("  - rule: approvers", *approved_by(OFFICER))
    assert passed.outcome is GateOutcome.PASS and passed.value == f"1 of 1: {OFFICER}"
    # the registrant's own approval, and another account's, count for nothing
    for who in (REGISTRANT, "arn:aws:iam::999999999999:user/mallory"):
        failed = check("  - rule: approvers", *approved_by(who))
        assert failed.outcome is GateOutcome.FAIL and failed.value == "0 of 1"
        assert "counts for nothing" in failed.reason
    # a high-risk version's test approval takes two: one is too few, two distinct are enough
    pkg, recs = approved_by(OFFICER)
    test = replace(recs["development"], model_stage="test", model_risk="high")
    recs = {**recs, "test": replace(test, registry_decision=through_govsync("approved", [OFFICER], "d", AT))}
    short = check("  - rule: approvers", pkg, recs, stage="production")
    assert short.outcome is GateOutcome.FAIL and short.value == f"1 of 2: {OFFICER}"
    assert "takes 2 distinct approvers for risk tier high" in short.reason
    one = through_govsync("approved", ["Olivia@Example.com", "olivia@example.com"], "d", AT)
    recs["test"] = replace(recs["test"], registry_decision=one)
    still = check("  - rule: approvers", pkg, recs, stage="production")  # one email in two cases: one person
    assert still.outcome is GateOutcome.FAIL and still.value == "1 of 2: Olivia@Example.com"
    recs["test"] = replace(recs["test"], registry_decision=through_govsync("approved", [OFFICER, "olivia"], "d", AT))
    assert check("  - rule: approvers", pkg, recs, stage="production").outcome is GateOutcome.PASS


@pytest.mark.parametrize("risk", ["\u0397igh", "High\u200b", "", "critical"])
def test_a_risk_naming_no_tier_fails_with_the_value_shown_escapes_and_all(risk):
    result = check("  - rule: risk_tier", *approved_by(OFFICER, risk=risk))
    assert result.outcome is GateOutcome.FAIL
    assert result.value == (ascii(risk) if risk else "nothing")
    assert "is not one of the risk tiers (high, medium, low)" in result.reason
    assert check("  - rule: risk_tier", *approved_by(OFFICER, risk="\uff28\uff29\uff27\uff28")).value == "high"


def test_metadata_complete_names_the_missing_keys():
    pkg, recs = approved_by(OFFICER)
    recs["development"] = replace(recs["development"], metadata_missing=("ModelOwner", "ModelLoB"))
    result = check("  - rule: metadata_complete", pkg, recs)
    assert result.outcome is GateOutcome.FAIL and result.value == "ModelOwner, ModelLoB"
    assert check("  - rule: metadata_complete", *approved_by(OFFICER)).outcome is GateOutcome.PASS
    # a version's use-case stage is its use case's: not asked of the version unless the policy names it
    recs["development"] = replace(recs["development"], metadata_missing=("UseCaseStage",))
    assert check("  - rule: metadata_complete", pkg, recs).outcome is GateOutcome.PASS
    named = check("  - rule: metadata_complete\n    keys: [UseCaseStage, ModelOwner]", pkg, recs)
    assert named.outcome is GateOutcome.FAIL and named.value == "UseCaseStage"


def test_model_card_must_be_linked_and_approved():
    rule = "  - rule: model_card"
    assert check(rule, *approved_by(OFFICER)).value == "none"
    draft = approved_by(OFFICER, ModelCard={"ModelCardContent": "{}", "ModelCardStatus": "Draft"})
    assert check(rule, *draft).reason == "the model card is Draft, not Approved"
    card = approved_by(OFFICER, ModelCard={"ModelCardContent": "{}", "ModelCardStatus": "Approved"})
    assert check(rule, *card).outcome is GateOutcome.PASS


def test_validation_metric_holds_the_reports_value_to_its_threshold():
    rule = "  - rule: validation_metric\n    metric: auc\n    at_least: 0.8"
    pkg, recs = approved_by(OFFICER)
    assert "has no numeric auc" in check(rule, pkg, recs).reason
    recs["development"] = replace(recs["development"], model_validation_metrics={"auc": 0.74})
    low = check(rule, pkg, recs)
    assert low.outcome is GateOutcome.FAIL and low.value == "0.74" and low.reason == "auc is 0.74, want >= 0.8"
    recs["development"] = replace(recs["development"], model_validation_metrics={"auc": 0.91})
    assert check(rule, pkg, recs).outcome is GateOutcome.PASS


def test_reports_must_be_present_and_copied():
    rule = "  - rule: reports\n    reports: [bias, explainability]"
    pkg, recs = approved_by(OFFICER)
    assert check(rule, pkg, recs).value == "bias, explainability"
    bias = ArtifactCopy("report/bias-post-training-report", REPORT, "s3://dev/b.json", status=COPIED)
    recs["development"] = replace(recs["development"], artifacts=[bias])
    assert check(rule, pkg, recs).value == "explainability"
    explain = ArtifactCopy("report/explainability-report", REPORT, "s3://dev/e.json", status=COPIED)
    recs["development"] = replace(recs["development"], artifacts=[bias, explain])
    assert check(rule, pkg, recs).outcome is GateOutcome.PASS


def test_lineage_and_open_alerts():
    assert check("  - rule: lineage", *approved_by(OFFICER)).outcome is GateOutcome.FAIL
    traced = approved_by(OFFICER, SourceUri="arn:aws:sagemaker:us-east-1:222222222222:training-job/t1")
    assert check("  - rule: lineage", *traced).value.endswith("training-job/t1")
    pkg, recs = approved_by(OFFICER)
    assert check("  - rule: no_open_alert", pkg, recs).outcome is GateOutcome.PASS
    alert = MonitoringAlert("2026-12-05T16:00:00+00:00", "w", (Breach("invocation_5xx_rate", 0.03, 0.02),))
    recs["development"] = replace(recs["development"], monitoring_alert=alert)
    failed = check("  - rule: no_open_alert", pkg, recs)
    assert failed.outcome is GateOutcome.FAIL and failed.value == "invocation_5xx_rate 0.03 over 0.02"


def test_a_rule_skips_the_stages_and_tiers_it_leaves_out_but_never_an_unknown_tier():
    rule = "  - rule: model_card\n    stages: [production]\n    risk_tiers: [high]"
    skipped = check(rule, *approved_by(OFFICER))
    assert skipped.outcome is GateOutcome.SKIP and skipped.reason == "applies to deployments into production, not test"
    pkg, recs = approved_by(OFFICER, risk="medium")
    recs["test"] = replace(recs["development"], model_stage="test")
    assert check(rule, pkg, recs, stage="production").reason == "applies to risk tiers high, not medium"
    recs["test"] = replace(recs["test"], model_risk="\u0397igh")  # a homoglyph: the rule applies
    assert check(rule, pkg, recs, stage="production").outcome is GateOutcome.FAIL


def test_records_behind_the_registry_block_until_its_event_arrives():
    pkg, recs = approved_by(OFFICER)
    later = replace(pkg, last_modified_time=datetime(2026, 12, 1, tzinfo=UTC))
    report = evaluate(context(later, recs), shipped_policy())
    assert report.results[0].rule == "records_current" and report.results[0].outcome is GateOutcome.FAIL
    assert "waiting for its event" in report.reasons()
    assert evaluate(context(pkg, recs), shipped_policy()).passed


# ---------------------------------------------------------------------------------------------- policy
def test_the_shipped_policy_holds_the_four_default_rules_and_blocks_on_failure():
    policy = shipped_policy()
    assert [r.rule for r in policy.rules] == ["separation_of_duties", "approvers", "risk_tier", "metadata_complete"]
    assert all(r.on_fail is OnFail.BLOCK for r in policy.rules)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("version: 1\nrules:\n  - rule: approvers\n    stagez: [test]\n", "rules.0.stagez (line 4): Extra inputs"),
        ("version: 1\nrules:\n  - rule: nope\n", "rules.0 (line 3): unknown rule 'nope'; rules are"),
        ("version: 1\nrules:\n  - rule: validation_metric\n    metric: auc\n", "takes at_least, at_most or both"),
        ("version: 1\nrules:\n  - rule: approvers\n    on_fail: explode\n", "rules.0.on_fail (line 4)"),
        ("rules: [\n", "not YAML (line 2)"),
        ("- 1\n", "want a mapping with `version` and `rules`"),
        ("rules: []\n", "version (line 1): Field required"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field_and_its_line(document, message):
    with pytest.raises(PolicyError, match="the gate policy: .*" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_policy(document)


def test_a_policy_names_only_the_stacks_stages_and_tiers():
    policy = parse_policy("version: 2\nrules:\n  - rule: lineage\n    stages: [prod]\n")
    with pytest.raises(PolicyError, match=r"rules\[0\] \(lineage\).stages: \['prod'\] are not stages"):
        policy.check_names(CONFIG.stages, ("high", "medium", "low"))
    tiers = parse_policy("version: 2\nrules:\n  - rule: lineage\n    risk_tiers: [extreme]\n")
    with pytest.raises(PolicyError, match="risk_tiers: \\['extreme'\\] are not risk tiers"):
        tiers.check_names(CONFIG.stages, ("high", "medium", "low"))
    assert parse_policy("version: 3\nrules: []").version == "3"


def test_a_policy_that_cannot_be_read_refuses_every_check_naming_why(monkeypatch):
    from govsync.adapters import parameters
    from govsync.settings import DeploySettings
    from govsync.wiring.gates import gate_checks

    monkeypatch.setattr(parameters, "parameter_text", lambda name, region: "version: 1\nrules:\n  - rule: nope\n")
    settings = DeploySettings.from_env({"GOVSYNC_TABLE": "gov", "AWS_REGION": "us-east-1",
                                        "GOVSYNC_GATE_POLICY_PARAMETER": "/govsync/gates"})  # fmt: skip
    checks = gate_checks(settings)
    assert checks.policy is None and "SSM parameter /govsync/gates" in checks.problem
    with pytest.raises(ConfigurationProblem, match="unknown rule 'nope'"):
        checks.report(*approved_by(OFFICER), "test", NOW)


# ---------------------------------------------------------------------------------------------- the registry door
def test_a_registry_decision_is_judged_by_who_made_it():
    pkg, recs = records(ModelApprovalStatus="Approved", LastModifiedBy={"IamIdentity": {"Arn": REGISTRANT}})
    pending = {s: replace(r, registry_status="pending", model_status="pending") for s, r in recs.items()}
    after, _ = attribute(pending, recs, pkg, Approvers())
    decided = after["development"].registry_decision
    assert decided.door == "registry" and decided.by == (REGISTRANT,) and not decided.authorized
    assert "separation of duties" in decided.reason
    # it counts for nothing: the governance decision stays pending (the approval queue shows it)
    assert after["development"].model_status == "pending" and after["development"].registry_status == "approved"
    narrowed = Approvers((f"arn:aws:sts::{CENTRAL}:assumed-role/ModelRiskOfficer/*",))
    officer = replace(pkg, last_modified_by=OFFICER)
    counted = attribute(pending, recs, officer, narrowed)[0]["development"]
    assert counted.registry_decision.authorized and counted.model_status == "approved"
    admin = replace(pkg, last_modified_by=f"arn:aws:sts::{CENTRAL}:assumed-role/Admin/ann")
    refused = attribute(pending, recs, admin, narrowed)[0]["development"].registry_decision
    assert not refused.authorized and "is not one of the approver identities" in refused.reason


def test_an_approval_touched_by_someone_who_may_not_decide_no_longer_counts():
    pkg, before = records(ModelApprovalStatus="Approved")
    approved = through_registry("approved", OFFICER, AT, pkg.created_by, pkg.account, Approvers())
    before = {"development": replace(before["development"], registry_decision=approved)}
    touched = replace(pkg, last_modified_by=REGISTRANT)
    after, _ = attribute(before, dict(before), touched, Approvers(), frozenset({"development"}))
    decided = after["development"].registry_decision
    assert not decided.authorized and f"changed by {REGISTRANT} after {OFFICER} approved it" in decided.reason
    assert after["development"].model_status == "pending"
    # an officer touching it leaves the approval as it was
    kept, _ = attribute(before, dict(before), replace(pkg, last_modified_by=OTHER_OFFICER), Approvers(),
                        frozenset({"development"}))  # fmt: skip
    assert kept["development"].registry_decision == approved


def test_an_approval_through_govsync_completes_a_registry_approval_with_too_few_approvers():
    pkg, recs = approved_by(OFFICER, risk="high")
    test = replace(recs["development"], model_stage="test", model_status="approved", registry_status="approved",
                   registry_decision=through_registry("approved", OFFICER, AT, pkg.created_by, pkg.account,
                                                      Approvers()))  # fmt: skip
    recs = {**recs, "test": test}
    ask = Ask("d2", "test", "approve", "second look", OLIVIA, "2026-12-01T10:00:00+00:00", AT)
    verdict = decide(ask, recs, CONFIG, ApprovalRules(), pkg.created_by, {}, "approved")
    assert verdict.outcome == "sent" and verdict.approvers == (OFFICER, "olivia@example.com")
    # once the registry's event brings it back, both count
    sent = {**recs, "test": verdict.record}
    after, actor = attribute(sent, sent, pkg, Approvers(), frozenset({"test"}))
    assert after["test"].registry_decision.by == (OFFICER, "olivia@example.com") and actor == "olivia@example.com"
    # an approval with enough approvers is not approved again
    with pytest.raises(Refused, match="already approved in the registry, by"):
        decide(replace(ask, person=Person("otto", "otto@example.com", frozenset({"approvers"}))), after, CONFIG,
               ApprovalRules(), pkg.created_by, {}, "approved")  # fmt: skip
    # the officer who approved in the registry cannot countersign himself
    officer = Person("oscar", None, frozenset({"admins"}), identity=OFFICER)
    with pytest.raises(Refused, match="already approved test"):
        decide(replace(ask, person=officer), recs, CONFIG, ApprovalRules(), pkg.created_by, {}, "approved")


def test_a_report_round_trips_and_says_its_failures_in_words():
    pkg, recs = approved_by(REGISTRANT)
    report = GateChecks(shipped_policy(), CONFIG, ApprovalRules(), Approvers()).report(pkg, recs, "test", NOW)
    assert not report.passed and GateReport.from_json(report.to_json()) == report
    assert [r.rule for r in report.failures] == ["separation_of_duties", "approvers"]
    assert report.reasons().startswith("separation_of_duties: ")
    assert Policy.model_validate({"version": "x"}).rules == ()


# ---------------------------------------------------------------------------------------------- the deploy boundary
def test_a_version_the_registrant_approved_herself_is_blocked_then_deployed_once_an_officer_decides():
    from .test_convergence import ACCOUNTS, Burst
    from .test_convergence import GATES as GATES_OF_BURST
    from .test_convergence import OFFICER as CENTRAL_OFFICER
    from .test_convergence import REGISTRANT as DEV_REGISTRANT

    burst = Burst()
    arn = burst.registry.register("fraud")
    # the data scientist approves her own version in the registry, with her dev account's keys
    burst.registry.decide(arn, "Approved", DEV_REGISTRANT)
    burst.drain()
    records = burst.store.records[("fraud", 1)]
    assert burst.endpoints.kicks == [] and not burst.endpoints.endpoints
    # her approval counts for nothing: development still waits for a decision, nothing is promoted
    assert not records["development"].registry_decision.authorized
    assert records["development"].model_status == "pending" and "test" not in records
    # and were a deployment asked for, the gates would say why it waits
    pkg = burst.registry.describe_package(arn, "us-east-1")
    report = GATES_OF_BURST.report(pkg, records, "test", NOW)
    assert [r.rule for r in report.failures] == ["separation_of_duties", "approvers"]
    # an officer approving it again in the registry (the status unchanged) does not make it count: the
    # registry cannot say whose approval it now is
    burst.registry.decide(arn, "Approved", CENTRAL_OFFICER)
    burst.drain()
    assert (
        burst.endpoints.kicks == []
        and not burst.store.records[("fraud", 1)]["development"].registry_decision.authorized
    )
    # an officer of the central account rejects it and approves it anew: it deploys, exactly once
    burst.registry.decide(arn, "Rejected", CENTRAL_OFFICER)
    burst.drain()
    burst.registry.decide(arn, "Approved", CENTRAL_OFFICER)
    burst.drain()
    records = burst.store.records[("fraud", 1)]
    assert burst.endpoints.kicks == [("test", 1)]
    assert burst.endpoints.endpoints[(ACCOUNTS["test"], "fraud-test")]["version"] == 1
    assert records["test"].deployment_status == "deployed" and records["test"].gates.passed
    burst.drain()  # nothing more to do: no second kick
    assert burst.endpoints.kicks == [("test", 1)]


def test_a_failing_rule_with_on_fail_reject_sets_the_registry_back_with_the_reasons():
    from .test_convergence import CONFIG as BURST_CONFIG
    from .test_convergence import OFFICER as CENTRAL_OFFICER
    from .test_convergence import SETTINGS, Burst

    burst = Burst()
    policy = parse_policy("version: strict\nrules:\n  - rule: validation_metric\n    metric: auc\n"
                          "    at_least: 0.8\n    on_fail: reject\n")  # fmt: skip
    burst.deploy.gates = GateChecks(policy, BURST_CONFIG, SETTINGS.approvals, SETTINGS.approvers)
    arn = burst.registry.register("fraud")
    burst.registry.decide(arn, "Approved", CENTRAL_OFFICER)
    burst.drain()
    records = burst.store.records[("fraud", 1)]
    assert burst.endpoints.kicks == []
    assert records["test"].deployment_status == "blocked" and records["test"].gates.policy_version == "strict"
    assert burst.registry.packages[arn]["ModelApprovalStatus"] == "Rejected"
    assert records["development"].model_status == "rejected"
    assert records["development"].stage_description.startswith("govsync policy gates: validation_metric: ")


def test_the_gates_page_commands_parse_and_name_real_parameters():
    import shlex
    from pathlib import Path

    from govsync_cli.main import build_parser
    from govsync_local import template as tpl

    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "gates.md").read_text()
    commands, fence = [], None  # the lines of the plain (language-less) blocks: commands
    for line in page.splitlines():
        if line.startswith("```"):
            fence = None if fence is not None else line[3:]
        elif fence == "":
            commands.append(line)
    lines = [shlex.split(line) for line in commands]
    lines = [words[: words.index("#")] if "#" in words else words for words in lines if words]
    check = next(w for w in lines if w[:3] == ["govsync", "gates", "check"])
    build_parser().parse_args([*check[1:3], "fraud-detector", "1", "--stage", "production", "--json"])
    put = next(w for w in lines if w[:3] == ["aws", "ssm", "put-parameter"])
    deploy = next(w for w in lines if w[:2] == ["sam", "deploy"])
    name, value = deploy[deploy.index("--parameter-overrides") + 1].split("=", 1)
    assert name in tpl.load(str(root / "template.yaml"))["Parameters"]
    assert value == put[put.index("--name") + 1]
    assert '--8<-- "layers/govsync/govsync/gates/policy.yaml"' in page  # the shipped policy, as it is
