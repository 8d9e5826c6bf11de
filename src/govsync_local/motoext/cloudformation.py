"""CloudFormation: properties moto's resource types leave out, applied as AWS applies them, so the
local stack looks like the template where a scanner looks.

- `AWS::KMS::Key`: the key policy kept as JSON text, without the statements `AWS::NoValue` removed
  (moto keeps the template's mapping with a None in their place, and every DescribeKey then answers a
  server error);
- `AWS::S3::Bucket`: VersioningConfiguration, PublicAccessBlockConfiguration, OwnershipControls,
  LoggingConfiguration, LifecycleConfiguration and ObjectLockConfiguration (moto applies only
  encryption and tags);
- `AWS::Logs::LogGroup`: KmsKeyId (moto reads only the API's spelling, kmsKeyId);
- `AWS::DynamoDB::Table`: PointInTimeRecoverySpecification, and SSESpecification in the API's shape
  (`SSEEnabled` is CloudFormation's name for the API's `Enabled`).
"""

from __future__ import annotations

import json
from typing import Any


def install() -> None:
    """Wrap the three resource types' create_from_cloudformation_json."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.table import Table
    from moto.kms.models import Key
    from moto.logs.models import LogGroup
    from moto.s3.models import FakeBucket, s3_backends

    original_key = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    original_bucket = FakeBucket.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    original_table = Table.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    original_log_group = LogGroup.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_key(cls: Any, name: str, cfn: dict[str, Any], account_id: str, region: str, **kw: Any) -> Any:
        key = original_key(cls, name, cfn, account_id, region, **kw)
        if not isinstance(key.policy, str):
            statements = [st for st in key.policy.get("Statement", []) if st is not None]
            key.policy = json.dumps({**key.policy, "Statement": statements})
        return key

    def create_bucket(cls: Any, name: str, cfn: dict[str, Any], account_id: str, region: str, **kw: Any) -> Any:
        bucket = original_bucket(cls, name, cfn, account_id, region, **kw)
        properties = cfn.get("Properties", {})
        backend = s3_backends[account_id][bucket.partition]
        if status := properties.get("VersioningConfiguration", {}).get("Status"):
            backend.put_bucket_versioning(bucket.name, status)
        if block := properties.get("PublicAccessBlockConfiguration"):
            backend.put_public_access_block(bucket.name, {k: str(v).lower() == "true" for k, v in block.items()})
        if ownership := properties.get("OwnershipControls", {}).get("Rules"):
            backend.put_bucket_ownership_controls(bucket.name, ownership[0]["ObjectOwnership"])
        if logging := properties.get("LoggingConfiguration"):
            # the target's bucket policy grants S3's log delivery (BucketOwnerEnforced has no ACLs)
            bucket.logging = {
                "TargetBucket": logging["DestinationBucketName"],
                "TargetPrefix": logging.get("LogFilePrefix", ""),
            }
        if rules := properties.get("LifecycleConfiguration", {}).get("Rules"):
            bucket.set_lifecycle([_lifecycle_rule(rule) for rule in rules])
        if str(properties.get("ObjectLockEnabled", "")).lower() == "true":
            retention = properties.get("ObjectLockConfiguration", {}).get("Rule", {}).get("DefaultRetention", {})
            backend.put_object_lock_configuration(
                bucket.name, True, retention.get("Mode"), int(retention.get("Days", 0)), int(retention.get("Years", 0))
            )
        return bucket

    def create_log_group(cls: Any, name: str, cfn: dict[str, Any], account_id: str, region: str, **kw: Any) -> Any:
        group = original_log_group(cls, name, cfn, account_id, region, **kw)
        group.kms_key_id = cfn.get("Properties", {}).get("KmsKeyId", group.kms_key_id)
        return group

    def create_table(cls: Any, name: str, cfn: dict[str, Any], account_id: str, region: str, **kw: Any) -> Any:
        properties = cfn.get("Properties", {})
        sse = properties.get("SSESpecification")
        if sse and "SSEEnabled" in sse:
            api_sse = {"Enabled": str(sse["SSEEnabled"]).lower() == "true", "SSEType": sse.get("SSEType", "KMS")}
            if "KMSMasterKeyId" in sse:
                api_sse["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
            cfn = {**cfn, "Properties": {**properties, "SSESpecification": api_sse}}
        table = original_table(cls, name, cfn, account_id, region, **kw)
        pitr = properties.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
        if str(pitr).lower() == "true":
            dynamodb_backends[account_id][region].update_continuous_backups(
                table.name, {"PointInTimeRecoveryEnabled": True}
            )
        return table

    Key.create_from_cloudformation_json = classmethod(create_key)  # type: ignore[method-assign,assignment]
    FakeBucket.create_from_cloudformation_json = classmethod(create_bucket)  # type: ignore[method-assign,assignment]
    Table.create_from_cloudformation_json = classmethod(create_table)  # type: ignore[method-assign,assignment]
    LogGroup.create_from_cloudformation_json = classmethod(create_log_group)  # type: ignore[method-assign,assignment]


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in the API's shape (the subset the templates use)."""
    api: dict[str, Any] = {
        "ID": rule.get("Id", ""),
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if "ExpirationInDays" in rule:
        api["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "AbortIncompleteMultipartUpload" in rule:
        days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        api["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
    if "NoncurrentVersionExpiration" in rule:
        days = rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
        api["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(days)}
    return api
