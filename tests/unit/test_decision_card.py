"""What the approval queue tells a decider about each waiting stage (`Decisions.pending`): the live alert
on the stage before as well as its own, the gates' last word, the review, lineage, the approvals so far
and the previous decision, the configured risk tier its risk names."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from govsync.domain.decisions import Decision
from govsync.domain.endpoint_metrics import Breach, MonitoringAlert
from govsync.domain.gate_results import GateOutcome, GateReport, GateResult
from govsync.domain.records import PENDING
from govsync.services.decisions import Decisions
from govsync.settings import ApiSettings
from tests.fakes import InMemoryStore

from .test_promotion import records_for

SETTINGS = ApiSettings.from_env({"GOVSYNC_TABLE": "gov", "AWS_DEFAULT_REGION": "us-east-1",
                                 "GOVSYNC_ALLOWED_ACCOUNTS": "111111111111"})  # fmt: skip
NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
BREACHES = (Breach("invocation_5xx_rate", 0.03, 0.02), Breach("model_latency_p90_us", 303500, 250000))
ALERT = MonitoringAlert("2026-12-07T03:00:00+00:00", "2026-12-07T11:00:00+00:00", BREACHES)


def version_records() -> dict:
    """One record per stage of the chain (the first stage's, copied)."""
    base = next(iter(records_for().values()))
    return {stage: replace(base, model_stage=stage) for stage in SETTINGS.stages}


def decision(state: str, verdict: str, by: str, comment: str) -> Decision:
    return Decision("d-" + by, verdict, by, by, None, comment, "2026-12-06T10:00:00+00:00", "t", state)


def queue(records) -> list[dict]:
    store = InMemoryStore()
    first = next(iter(records.values()))
    store.records[(first.model_group, first.model_version)] = records
    return Decisions(SETTINGS, store, registry=None, clock=lambda: NOW).pending()  # type: ignore[arg-type]


def test_a_waiting_stage_shows_the_alert_below_it_its_gates_and_the_decisions_so_far():
    records = version_records()
    stages = list(records)
    below, waiting = stages[-2], stages[-1]
    gates = GateReport(waiting, "v3", "2026-12-06T09:00:00+00:00",
                       (GateResult("no_open_alert", GateOutcome.FAIL, f"an alert is open in {below}"),
                        GateResult("model_card", GateOutcome.PASS, "the card is approved")))  # fmt: skip
    records[below] = replace(records[below], monitoring_alert=ALERT)
    records[waiting] = replace(
        records[waiting], model_status=PENDING, model_risk="High", gates=gates,
        decisions=[decision("sent", "reject", "olivia", "latency too high"),
                   decision("collected", "approve", "oscar", "fixed in v2's config")],
    )  # fmt: skip
    [row] = [r for r in queue(records) if r["stage"] == waiting]
    assert row["alerts"] == [{"stage": below, **ALERT.to_json()}]
    failed = row["gates"]["results"][0]
    assert (failed["rule"], failed["outcome"]) == ("no_open_alert", "fail")
    assert failed["reason"] == f"an alert is open in {below}"
    assert row["previous_decision"] == {"decision": "reject", "by": "olivia", "comment": "latency too high",
                                        "at": "2026-12-06T10:00:00+00:00", "state": "sent"}  # fmt: skip
    assert [a["by"] for a in row["approvals"]] == ["oscar"]
    assert row["risk_tier"] == "high" and row["model_risk"] == "High"


def test_a_quiet_stage_has_nothing_to_warn_of_and_an_unknown_risk_names_no_tier():
    records = version_records()
    first = next(iter(records))
    records[first] = replace(records[first], model_status=PENDING, model_risk="spicy")
    [row] = [r for r in queue(records) if r["stage"] == first]
    assert (row["alerts"], row["gates"], row["previous_decision"], row["risk_tier"]) == ([], None, None, None)
    rules = SETTINGS.approvals
    assert row["approvals_required"] == max(rules.required(first, tier) for tier in rules.risk_tiers)
