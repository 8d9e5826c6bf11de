"""ARNs, parsed once into values: a model package's (account, region, group, version), and the
fields of any ARN (`arn:partition:service:region:account:resource`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

# SageMaker's own pattern (API reference: ModelPackageArn).
MODEL_PACKAGE_ARN = re.compile(
    r"arn:(?P<partition>aws(?:-cn|-us-gov)?):sagemaker:(?P<region>[a-z0-9\-]{9,16}):(?P<account>[0-9]{12}):"
    r"model-package/(?P<group>[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})/(?P<version>[1-9][0-9]{0,9})"
)
# SageMaker's own pattern (API reference: ModelPackageGroupArn).
MODEL_PACKAGE_GROUP_ARN = re.compile(
    r"arn:(?P<partition>aws(?:-cn|-us-gov)?):sagemaker:(?P<region>[a-z0-9\-]{9,16}):(?P<account>[0-9]{12}):"
    r"model-package-group/(?P<group>[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})"
)


@dataclass(frozen=True, slots=True)
class Arn:
    """Any ARN's fields (region and account may be empty, as in IAM and S3 ARNs)."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, arn: str) -> Arn:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            raise ValueError(f"not an ARN: {arn[:200]!r}")
        return cls(*parts[1:])


@dataclass(frozen=True, slots=True)
class PackageArn:
    """A versioned model package's ARN."""

    partition: str
    region: str
    account: str
    group: str
    version: int

    @classmethod
    def parse(cls, arn: str) -> PackageArn | None:
        """The ARN's parts, or None when it is not a versioned model package ARN."""
        match = MODEL_PACKAGE_ARN.fullmatch(arn)
        if match is None:
            return None
        return cls(match["partition"], match["region"], match["account"], match["group"], int(match["version"]))

    def __str__(self) -> str:
        prefix = f"arn:{self.partition}:sagemaker:{self.region}:{self.account}"
        return f"{prefix}:model-package/{self.group}/{self.version}"

    @property
    def group_arn(self) -> str:
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.account}:model-package-group/{self.group}"


def version_arn(arn: str, version: int) -> str:
    """The ARN of another version of the same group."""
    parsed = PackageArn.parse(arn)
    if parsed is None:
        raise ValueError(f"not a versioned model package ARN: {arn[:200]}")
    return str(replace(parsed, version=version))
