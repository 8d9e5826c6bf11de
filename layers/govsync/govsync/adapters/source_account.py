"""What govsync reads in a version's source (dev) account for its lineage, through the lineage read role
it assumes there (`lineage_role_name`): the training job (SageMaker DescribeTrainingJob) and the dataset
objects' versions (S3 GetObjectAttributes: ETag and version id, never the data)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws
from govsync.domain.arns import Arn
from govsync.domain.lineage import TrainingJob, hyperparameters_hash

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client


def training_job_from_describe(described: dict[str, Any]) -> TrainingJob:
    """The domain's view of a DescribeTrainingJob answer."""
    channels = []
    for channel in described.get("InputDataConfig") or []:
        source = (channel.get("DataSource") or {}).get("S3DataSource") or {}
        if source.get("S3Uri"):
            channels.append((str(channel.get("ChannelName") or ""), str(source["S3Uri"])))
    hyperparameters = described.get("HyperParameters") or {}
    return TrainingJob(
        arn=str(described["TrainingJobArn"]),
        image=(described.get("AlgorithmSpecification") or {}).get("TrainingImage"),
        channels=tuple(channels),
        hyperparameters_sha256=hyperparameters_hash(hyperparameters) if hyperparameters else None,
    )


class SourceAccountReads:
    """Reads in source accounts, each through the role `role_name` assumed there."""

    def __init__(self, role_name: str, region: str, partition: str = "aws", roles: aws.AssumedRoles | None = None):
        self._role_name = role_name
        self._partition = partition
        self._roles = roles or aws.AssumedRoles("govsync-lineage-read", region)

    def _role(self, account: str) -> str:
        return f"arn:{self._partition}:iam::{account}:role/{self._role_name}"

    def training_job(self, arn: str) -> TrainingJob:
        """The training job `arn` names, read in its own account and region."""
        parsed = Arn.parse(arn)
        try:
            sagemaker = self._roles.client("sagemaker", self._role(parsed.account), parsed.region)
            described = sagemaker.describe_training_job(TrainingJobName=parsed.resource.split("/", 1)[1])
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, "DescribeTrainingJob", arn) from exc
        return training_job_from_describe(dict(described))

    def object_version(self, uri: str, account: str, region: str) -> tuple[str | None, str | None] | None:
        """(ETag, version id) of the object `uri` names, read as `account`'s role; None where there is
        no such object (a prefix, or gone)."""
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        try:
            s3: S3Client = self._roles.client("s3", self._role(account), region)
            answer = s3.get_object_attributes(Bucket=bucket, Key=key, ObjectAttributes=["ETag"])
        except ClientError as exc:
            if aws.error_code(exc) in {"NoSuchKey", "404", "NotFound"}:
                return None
            raise aws.translate(exc, "GetObjectAttributes", uri) from exc
        except BotoCoreError as exc:
            raise aws.translate(exc, "GetObjectAttributes", uri) from exc
        etag = answer.get("ETag")  # unquoted here (HeadObject quotes it): recorded unquoted
        return (etag.strip('"') if etag else None), answer.get("VersionId")
