"""Lineage: where a model version came from, gathered from every source that says something about it.

Sources, in the order they are read (a later one fills what the earlier left unset; datasets add up):

- `package`: the package's `SourceUri` (a training job's ARN, an MLflow `runs:/<run>/…` or
  `mlflow-artifacts:/<experiment>/<run>/…` URI, or any other location, kept as it is);
- `model-card`: the model card's `training_details.training_job_details` (training ARN, datasets,
  container image, hyperparameters);
- `metadata`: the package's CustomerMetadataProperties under the documented keys (`LINEAGE_KEYS`);
- `training-job`: DescribeTrainingJob in the source account, when its read role is configured (input
  channels' S3 URIs, the training image, a hash of the hyperparameters), and each dataset object's ETag
  or version id where it is readable.

Lineage is indexed for the reverse question ("which versions were built from this dataset, this commit,
this training job, this MLflow run?") by `LineageKey`s: one canonical form per kind, so the same thing
written two ways is one key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from govsync.domain.lineage_keys import TRAINING_JOB_ARN, BadLineageQuery, LineageKey, canonical
from govsync.domain.package import PackageSnapshot

# CustomerMetadataProperties keys that carry lineage (each field: the keys read, first found wins).
# MLflow's own tag names for the code are read too, so a version registered from an MLflow run whose
# tags were copied into the package's metadata needs no renaming.
LINEAGE_KEYS: dict[str, tuple[str, ...]] = {
    "training_job": ("TrainingJobArn",),
    "datasets": ("DatasetUris",),  # comma-separated; and `DatasetUri.<n>` keys, one URI each
    "code_repository": ("CodeRepository", "mlflow.source.git.repoURL"),
    "code_commit": ("CodeCommit", "mlflow.source.git.commit"),
    "mlflow_run_id": ("MlflowRunId", "mlflow.runId"),
    "mlflow_experiment": ("MlflowExperiment", "mlflow.experimentId"),
}

PACKAGE = "package"
MODEL_CARD = "model-card"
METADATA = "metadata"
TRAINING_JOB = "training-job"

# What a record may be expected to say (see `missing`): how it was trained (a training job or an MLflow
# run), on which data, from which code.
TRAINING = "training"
DATASET = "dataset"
CODE = "code"
SOURCE = "source"  # anything at all: a SourceUri, a training job or an MLflow run
LINEAGE_KINDS = (TRAINING, DATASET, CODE)

DATASET_KEY_PREFIX = "DatasetUri."  # metadata values are at most 256 characters: one URI per key
MAX_DATASETS = 32  # recorded and indexed per version (a training job has at most 20 channels)

_MLFLOW_RUN_URI = re.compile(r"runs:/([0-9a-f]{8,64})(/.*)?")
_MLFLOW_ARTIFACT_URI = re.compile(r"mlflow-artifacts:/(\d+)/([0-9a-f]{8,64})/.*")


@dataclass(frozen=True, slots=True)
class Dataset:
    """One dataset the model was trained on: where it is, who named it, and which bytes they were."""

    uri: str
    named_by: str  # the source that named it: package | model-card | metadata | training-job
    channel: str | None = None  # the training job's input channel
    etag: str | None = None
    version_id: str | None = None


@dataclass(frozen=True, slots=True)
class TrainingJob:
    """What DescribeTrainingJob says of the job a version was trained by."""

    arn: str
    image: str | None
    channels: tuple[tuple[str, str], ...]  # (channel name, S3 URI)
    hyperparameters_sha256: str | None


@dataclass(frozen=True, slots=True)
class Lineage:
    source_uri: str | None = None
    training_job: str | None = None  # the training job's ARN
    datasets: tuple[Dataset, ...] = ()
    code_repository: str | None = None
    code_commit: str | None = None
    mlflow_run_id: str | None = None
    mlflow_experiment: str | None = None
    training_image: str | None = None
    hyperparameters_sha256: str | None = None
    sources: tuple[str, ...] = ()  # the sources that said something, in the order read
    problems: tuple[str, ...] = ()  # what could not be read, in words (never fatal)

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["datasets"] = [{k: v for k, v in vars_of(d).items() if v is not None} for d in self.datasets]
        data["sources"] = list(self.sources)
        data["problems"] = list(self.problems)
        return {k: v for k, v in data.items() if v not in (None, [], ())}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Lineage | None:
        if not data:
            return None
        values: dict[str, Any] = {name: data.get(name) for name in cls.__dataclass_fields__ if name in data}
        values["datasets"] = tuple(Dataset(**d) for d in data.get("datasets") or [])
        values["sources"] = tuple(data.get("sources") or ())
        values["problems"] = tuple(data.get("problems") or ())
        return cls(**values)

    def has(self, kind: str) -> bool:
        """Whether the lineage says `kind` (training, dataset, code, or source: anything at all)."""
        if kind == TRAINING:
            return bool(self.training_job or self.mlflow_run_id)
        if kind == DATASET:
            return bool(self.datasets)
        if kind == CODE:
            return bool(self.code_commit)
        if kind == SOURCE:
            return bool(self.source_uri or self.training_job or self.mlflow_run_id)
        raise ValueError(f"unknown lineage kind {kind!r} (one of {', '.join((*LINEAGE_KINDS, SOURCE))})")

    def missing(self, expected: Iterable[str]) -> tuple[str, ...]:
        """The expected kinds the lineage does not say."""
        return tuple(kind for kind in expected if not self.has(kind))

    def index_keys(self) -> frozenset[LineageKey]:
        """The keys the reverse query finds this version by."""
        found: set[LineageKey] = set()
        for kind, value in (("training-job", self.training_job), ("commit", self.code_commit),
                            ("mlflow-run", self.mlflow_run_id)):  # fmt: skip
            if value:
                found.add(LineageKey.of(kind, value))
        found.update(LineageKey.of("dataset", d.uri) for d in self.datasets)
        return frozenset(found)


def vars_of(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


# ------------------------------------------------------------------ reading the sources
def _text(value: Any) -> str | None:
    return str(value).strip() or None if isinstance(value, str | int | float) else None


def _valid(kind: str, value: str | None) -> str | None:
    """`value` when it is a valid form of `kind`, else None (a malformed value is not indexed)."""
    if value is None:
        return None
    try:
        canonical(kind, value)
    except BadLineageQuery:
        return None
    return value


def _from_source_uri(uri: str) -> dict[str, Any]:
    if TRAINING_JOB_ARN.fullmatch(uri):
        return {"training_job": uri}
    if match := _MLFLOW_RUN_URI.fullmatch(uri):
        return {"mlflow_run_id": match.group(1)}
    if match := _MLFLOW_ARTIFACT_URI.fullmatch(uri):
        return {"mlflow_experiment": match.group(1), "mlflow_run_id": match.group(2)}
    return {}


def hyperparameters_hash(pairs: Mapping[str, str]) -> str:
    canonical_json = json.dumps(dict(sorted(pairs.items())), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical_json.encode()).hexdigest()


def _from_card(card: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    details = card.get("training_details")
    job = details.get("training_job_details") if isinstance(details, dict) else None
    if not isinstance(job, dict):
        return {}, []
    found: dict[str, Any] = {}
    if arn := _valid("training-job", _text(job.get("training_arn"))):
        found["training_job"] = arn
    environment = job.get("training_environment")
    images = environment.get("container_image") if isinstance(environment, dict) else None
    if isinstance(images, list) and images and (image := _text(images[0])):
        found["training_image"] = image
    params = job.get("hyper_parameters")
    if isinstance(params, list) and params:
        pairs = {str(p.get("name")): str(p.get("value")) for p in params if isinstance(p, dict) and p.get("name")}
        if pairs:
            found["hyperparameters_sha256"] = hyperparameters_hash(pairs)
    datasets = job.get("training_datasets")
    uris = [u for u in (_text(d) for d in datasets) if u] if isinstance(datasets, list) else []
    return found, uris


def _from_metadata(metadata: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    found: dict[str, Any] = {}
    for name, keys in LINEAGE_KEYS.items():
        value = next((metadata[k].strip() for k in keys if metadata.get(k, "").strip()), None)
        if value is None or name == "datasets":
            continue
        checks = {"training_job": "training-job", "code_commit": "commit", "mlflow_run_id": "mlflow-run"}
        found[name] = _valid(checks[name], value) if name in checks else value
    raw = next((metadata[k] for k in LINEAGE_KEYS["datasets"] if metadata.get(k)), "")
    uris = [u.strip() for u in raw.split(",") if u.strip()]
    uris += [metadata[k].strip() for k in sorted(metadata) if k.startswith(DATASET_KEY_PREFIX) and metadata[k].strip()]
    return {k: v for k, v in found.items() if v}, uris


def _with(
    lineage: Lineage,
    source: str,
    found: Mapping[str, Any],
    uris: Iterable[str],
    channels: Mapping[str, str] | None = None,
) -> Lineage:
    """`lineage` with what `source` says: fields still unset are filled, new datasets added (with their
    training job channel, from `channels`: URI -> channel)."""
    uris = [uri for uri in uris if _valid("dataset", uri)]
    if not found and not uris:
        return lineage
    filled = {k: v for k, v in found.items() if getattr(lineage, k) is None}
    known = {canonical("dataset", d.uri) for d in lineage.datasets}
    added: list[Dataset] = []
    for uri in uris:
        if canonical("dataset", uri) not in known and len(lineage.datasets) + len(added) < MAX_DATASETS:
            known.add(canonical("dataset", uri))
            added.append(Dataset(uri, source, channel=(channels or {}).get(uri)))
    return replace(lineage, **filled, datasets=lineage.datasets + tuple(added), sources=(*lineage.sources, source))


def from_package(pkg: PackageSnapshot) -> Lineage:
    """What the package itself says: its SourceUri, its model card, its metadata."""
    lineage = Lineage(source_uri=pkg.source_uri)
    if pkg.source_uri:
        lineage = replace(lineage, sources=(PACKAGE,))
        lineage = replace(lineage, **{k: v for k, v in _from_source_uri(pkg.source_uri).items()})
    lineage = _with(lineage, MODEL_CARD, *_from_card(pkg.model_card))
    return _with(lineage, METADATA, *_from_metadata(pkg.customer_metadata))


def with_training_job(lineage: Lineage, job: TrainingJob) -> Lineage:
    """`lineage` with what DescribeTrainingJob said (its channels are datasets)."""
    found = {"training_image": job.image, "hyperparameters_sha256": job.hyperparameters_sha256}
    channels = {canonical("dataset", uri): channel for channel, uri in job.channels}
    datasets = tuple(
        replace(d, channel=d.channel or channels.get(canonical("dataset", d.uri))) for d in lineage.datasets
    )
    lineage = replace(lineage, datasets=datasets)
    found = {k: v for k, v in found.items() if v}
    return _with(lineage, TRAINING_JOB, found, [u for _, u in job.channels], {u: c for c, u in job.channels})


def recorded_training_job(lineage: Lineage) -> TrainingJob:
    """The training job as a lineage that read it recorded it (its channels: the datasets given one)."""
    channels = tuple((d.channel, d.uri) for d in lineage.datasets if d.channel)
    return TrainingJob(lineage.training_job or "", lineage.training_image, channels, lineage.hyperparameters_sha256)


def with_problem(lineage: Lineage, problem: str) -> Lineage:
    return replace(lineage, problems=(*lineage.problems, problem))


def with_versions(lineage: Lineage, versions: Mapping[str, tuple[str | None, str | None]]) -> Lineage:
    """`lineage` with each dataset object's (ETag, version id), where read."""
    return replace(
        lineage,
        datasets=tuple(
            replace(d, etag=versions[d.uri][0], version_id=versions[d.uri][1]) if d.uri in versions else d
            for d in lineage.datasets
        ),
    )
