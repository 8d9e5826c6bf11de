"""The artifact rules: which URIs are allowed, where copies go, when a copy is verified."""

import pytest

from govsync.adapters.described_package import artifact_specs, snapshot_from_describe
from govsync.domain.artifacts import (
    ArtifactCopy,
    InvalidArtifact,
    ObjectInfo,
    copy_algorithm,
    manifest_checksum,
    parse_s3_uri,
    relative_key,
    same_content,
    summary_status,
    validation_metrics,
)
from govsync.domain.package import Container

from .helpers import described

ALLOWED = frozenset({"dev-models"})


def test_allowed_uri_parses():
    loc = parse_s3_uri("s3://dev-models/fraud/v1/model.tar.gz", ALLOWED)
    assert (loc.bucket, loc.key, loc.uri) == (
        "dev-models",
        "fraud/v1/model.tar.gz",
        "s3://dev-models/fraud/v1/model.tar.gz",
    )


def test_prefix_uri_may_end_with_a_slash():
    assert parse_s3_uri("s3://dev-models/llm/v1/", ALLOWED, prefix=True).key == "llm/v1/"


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("s3://other-bucket/model.tar.gz", "allow-list"),
        ("s3://dev-models/a/../b/model.tar.gz", "'..'"),
        ("s3://dev-models/a/./model.tar.gz", "'.'"),
        ("s3://dev-models/a//model.tar.gz", "'//'"),
        ("s3://dev-models//model.tar.gz", "starts with '/'"),
        ("s3://dev-models/a/%2e%2e/model.tar.gz", "percent-encoded"),
        ("s3://dev-models/a/%2E%2E/model.tar.gz", "percent-encoded"),
        ("s3://dev-models/a/mod\x00el.tar.gz", "control characters"),
        ("s3://dev-models/a/model.tar.gz\n", "control characters"),
        ("https://dev-models.s3.amazonaws.com/model.tar.gz", "not an s3:// URI"),
        ("s3a://dev-models/model.tar.gz", "not an s3:// URI"),
        ("s3://dev-models/", "empty object key"),
        ("s3://dev-models/a/b/", "ends with '/'"),
        ("s3://Dev_Models/model.tar.gz", "invalid bucket name"),
        ("s3://dev-models/a\\..\\b", "'\\'"),
        ("", "missing"),
        (None, "missing"),
    ],
)
def test_bad_uris_are_refused_with_the_reason(uri, reason):
    with pytest.raises(InvalidArtifact) as refused:
        parse_s3_uri(uri, ALLOWED)
    assert reason in refused.value.reason


def test_relative_key_below_a_prefix_is_checked_too():
    assert relative_key("llm/v1/", "llm/v1/weights/part-0.bin") == "weights/part-0.bin"
    assert relative_key("llm/v1", "llm/v1/config.json") == "config.json"
    with pytest.raises(InvalidArtifact):
        relative_key("llm/v1/", "llm/v1/../../secrets")
    with pytest.raises(InvalidArtifact):
        relative_key("llm/v1/", "other/key")


def test_specs_cover_containers_additional_specs_and_reports_in_a_stable_order():
    described = {
        "InferenceSpecification": {
            "Containers": [
                {"Image": "a", "ModelDataUrl": "s3://b/one.tar.gz"},
                {"Image": "b"},
                {"Image": "c", "ModelDataSource": {"S3DataSource": {"S3Uri": "s3://b/p/", "S3DataType": "S3Prefix"}}},
            ]
        },
        "AdditionalInferenceSpecifications": [{"Name": "x", "Containers": [{"ModelDataUrl": "s3://b/two.tar.gz"}]}],
        "ModelMetrics": {
            "Bias": {"Report": {"S3Uri": "s3://b/bias.json", "ContentType": "application/json"}},
            "ModelQuality": {"Statistics": {"S3Uri": "s3://b/stats.json"}},
        },
        "DriftCheckBaselines": {"ModelDataQuality": {"Constraints": {"S3Uri": "s3://b/c.json"}}},
    }
    specs = artifact_specs(described)
    assert [(s.name, s.source_uri, s.prefix) for s in specs] == [
        ("model/primary/0", "s3://b/one.tar.gz", False),
        ("model/primary/2/data-source", "s3://b/p/", True),
        ("model/additional-0/0", "s3://b/two.tar.gz", False),
        ("report/model-quality-statistics", "s3://b/stats.json", False),
        ("report/bias-report", "s3://b/bias.json", False),
        ("report/drift-data-quality-constraints", "s3://b/c.json", False),
    ]
    assert specs[0].dest_key("fraud", 3, "one.tar.gz") == "fraud/3/model/primary/0/one.tar.gz"
    assert artifact_specs({}) == ()


