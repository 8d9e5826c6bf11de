"""What the governance API accepts: request bodies, validated field by field (pydantic)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from govsync.domain.usecases import USE_CASE_STAGES

USE_CASE_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
GROUP_NAME = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"  # SageMaker's model package group name
COMMENT = Field(
    min_length=1, max_length=1024, description="Why: stored on the record, the audit entry and the registry"
)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class _Commented(_Body):
    comment: str = COMMENT

    @field_validator("comment")
    @classmethod
    def _said(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a decision takes a comment saying why")
        return value


class StageDecision(_Commented):
    decision: Literal["approve", "reject"]


class ReviewDecision(_Commented):
    """A periodic review of a live model: what the reviewer found (no other field)."""


class RetirementRequest(_Commented):
    """A stage taken out of service: why (no other field)."""


class UseCaseDecision(_Commented):
    decision: Literal["advance", "reject"]
    # the stage the person decided on: a decision sent again after the use case moved is refused (409)
    from_stage: str = Field(max_length=32, description="the stage the use case is in, as you saw it")

    @field_validator("from_stage")
    @classmethod
    def _a_stage(cls, value: str) -> str:
        if value not in USE_CASE_STAGES:
            raise ValueError(f"not a use-case stage (stages: {', '.join(USE_CASE_STAGES)})")
        return value


class NewUseCase(_Body):
    id: str = Field(pattern=USE_CASE_ID, description="Unique id, e.g. uc-credit-risk")
    name: str = Field(min_length=1, max_length=256)
    owner: str = Field(min_length=1, max_length=256)
    lob: str = Field(min_length=1, max_length=128, description="Line of business")
    description: str = Field(default="", max_length=4096)
