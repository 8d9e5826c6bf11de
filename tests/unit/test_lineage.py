"""Lineage: from each source (SourceUri, model card, metadata, the training job and the datasets'
versions), flagged when missing, never fatal; the reverse query returns exactly the versions built from
what it names (index entries the recorded lineage no longer holds are left out)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from govsync.adapters.described_package import snapshot_from_describe
from govsync.adapters.source_account import training_job_from_describe
from govsync.domain.audit import record_hash
from govsync.domain.errors import ConfigurationProblem, RetryableError
from govsync.domain.events import PackageRef
from govsync.domain.export import row
from govsync.domain.governance import resolve_governance
from govsync.domain.lineage import (
    MAX_DATASETS,
    Dataset,
    Lineage,
    TrainingJob,
    from_package,
    hyperparameters_hash,
    with_training_job,
)
from govsync.domain.lineage_keys import BadLineageQuery, LineageKey, canonical
from govsync.domain.records import build_stage_records
from govsync.domain.stages import StageConfig
from govsync.gates import GateContext
from govsync.gates.lineage import Lineage as LineageRule
from govsync.services.lineage import LineageReader
from govsync.services.queries import built_from
from govsync.services.registry_sync import RegistrySync
from govsync.settings import SyncSettings

from ..fakes import InMemoryStore
from .helpers import ARN, CENTRAL, GROUP, REGION, card, described

DEV = "222222222222"
JOB = f"arn:aws:sagemaker:{REGION}:{DEV}:training-job/fraud-train-7"
COMMIT = "3f2a9c1d4e5b6a7f8091a2b3c4d5e6f708192a3b"
RUN = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
TRAIN = "s3://dev-datasets/fraud/train.parquet"
DESCRIBED_JOB = {
    "TrainingJobArn": JOB,
    "AlgorithmSpecification": {"TrainingImage": "222222222222.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7"},
    "HyperParameters": {"max_depth": "6", "eta": "0.2"},
    "InputDataConfig": [
        {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": TRAIN, "S3DataType": "S3Prefix"}}},
        {"ChannelName": "validation", "DataSource": {"S3DataSource": {"S3Uri": "s3://dev-datasets/fraud/val/"}}},
        {"ChannelName": "fs", "DataSource": {"FileSystemDataSource": {"FileSystemId": "fs-1"}}},
    ],
}


def pkg(**overrides: Any):
    return snapshot_from_describe(described(**overrides))


# ------------------------------------------------------------------ each source
def test_source_uri_names_a_training_job_an_mlflow_run_or_just_a_place():
    assert from_package(pkg(SourceUri=JOB)).training_job == JOB
    run = from_package(pkg(SourceUri=f"runs:/{RUN}/model"))
    assert (run.mlflow_run_id, run.mlflow_experiment) == (RUN, None)
    artifact = from_package(pkg(SourceUri=f"mlflow-artifacts:/12/{RUN}/artifacts/model"))
    assert (artifact.mlflow_experiment, artifact.mlflow_run_id) == ("12", RUN)
    place = from_package(pkg(SourceUri="s3://dev-code/fraud/build-9/"))
    assert (place.source_uri, place.training_job, place.sources) == ("s3://dev-code/fraud/build-9/", None, ("package",))


def test_the_model_cards_training_details():
    details = {"training_arn": JOB, "training_datasets": [TRAIN, "s3://dev-datasets/fraud/extra.csv"],
               "training_environment": {"container_image": ["img:1"]},
               "hyper_parameters": [{"name": "eta", "value": "0.2"}, {"name": "max_depth", "value": "6"}]}  # fmt: skip
    lineage = from_package(pkg(ModelCard=card(training_details={"training_job_details": details})))
    assert lineage.training_job == JOB and lineage.training_image == "img:1"
    extra = "s3://dev-datasets/fraud/extra.csv"
    assert [(d.uri, d.named_by) for d in lineage.datasets] == [(TRAIN, "model-card"), (extra, "model-card")]
    # the same hyperparameters in another order hash the same
    assert lineage.hyperparameters_sha256 == hyperparameters_hash({"max_depth": "6", "eta": "0.2"})
    assert lineage.sources == ("model-card",)


def test_documented_metadata_keys_and_mlflows_own_tag_names():
    metadata = {"TrainingJobArn": JOB, "DatasetUris": f"{TRAIN}, s3://dev-datasets/b.csv",
                "DatasetUri.2": "s3://dev-datasets/d.csv", "DatasetUri.1": "s3://dev-datasets/c.csv",
                "mlflow.source.git.repoURL": "https://git.example.com/fraud.git",
                "mlflow.source.git.commit": COMMIT.upper(), "MlflowRunId": RUN,
                "MlflowExperiment": "fraud"}  # fmt: skip
    lineage = from_package(pkg(CustomerMetadataProperties=metadata))
    assert (lineage.training_job, lineage.code_repository) == (JOB, "https://git.example.com/fraud.git")
    assert (lineage.code_commit, lineage.mlflow_run_id, lineage.mlflow_experiment) == (COMMIT.upper(), RUN, "fraud")
    assert [d.uri for d in lineage.datasets] == [TRAIN, "s3://dev-datasets/b.csv", "s3://dev-datasets/c.csv",
                                                 "s3://dev-datasets/d.csv"]  # fmt: skip
    assert lineage.missing(("training", "dataset", "code")) == ()


def test_a_malformed_value_is_not_recorded_as_lineage():
    lineage = from_package(pkg(CustomerMetadataProperties={"CodeCommit": "main", "TrainingJobArn": "job-7",
                                                           "MlflowRunId": "not a run"}))  # fmt: skip
    assert (lineage.code_commit, lineage.training_job, lineage.mlflow_run_id) == (None, None, None)
    assert lineage.missing(("training", "dataset", "code")) == ("training", "dataset", "code")


def test_earlier_sources_win_and_datasets_add_up_once_each():
    metadata = {"TrainingJobArn": JOB.replace("fraud-train-7", "other"), "DatasetUris": f"{TRAIN}/,s3://b/x"}
    details = {"training_arn": JOB, "training_datasets": [TRAIN]}
    lineage = from_package(pkg(ModelCard=card(training_details={"training_job_details": details}),
                               CustomerMetadataProperties=metadata))  # fmt: skip
    assert lineage.training_job == JOB  # the card came first
    assert [d.uri for d in lineage.datasets] == [TRAIN, "s3://b/x"]  # TRAIN/ is TRAIN
    many = from_package(pkg(CustomerMetadataProperties={f"DatasetUri.{n:03d}": f"s3://b/{n}" for n in range(50)}))
    assert len(many.datasets) == MAX_DATASETS


def test_the_training_job_adds_its_channels_image_and_hyperparameters():
    job = training_job_from_describe(DESCRIBED_JOB)
    assert job.channels == (("train", TRAIN), ("validation", "s3://dev-datasets/fraud/val/"))
    lineage = with_training_job(from_package(pkg(SourceUri=JOB, CustomerMetadataProperties={"DatasetUris": TRAIN})),
                                job)  # fmt: skip
    assert [(d.uri, d.named_by, d.channel) for d in lineage.datasets] == [
        (TRAIN, "metadata", "train"), ("s3://dev-datasets/fraud/val/", "training-job", "validation")]  # fmt: skip
    assert lineage.training_image.endswith("xgb:1.7")
    assert lineage.hyperparameters_sha256 == hyperparameters_hash({"eta": "0.2", "max_depth": "6"})
    assert lineage.sources == ("package", "metadata", "training-job")


def test_the_lineage_survives_its_stored_form():
    dataset = Dataset(TRAIN, "training-job", "train", '"e1"', "v1")
    lineage = Lineage(source_uri=JOB, training_job=JOB, datasets=(dataset,), code_commit=COMMIT,
                      sources=("package", "training-job"), problems=("x",))  # fmt: skip
    assert Lineage.from_json(json.loads(json.dumps(lineage.to_json()))) == lineage
    assert Lineage.from_json({}) is None


# ------------------------------------------------------------------ the reverse query's keys
def test_one_key_per_thing_however_it_is_written():
    assert LineageKey.of("dataset", TRAIN + "/") == LineageKey.of("dataset", TRAIN)
    assert LineageKey.of("commit", COMMIT.upper()) == LineageKey.of("commit", COMMIT)
    assert LineageKey.of("training-job", JOB.replace("fraud-train-7", "Fraud-Train-7")) == LineageKey.of(
        "training-job", JOB
    )
    assert len(LineageKey.of("dataset", "s3://b/" + "k" * 2000).digest) == 40


@pytest.mark.parametrize(
    ("kind", "value", "says"),
    [("commit", "main", "not a commit hash"), ("training-job", "fraud-train-7", "not a training job ARN"),
     ("mlflow-run", "run 1", "not an MLflow run id"), ("dataset", "", "non-empty"),
     ("dataset", "s3://b/\x00", "printable"), ("model", "x", "unknown lineage kind")],
)  # fmt: skip
def test_a_bad_query_value_is_named(kind, value, says):
    with pytest.raises(BadLineageQuery, match=says):
        canonical(kind, value)


# ------------------------------------------------------------------ reading, never fatal
@dataclass
class FakeSource:
    jobs: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    fail: Exception | None = None
    reads: list[str] = field(default_factory=list)

    def training_job(self, arn: str) -> TrainingJob:
        self.reads.append(arn)
        if self.fail:
            raise self.fail
        return training_job_from_describe(self.jobs[arn])

    def object_version(self, uri: str, account: str, region: str) -> tuple[str | None, str | None] | None:
        self.reads.append(uri)
        assert (account, region) == (DEV, REGION)
        return self.objects.get(uri)


EXPECTED = ("training", "dataset", "code")


def test_the_reader_adds_the_job_and_the_objects_versions():
    source = FakeSource({JOB: DESCRIBED_JOB}, {TRAIN: ('"etag-1"', "v-1")})
    lineage, missing = LineageReader(EXPECTED, source).read(pkg(SourceUri=JOB), None)
    assert missing == ("code",)
    assert [(d.uri, d.etag, d.version_id) for d in lineage.datasets] == [
        (TRAIN, '"etag-1"', "v-1"), ("s3://dev-datasets/fraud/val/", None, None)]  # fmt: skip
    assert source.reads == [JOB, TRAIN]  # a prefix (ending in /) has no one version: not read


def test_a_recorded_datasets_version_is_kept_not_read_again():
    source = FakeSource({JOB: DESCRIBED_JOB}, {TRAIN: ('"etag-2"', "v-2")})  # the object was overwritten since
    prior = Lineage(datasets=(Dataset(TRAIN, "training-job", "train", '"etag-1"', "v-1"),))
    lineage, _ = LineageReader(EXPECTED, source).read(pkg(SourceUri=JOB), prior)
    assert (lineage.datasets[0].etag, lineage.datasets[0].version_id) == ('"etag-1"', "v-1")
    assert TRAIN not in source.reads


def test_a_training_job_read_once_is_taken_from_the_record_after():
    source = FakeSource({JOB: DESCRIBED_JOB}, {TRAIN: ('"etag-1"', "v-1")})
    reader = LineageReader(EXPECTED, source)
    first, _ = reader.read(pkg(SourceUri=JOB), None)
    again, missing = reader.read(pkg(SourceUri=JOB), first)
    assert source.reads == [JOB, TRAIN]  # nothing read the second time
    assert again == first and missing == ("code",)


def test_what_cannot_be_read_is_recorded_not_fatal():
    denied = FakeSource(fail=ConfigurationProblem("DescribeTrainingJob: AccessDenied", code="AccessDenied", action="x"))
    lineage, missing = LineageReader(EXPECTED, denied).read(pkg(SourceUri=JOB), None)
    assert lineage.training_job == JOB and missing == ("dataset", "code")
    assert lineage.problems == ("training job not read: DescribeTrainingJob: AccessDenied",)
    with pytest.raises(RetryableError):  # a transient failure retries the message instead
        LineageReader(EXPECTED, FakeSource(fail=RetryableError("throttled"))).read(pkg(SourceUri=JOB), None)


def test_a_training_job_in_another_account_is_never_read():
    source = FakeSource({JOB: DESCRIBED_JOB})
    elsewhere = JOB.replace(DEV, "999999999999")
    lineage, _ = LineageReader(EXPECTED, source).read(pkg(SourceUri=elsewhere), None)
    assert source.reads == [] and "not the version's source account" in lineage.problems[0]


def test_without_a_read_role_the_package_alone_speaks():
    lineage, missing = LineageReader(("dataset",)).read(pkg(SourceUri=JOB), None)
    assert (lineage.training_job, lineage.datasets, missing) == (JOB, (), ("dataset",))


# ------------------------------------------------------------------ the record, the gate, the CSV
CONFIG = StageConfig()


def test_records_without_lineage_hash_as_they_were_sealed():
    record = build_stage_records(pkg(), resolve_governance(pkg(), {}, CONFIG.metadata_keys), CONFIG)["development"]
    import hashlib

    before = {k: v for k, v in record.to_json().items()
              if k not in {"model_audit_timestamp", "model_audit_user", "registry_last_modified", "lineage",
                           "lineage_missing", "review", "approval_reminder", "retirement"}}  # fmt: skip
    sealed = hashlib.sha256(json.dumps(before, sort_keys=True, separators=(",", ":"), default=str).encode())
    assert record_hash(record) == sealed.hexdigest()
    assert record_hash(replace(record, lineage_missing=("code",))) != sealed.hexdigest()


def test_the_gate_requires_what_the_policy_names():
    package = pkg(SourceUri=JOB)
    lineage, missing = LineageReader(EXPECTED).read(package, None)
    governance = resolve_governance(package, {}, CONFIG.metadata_keys)
    records = build_stage_records(package, governance, CONFIG, None, lineage, missing)
    context = GateContext(package, records, "test", CONFIG, package.creation_time)
    assert LineageRule().check(context).passed
    failed = LineageRule(require=("training", "dataset", "code")).check(context)
    assert not failed.passed and failed.value == "dataset, code"
    assert failed.reason == "the version's lineage does not name its datasets, its code commit"
    assert records["development"].lineage_missing == ("dataset", "code")


def test_the_csv_summarises_the_lineage():
    lineage = Lineage(training_job=JOB, datasets=(Dataset(TRAIN, "metadata"),), code_repository="r", code_commit=COMMIT)
    record = build_stage_records(pkg(), resolve_governance(pkg(), {}, CONFIG.metadata_keys), CONFIG, None, lineage)
    cells = row(record["development"].view())
    assert (cells["lineage_training"], cells["lineage_datasets"], cells["lineage_code"]) == (JOB, TRAIN, f"r@{COMMIT}")


# ------------------------------------------------------------------ sync and the reverse query
ENV = {"GOVSYNC_TABLE": "gov", "AWS_REGION": REGION, "GOVSYNC_ALLOWED_ACCOUNTS": CENTRAL, "GOVSYNC_DEV_ACCOUNTS": DEV,
       "GOVSYNC_DEAD_LETTER_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{CENTRAL}/dlq"}  # fmt: skip


def ref(arn: str, version: int, event_id: str) -> PackageRef:
    return PackageRef(event_id, datetime.now(UTC), CENTRAL, REGION, GROUP, version, arn)


@dataclass
class FakeRegistry:
    packages: dict[str, dict[str, Any]] = field(default_factory=dict)

    def describe_package(self, arn: str, region: str):
        return snapshot_from_describe(self.packages[arn])

    def group_tags(self, group_arn: str, region: str) -> dict[str, str]:
        return {}


def test_sync_records_lineage_and_the_reverse_query_finds_exactly_its_versions():
    registry, store = FakeRegistry(), InMemoryStore()
    sync = RegistrySync(settings=SyncSettings.from_env(ENV), registry=registry, store=store, dead_letter=None,
                        lineage=LineageReader(EXPECTED, FakeSource({JOB: DESCRIBED_JOB})))  # fmt: skip
    metadata = {**described()["CustomerMetadataProperties"], "CodeCommit": COMMIT}
    for version, source in ((1, JOB), (2, None), (3, JOB)):
        arn = ARN.replace("/1", f"/{version}")
        given = metadata if source else {**metadata, "CodeCommit": ""}
        registry.packages[arn] = described(ModelPackageArn=arn, ModelPackageVersion=version,
                                           CustomerMetadataProperties=given,
                                           **({"SourceUri": source} if source else {}))  # fmt: skip
        sync.sync(ref(arn, version, f"e{version}"))
    record = store.load_version(GROUP, 1).records["development"]
    assert record.lineage.training_job == JOB and record.lineage_missing == ()
    assert store.load_version(GROUP, 2).records["development"].lineage_missing == ("training", "dataset", "code")

    def versions(kind: str, value: str, stage: str | None = None) -> list[int]:
        found, _ = built_from(store, LineageKey.of(kind, value), CONFIG.stages, stage)
        return [v.to_json()["model_version"] for v in found]

    assert versions("dataset", TRAIN) == versions("training-job", JOB) == versions("commit", COMMIT) == [1, 3]
    assert versions("dataset", "s3://dev-datasets/other") == [] and versions("dataset", TRAIN, "production") == []
    # version 3 re-registered from another commit: the index keeps the old key, the query does not
    arn3 = ARN.replace("/1", "/3")
    registry.packages[arn3]["CustomerMetadataProperties"] = {**metadata, "CodeCommit": "a" * 40}
    registry.packages[arn3]["LastModifiedTime"] = registry.packages[arn3]["CreationTime"].replace(hour=12)
    sync.sync(ref(arn3, 3, "e4"))
    assert LineageKey.of("commit", COMMIT) in store.lineage_index[(GROUP, 3)]
    assert versions("commit", COMMIT) == [1] and versions("commit", "a" * 40) == [3]
    answer = built_from(store, LineageKey.of("dataset", TRAIN), CONFIG.stages, limit=1)
    assert len(answer[0]) == 1 and answer[1] is True
    assert answer[0][0].to_json()["stages"] == {"development": {"model_status": "pending", "deployment_status": None}}
