"""Policy gates: the rules a version must pass before a deployment is kicked into a stage.

A gate is one module of this package behind the `Gate` protocol: given what is known at the moment of
deciding (`GateContext`: the package as the registry just said, the version's stage records and the
stage about to be deployed), it answers with a `GateResult` that passes or says why not. `RULES` is the
one list of the gates in force, in the order they are evaluated; `evaluate` runs them all (a failing gate
does not hide the ones after it, so a refusal names every reason at once). Gates are pure: no AWS call,
no clock but the one in the context.

No rule is in force yet: `RULES` is empty, so every deployment passes, as before gates existed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from govsync.domain.package import PackageSnapshot
from govsync.domain.records import StageRecord


@dataclass(frozen=True, slots=True)
class GateContext:
    """What a gate decides from: the package as just read, the version's records by stage, the stage
    the deployment goes to, and when."""

    package: PackageSnapshot
    records: Mapping[str, StageRecord]
    stage: str
    now: datetime


@dataclass(frozen=True, slots=True)
class GateResult:
    gate: str  # the gate's name
    passed: bool
    reason: str = ""  # why it failed, in words a person reads (empty when it passed)


class Gate(Protocol):
    """One rule. `name` names it in results, logs and the record."""

    @property
    def name(self) -> str: ...

    def check(self, context: GateContext) -> GateResult: ...


# the gates in force, in the order they are evaluated
RULES: tuple[Gate, ...] = ()


def evaluate(context: GateContext, rules: Sequence[Gate] = RULES) -> list[GateResult]:
    """Every gate's result, in order."""
    return [gate.check(context) for gate in rules]


def failures(results: Sequence[GateResult]) -> list[GateResult]:
    """The results that block the deployment."""
    return [result for result in results if not result.passed]
