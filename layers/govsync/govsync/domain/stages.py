"""The promotion chain: its stages in order, and how the registry's lifecycle stage names map onto it."""

from __future__ import annotations

from dataclasses import dataclass, field

from govsync.domain.governance import DEFAULT_METADATA_KEYS


@dataclass(frozen=True, slots=True)
class StageConfig:
    """The promotion chain and how ModelLifeCycle stage names map onto it."""

    stages: tuple[str, ...] = ("development", "test", "production")
    aliases: dict[str, str] = field(default_factory=lambda: {"staging": "test", "prod": "production"})
    metadata_keys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_METADATA_KEYS))

    @property
    def first(self) -> str:
        return self.stages[0]

    def next_stage(self, stage: str) -> str | None:
        index = self.stages.index(stage)
        return self.stages[index + 1] if index + 1 < len(self.stages) else None

    def previous_stage(self, stage: str) -> str | None:
        index = self.stages.index(stage)
        return self.stages[index - 1] if index > 0 else None

    def stage_for(self, lifecycle_stage: str) -> str | None:
        """Configured stage names match case-insensitively; aliases map the rest."""
        wanted = lifecycle_stage.strip().lower()
        for stage in self.stages:
            if stage.lower() == wanted:
                return stage
        alias = {k.lower(): v for k, v in self.aliases.items()}.get(wanted)
        return alias if alias in self.stages else None