def test_the_snapshot_types_what_the_registry_said_of_containers_reports_lineage_and_card():
    # Given a DescribeModelPackage answer with two containers, reports, a source and a model card
    answer = described(
        InferenceSpecification={"Containers": [{"Image": "a", "ModelDataUrl": "s3://b/m.tar.gz"}, {"Image": "b"}],
                                "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large", "ml.c5.xlarge"]},
        ModelMetrics={"Explainability": {"Report": {"S3Uri": "s3://b/shap.json"}}},
        SourceUri="arn:aws:sagemaker:us-east-1:222222222222:training-job/fraud-7",
        ModelCard={"ModelCardContent": "{}", "ModelCardStatus": "Approved"},
    )  # fmt: skip
    # When the registry adapter reads it
    pkg = snapshot_from_describe(answer)
    # Then the domain sees typed values, not the answer's shape
    assert pkg.containers == (Container("a", "s3://b/m.tar.gz"), Container("b", None))
    assert pkg.instance_types == ("ml.m5.large", "ml.c5.xlarge")
    assert pkg.reports == {"explainability-report": "s3://b/shap.json"}
    assert pkg.source_uri == "arn:aws:sagemaker:us-east-1:222222222222:training-job/fraud-7"
    assert pkg.model_card_status == "Approved"
    bare = snapshot_from_describe(described())
    assert (bare.containers, bare.reports, bare.source_uri, bare.model_card_status) == ((), {}, None, None)


def info(size=10, algorithm="CRC64NVME", checksum="abc=", checksum_type="FULL_OBJECT") -> ObjectInfo:
    return ObjectInfo(
        "b", "k", size, '"etag"', checksum_algorithm=algorithm, checksum=checksum, checksum_type=checksum_type
    )


def test_a_copy_is_verified_by_checksum_when_comparable_else_by_size():
    assert same_content(info(), info()) == "checksum"
    assert same_content(info(), info(checksum="xyz=")) is None
    assert same_content(info(), info(size=11)) is None
    # composite (multipart) checksums and different algorithms are not comparable: size only
    assert same_content(info(algorithm="CRC32", checksum="a-3", checksum_type="COMPOSITE"), info()) == "size"
    assert same_content(info(algorithm="CRC32"), info()) == "size"
    assert same_content(info(algorithm=None, checksum=None), info()) == "size"


def test_copy_algorithm_reproduces_the_source_checksum_where_s3_can():
    assert copy_algorithm(info(algorithm="CRC32"), multipart=False) == "CRC32"
    assert copy_algorithm(info(algorithm="CRC32"), multipart=True) == "CRC64NVME"
    assert copy_algorithm(info(algorithm="CRC64NVME"), multipart=True) == "CRC64NVME"
    assert copy_algorithm(info(algorithm="SHA256"), multipart=False) == "CRC64NVME"


def test_manifest_checksum_is_order_independent_and_content_sensitive():
    a = manifest_checksum([("x", "1"), ("y", "2")])
    assert a == manifest_checksum([("y", "2"), ("x", "1")])
    assert a != manifest_checksum([("x", "1"), ("y", "3")])


def test_summary_status():
    assert summary_status([]) == "none"
    copied = ArtifactCopy("a", "model", "s3://b/k", "copied")
    failed = ArtifactCopy("b", "model", "s3://b/l", "copy_failed")
    assert summary_status([copied]) == "copied"
    assert summary_status([copied, failed]) == "copy_failed"


def test_validation_metrics_flatten_the_statistics_report():
    report = {
        "version": 0.0,
        "dataset": {"item_count": 100},
        "regression_metrics": {"mae": {"value": 1.5, "standard_deviation": 0.1}, "r2": {"value": 0.8}},
        "multiclass_classification_metrics": {"accuracy": {"value": 0.9}, "mae": {"value": 2}},
    }
    assert validation_metrics(report) == {
        "regression_metrics.mae": 1.5,
        "r2": 0.8,
        "accuracy": 0.9,
        "multiclass_classification_metrics.mae": 2,
        "problem_type": "regression,multiclass_classification",
    }
    assert validation_metrics({"binary_classification_metrics": {"flag": {"value": True}}}) == {}
    assert validation_metrics([1, 2]) == {}
