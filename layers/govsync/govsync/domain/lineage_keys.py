"""The reverse query's keys: one canonical form per kind of lineage (a dataset's URI, a commit, a
training job's ARN, an MLflow run id), so the same thing written two ways is one key, and a fixed-length
digest of each for the index."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

TRAINING_JOB_ARN = re.compile(r"arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:training-job/[A-Za-z0-9-]{1,63}")
_COMMIT = re.compile(r"[0-9a-f]{7,64}")
_RUN_ID = re.compile(r"[0-9a-f]{8,64}")

QUERY_KINDS = ("dataset", "commit", "training-job", "mlflow-run")


class BadLineageQuery(ValueError):
    """A reverse query's value is not a valid form of its kind."""


def canonical(kind: str, value: str) -> str:
    """The one form a value of `kind` is indexed and queried by. Raises BadLineageQuery, saying what is
    wrong (the caller names the value: its parameter or option), for a value that cannot be one."""
    text = value.strip()
    if not text or len(text) > 2048 or any(ord(c) < 32 for c in text):
        raise BadLineageQuery("give a non-empty value of at most 2048 printable characters")
    if kind == "dataset":
        return text.rstrip("/") or text  # a prefix written with or without its trailing slash
    if kind == "commit":
        if not _COMMIT.fullmatch(text.lower()):
            raise BadLineageQuery(f"{text[:80]!r} is not a commit hash (7 to 64 hexadecimal digits)")
        return text.lower()
    if kind == "training-job":
        if not TRAINING_JOB_ARN.fullmatch(text):
            raise BadLineageQuery(
                f"{text[:120]!r} is not a training job ARN (arn:aws:sagemaker:REGION:ACCOUNT:training-job/NAME)"
            )
        return text.lower()  # SageMaker compares training job names case-insensitively
    if kind == "mlflow-run":
        if not _RUN_ID.fullmatch(text.lower()):
            raise BadLineageQuery(f"{text[:80]!r} is not an MLflow run id (hexadecimal)")
        return text.lower()
    raise BadLineageQuery(f"unknown lineage kind {kind!r} (one of {', '.join(QUERY_KINDS)})")


@dataclass(frozen=True, slots=True, order=True)
class LineageKey:
    kind: str
    value: str  # canonical

    @classmethod
    def of(cls, kind: str, value: str) -> LineageKey:
        return cls(kind, canonical(kind, value))

    @property
    def digest(self) -> str:
        """A fixed-length name for the key (index keys stay short whatever the URI's length)."""
        return hashlib.sha256(f"{self.kind}\n{self.value}".encode()).hexdigest()[:40]
