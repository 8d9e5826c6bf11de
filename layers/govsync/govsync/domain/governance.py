"""A version's governance attributes (use case, owner, line of business, project, risk): where each is
read from (the model card first, then CustomerMetadataProperties, then the group's tags) and which are
missing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govsync.domain.package import PackageSnapshot

# Record field -> metadata key looked up in CustomerMetadataProperties, group tags and the model
# card's custom details. Configurable through settings.
DEFAULT_METADATA_KEYS: dict[str, str] = {
    "use_case_id": "UseCaseId",
    "use_case_name": "UseCaseName",
    "use_case_stage": "UseCaseStage",
    "model_owner": "ModelOwner",
    "model_lob": "ModelLoB",
    "model_project": "ModelProject",
    "model_risk": "ModelRisk",
}


# Record field -> structured model card path, consulted before the card's custom details.
CARD_PATHS: dict[str, tuple[str, str]] = {
    "model_owner": ("model_overview", "model_owner"),
    "model_risk": ("intended_uses", "risk_rating"),
    "model_lob": ("business_details", "line_of_business"),
}


@dataclass(frozen=True, slots=True)
class Governance:
    values: dict[str, str | None]
    missing: tuple[str, ...]


def _card_value(card: dict[str, Any], field_name: str, key: str) -> str | None:
    if path := CARD_PATHS.get(field_name):
        section = card.get(path[0])
        if isinstance(section, dict) and section.get(path[1]) not in (None, ""):
            return str(section[path[1]])
    info = card.get("additional_information")
    custom = info.get("custom_details") if isinstance(info, dict) else None
    if isinstance(custom, dict) and custom.get(key) not in (None, ""):
        return str(custom[key])
    return None


def resolve_governance(pkg: PackageSnapshot, group_tags: dict[str, str], keys: dict[str, str]) -> Governance:
    """Model card first, then CustomerMetadataProperties, then the group's tags."""
    values: dict[str, str | None] = {}
    missing: list[str] = []
    for field_name, key in keys.items():
        value = _card_value(pkg.model_card, field_name, key)
        if value is None:
            value = pkg.customer_metadata.get(key) or group_tags.get(key) or None
        values[field_name] = value
        if value is None:
            missing.append(key)
    return Governance(values=values, missing=tuple(missing))
