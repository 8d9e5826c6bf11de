"""The endpoints govsync creates are hardened by default, each default one a stage may turn off: the
stage's KMS key on the endpoint config, network isolation, two instances in the last stage, tags naming
the package, its group, version and stage. Every request is one SageMaker's API model accepts (checked
with botocore's own validator against its service model)."""

from __future__ import annotations

from dataclasses import replace

import botocore.session
import pytest
from botocore.validate import ParamValidator

from govsync.adapters.described_package import snapshot_from_describe
from govsync.domain.targets import StageTarget, resolve_targets
from govsync.strategies.sagemaker_endpoint import SageMakerEndpoint

from .helpers import ARN, GROUP, described

MODEL = botocore.session.get_session().get_service_model("sagemaker")
PACKAGE = snapshot_from_describe(described(
    ModelApprovalStatus="Approved",
    InferenceSpecification={"Containers": [{"Image": "i"}], "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"]},
))  # fmt: skip


def targets(**stage_options):
    raw = {"test": StageTarget(account="333333333333", **stage_options.get("test", {})),
           "production": StageTarget(account="444444444444", **stage_options.get("production", {}))}  # fmt: skip
    return resolve_targets(raw, role_name="govsync-deploy", region="us-east-1", partition="aws",
                           central_account="111111111111", final_stage="production")  # fmt: skip


def accepted(operation: str, request: dict) -> None:
    """Raise if SageMaker's API model would refuse the request (botocore validates it before sending)."""
    report = ParamValidator().validate(request, MODEL.operation_model(operation).input_shape)
    assert not report.has_errors(), report.generate_report()


@pytest.mark.parametrize("stage", ["test", "production"])
def test_every_create_call_carries_the_hardening_by_default(stage):
    spec = SageMakerEndpoint.spec(PACKAGE, targets()[stage])
    model, config = spec.parameters["model"], spec.parameters["endpoint_config"]
    accepted("CreateModel", model)
    accepted("CreateEndpointConfig", config)
    assert model["EnableNetworkIsolation"] is True
    assert config["KmsKeyId"] == "alias/govsync-endpoints"
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == (2 if stage == "production" else 1)
    tags = {t["Key"]: t["Value"] for t in config["Tags"]}
    assert tags == {"govsync:model-package-arn": ARN, "govsync:model-group": GROUP, "govsync:model-version": "1",
                    "govsync:stage": stage}  # fmt: skip
    assert model["Tags"] == config["Tags"] and {t["Key"]: t["Value"] for t in spec.tags} == tags


def test_a_stage_turns_each_default_off_or_sets_its_own():
    chosen = targets(production={"kms_key": None, "network_isolation": False, "instance_count": 1},
                     test={"kms_key": "arn:aws:kms:us-east-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                           "instance_count": 3})  # fmt: skip
    production = SageMakerEndpoint.spec(PACKAGE, chosen["production"]).parameters
    assert "KmsKeyId" not in production["endpoint_config"] and production["model"]["EnableNetworkIsolation"] is False
    assert production["endpoint_config"]["ProductionVariants"][0]["InitialInstanceCount"] == 1
    test = SageMakerEndpoint.spec(PACKAGE, chosen["test"]).parameters
    assert test["endpoint_config"]["KmsKeyId"].endswith(":key/1234abcd-12ab-34cd-56ef-1234567890ab")
    assert test["endpoint_config"]["ProductionVariants"][0]["InitialInstanceCount"] == 3
    for request in (production, test):
        accepted("CreateModel", request["model"])
        accepted("CreateEndpointConfig", request["endpoint_config"])


def test_a_key_that_is_not_one_is_refused_when_the_settings_are_read():
    with pytest.raises(ValueError, match="kms_key"):
        StageTarget(account="333333333333", kms_key="not a key; rm -rf")


def test_data_capture_goes_to_the_central_bucket_under_the_central_key_unless_a_stage_turns_it_off():
    key = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    chosen = targets(test={"data_capture_percent": None}, production={"data_capture_percent": 5})
    central = {stage: replace(t, capture_bucket="govsync-artifacts-111111111111", capture_key=key)
               for stage, t in chosen.items()}  # fmt: skip
    production = SageMakerEndpoint.spec(PACKAGE, central["production"]).parameters["endpoint_config"]
    accepted("CreateEndpointConfig", production)
    assert production["DataCaptureConfig"] == {
        "EnableCapture": True, "InitialSamplingPercentage": 5,
        "DestinationS3Uri": f"s3://govsync-artifacts-111111111111/data-capture/{GROUP}/production",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}], "KmsKeyId": key,
    }  # fmt: skip
    assert "DataCaptureConfig" not in SageMakerEndpoint.spec(PACKAGE, central["test"]).parameters["endpoint_config"]
    # on by default (20 %), wherever the deploy function knows the central bucket
    default = replace(targets()["test"], capture_bucket="b-111111111111")
    config = SageMakerEndpoint.spec(PACKAGE, default).parameters["endpoint_config"]
    assert config["DataCaptureConfig"]["InitialSamplingPercentage"] == 20
