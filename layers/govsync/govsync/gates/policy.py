"""The gate policy: a versioned YAML document naming the rules in force, in the order they are
evaluated, each with the stages and risk tiers it applies to and what a failure does. The stack ships
`policy.yaml` beside this module; an SSM parameter (`GatePolicyParameter`) may replace it. A document
is checked when a function starts: a mistake is an error naming the field and its line.

    version: "2026-12-06"          # recorded with every result
    rules:
      - rule: approvers
      - rule: validation_metric
        metric: auc
        at_least: 0.8
        stages: [production]
        risk_tiers: [high]
        on_fail: reject            # block (the default) or reject
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from govsync.domain.identity import canonical
from govsync.gates.approvers import Approvers
from govsync.gates.lineage import Lineage
from govsync.gates.metadata_complete import MetadataComplete
from govsync.gates.model_card import ModelCard
from govsync.gates.no_open_alert import NoOpenAlert
from govsync.gates.reports import Reports
from govsync.gates.risk_tier import RiskTier
from govsync.gates.separation_of_duties import SeparationOfDuties
from govsync.gates.validation_metric import ValidationMetric

SHIPPED = "policy.yaml"
MAX_DOCUMENT_BYTES = 64 * 1024

AnyRule = Annotated[
    SeparationOfDuties | Approvers | RiskTier | MetadataComplete | ModelCard | ValidationMetric | Reports
    | Lineage | NoOpenAlert,
    Field(discriminator="rule"),
]  # fmt: skip
RULE_NAMES = ("separation_of_duties", "approvers", "risk_tier", "metadata_complete", "model_card",
              "validation_metric", "reports", "lineage", "no_open_alert")  # fmt: skip


class PolicyError(ValueError):
    """A gate policy that cannot be used: the message names the field and its line."""


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # built when a policy is read

    version: str = Field(min_length=1, max_length=100, description="the policy's version, recorded with results")
    rules: tuple[AnyRule, ...] = Field(default=(), max_length=50)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        """`version: 3` and `version: "3"` are one version."""
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    def check_names(self, stages: Sequence[str], tiers: Sequence[str]) -> None:
        """Every stage and risk tier a rule names is one the stack has (PolicyError naming the rule)."""
        known_tiers = {canonical(t) for t in tiers}
        for index, rule in enumerate(self.rules):
            unknown = [s for s in rule.stages if s not in stages]
            if unknown:
                raise PolicyError(f"rules[{index}] ({rule.rule}).stages: {unknown} are not stages of the chain "
                                  f"({', '.join(stages)})")  # fmt: skip
            unknown = [t for t in rule.risk_tiers if canonical(t) not in known_tiers]
            if unknown:
                raise PolicyError(f"rules[{index}] ({rule.rule}).risk_tiers: {unknown} are not risk tiers "
                                  f"({', '.join(tiers)})")  # fmt: skip


def _line(root: Any, path: Sequence[int | str]) -> int | None:
    """The 1-based line of the node at `path` in the composed document (the deepest one found)."""
    import yaml

    node, line = root, None
    for part in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        elif isinstance(node, yaml.SequenceNode):
            node = None
    return node.start_mark.line + 1 if node is not None else line


def _field(location: Sequence[int | str]) -> list[int | str]:
    """A pydantic error location without the discriminator's tag (`rules.0.approvers.x` -> `rules.0.x`)."""
    kept: list[int | str] = []
    for index, part in enumerate(location):
        if index == 2 and location[0] == "rules" and part in RULE_NAMES:
            continue
        kept.append(part)
    return kept


def parse_policy(text: str, source: str = "the gate policy") -> Policy:
    """The policy a YAML document says; PolicyError naming the field and its line otherwise."""
    import yaml  # read once, when a function starts: not on every import of the gates

    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        raise PolicyError(f"{source}: larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise PolicyError(f"{source}: not YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: want a mapping with `version` and `rules`")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            path = _field(error["loc"])
            line = _line(root, path)
            where = f" (line {line})" if line else ""
            name = ".".join(str(p) for p in path) or "(document)"
            message = error["msg"]
            if error["type"] == "union_tag_invalid":
                message = f"unknown rule {error['input'].get('rule')!r}; rules are {', '.join(RULE_NAMES)}"
            problems.append(f"{name}{where}: {message}")
        raise PolicyError(f"{source}: " + "; ".join(problems)) from None


def shipped_policy() -> Policy:
    """The policy the stack ships (`gates/policy.yaml`)."""
    text = resources.files(__package__).joinpath(SHIPPED).read_text(encoding="utf-8")
    return parse_policy(text, f"the shipped {SHIPPED}")
