"""Interleavings random runs of `test_convergence` found, kept as they were found (each ended on the wrong
version before its fix): the same services, store and fakes, the steps in order."""

from __future__ import annotations

from .test_convergence import OFFICER, REGISTRANT, Burst

TEST_ENDPOINT = ("333333333333", "churn-test")


def arn(group: str, version: int) -> str:
    return f"arn:aws:sagemaker:us-east-1:111111111111:model-package/{group}/{version}"


class Steps(Burst):
    """The burst's rules as plain steps (the index a rule would draw is given)."""

    def fail_send(self, index: int = 0) -> None:
        self.queue.fail_next = True
        self._deliver(self.registry.events.pop(index))
        self.queue.fail_next = False

    def deliver(self, index: int = 0) -> None:
        self._deliver(self.registry.events.pop(index))

    def redeliver(self, index: int = 0) -> None:
        message_id, body = self.failed.pop(index)
        self._handle(body, message_id, receive_count=2)

    def decide_as_officer(self, group: str, version: int, decision: str) -> None:
        self.registry.decide(arn(group, version), decision, OFFICER)

    def served(self) -> int:
        return int(self.endpoints.endpoints[TEST_ENDPOINT]["version"])


def test_a_version_taken_off_while_it_was_rejected_comes_back_when_it_is_approved_again():
    s = Steps()
    s.register("churn"), s.fail_send(), s.register("fraud"), s.fail_send()
    s.decide_as_officer("churn", 1, "Approved"), s.fail_send()
    s.register("churn"), s.redeliver()
    s.decide_as_officer("churn", 2, "Approved"), s.decide_as_officer("churn", 1, "Rejected")
    s.deliver(), s.fail_send(), s.fail_send()
    s.register("churn"), s.register("churn")
    s._run_deploy(0), s._run_deploy(0)
    s.fail_send(), s.fail_send()
    s.register("fraud")
    s.decide_as_officer("churn", 4, "Approved"), s.fail_send(), s.fail_send()
    s._settle(0)
    s.register("fraud")
    s.decide_as_officer("churn", 1, "Approved"), s.redeliver(), s._run_deploy(0)
    assert s.served() == 4
    s.decide_as_officer("churn", 4, "Rejected")  # its event is not applied before v1's request runs
    s._settle(0), s.deliver(1), s._run_deploy(0)
    assert s.served() == 2  # the stage went back while v4 was rejected
    s.fail_send()
    s.decide_as_officer("churn", 4, "Approved")
    s.fail_send(), s.fail_send(), s._settle(0)
    for _ in range(3):
        s.register("fraud"), s.fail_send()
    s.teardown()  # drains everything, then holds the invariants
    assert s.served() == 4


def test_a_rollback_waits_for_the_event_of_the_version_it_goes_back_to():
    s = Steps()
    s.register("churn"), s.fail_send(), s.register("fraud"), s.fail_send()
    s.decide_as_officer("churn", 1, "Approved"), s.fail_send()
    s.register("churn"), s.fail_send(), s.redeliver()
    s.decide_as_officer("churn", 2, "Approved"), s.fail_send(), s.redeliver()
    s.register("churn"), s.register("churn")
    s._run_deploy(0), s._run_deploy(0)
    s.fail_send(), s.fail_send()
    s.decide_as_officer("churn", 4, "Approved"), s.fail_send()
    s._settle(0), s.redeliver()
    s.register("fraud")
    s._run_deploy(0)
    s.decide_as_officer("churn", 1, "Rejected"), s.decide_as_officer("churn", 4, "Rejected")
    s.deliver(2)
    # v2 approved again: its event is still on its way when v4's rollback runs
    s.decide_as_officer("churn", 2, "Approved")
    s.fail_send(), s.fail_send()
    s._run_deploy(0)
    assert s.pending_deploys, "the rollback waits (SQS hands it again) instead of finding nothing to go back to"
    s.fail_send(), s._settle(0)
    for _ in range(4):
        s.register("fraud"), s.fail_send()
    s.teardown()
    assert s.served() == 2


def test_a_rollback_takes_off_the_rejected_version_even_when_the_registrant_approves_it_again():
    s = Steps()
    s.register("fraud"), s.fail_send(), s.register("fraud"), s.fail_send()
    s.decide_as_officer("fraud", 1, "Approved"), s.fail_send(), s.redeliver()
    s.register("fraud"), s.fail_send()
    s.decide_as_officer("fraud", 3, "Approved"), s.fail_send(), s.redeliver()
    s.register("fraud"), s.fail_send()
    s._run_deploy(0)  # v1's request: v3 is newer and approved, v3 goes to test
    s.decide_as_officer("fraud", 3, "test/Rejected"), s.fail_send()
    # the data scientist approves her own version in the registry: it counts for nothing
    s.registry.decide(arn("fraud", 3), "Staging/Approved", REGISTRANT)
    s.teardown()
    assert s.endpoints.endpoints[("333333333333", "fraud-test")]["version"] == 1


def test_an_overtaken_version_approved_again_comes_back_when_the_newer_one_is_gone():
    s, officer = Steps(), Steps.decide_as_officer
    s.register("churn"), s.fail_send(), s.register("fraud"), s.fail_send(), s.register("churn")
    officer(s, "churn", 1, "Approved"), s.fail_send(), s.deliver()
    s.register("churn"), s.fail_send()
    officer(s, "churn", 3, "Approved"), s.fail_send(), s.redeliver()
    s.register("fraud"), s.fail_send(), s.register("fraud"), s.fail_send()
    s._run_deploy(0)  # v1's request is overtaken: v3 goes to test
    officer(s, "churn", 3, "Rejected"), s.fail_send(), s._settle(0), s.redeliver()
    officer(s, "churn", 1, "Rejected"), s.fail_send()
    s._run_deploy(0)  # v3's rollback: nothing approved to go back to, v3 stays
    s.register("fraud"), s.fail_send(), s._run_deploy(0)
    assert s.served() == 3
    # v1 approved again, rejected in test, then approved in test: deployable in test again
    officer(s, "churn", 1, "Approved"), officer(s, "churn", 1, "test/Rejected")
    s.fail_send(), s.fail_send(), s.register("fraud")
    officer(s, "churn", 1, "Staging/Approved")
    s.teardown()
    assert s.served() == 1
