"""Faithful SageMaker behaviour that moto 5.2.5 lacks, added as an extension of moto.

Installed in-process (the local stack's moto server and the tests), never in the functions:

- `ModelLifeCycle` and `ModelCard` on model packages (create, update, describe);
- `update_model_package` keeps `CustomerMetadataProperties`, `ModelApprovalStatus` and
  `ApprovalDescription` unless told to change them, merges new properties, and honours
  `CustomerMetadataPropertiesToRemove`;
- `LastModifiedBy` names the calling IAM identity, as SageMaker does;
- `account` on events EventBridge delivers to targets;
- hooks (`on_model_package_change`, `on_endpoint_change`) so the local stack can emit SageMaker's
  events (endpoints go CREATING -> IN_SERVICE, as SageMaker reports them);
- endpoints: `update_endpoint` (UPDATING -> IN_SERVICE, blue/green as one step); an endpoint whose
  model data cannot be downloaded (the S3 object its model, or its model package, names is missing)
  ends FAILED with SageMaker's failure reason; a failed or in-progress endpoint cannot be updated;
- `create_model`, `create_endpoint_config` and `create_endpoint` refuse an existing name, as
  SageMaker does (moto replaces the resource silently); `add_tags` replaces a key's value;
- events a rule forwards to another account's bus keep their `account` and `resources`, as
  EventBridge's do (moto restamps them with the receiving account);
- CloudWatch: percentile statistics (`p90`) in GetMetricData, nearest-rank over the datapoints put;
- Model Monitor: create/describe/list/delete monitoring schedules and list their executions (moto
  has none); executions are recorded with `record_monitoring_execution`, or at creation through the
  `govsync-local:execution-status` tag;
- DynamoDB: TransactWriteItems rolls back the items it touched instead of deep-copying the whole
  table for every item of every transaction, and a Query on the table's keys reads its partition
  instead of sorting the whole table (both made a thousand-record table take minutes);
- S3: `CopySourceIfMatch` on CopyObject and UploadPartCopy (a source that changed fails with 412
  PreconditionFailed, as S3 does; moto ignores the header), and UploadPartCopy reads only its byte range
  (moto reads the whole source object for every part, which makes multi-GiB copies need many GiB).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.models import ModelPackage, ValidationError
from moto.sagemaker.responses import SageMakerResponse

PackageListener = Callable[[ModelPackage, str, str], None]
EndpointListener = Callable[[dict[str, Any], str, str, str], None]
_listeners: list[PackageListener] = []
_endpoint_listeners: list[EndpointListener] = []
_installed = False


def on_model_package_change(listener: PackageListener) -> None:
    """Call `listener(package, account_id, region)` after every create or update of a model package."""
    _listeners.append(listener)


def on_endpoint_change(listener: EndpointListener) -> None:
    """Call `listener(endpoint, status, account_id, region)` on each endpoint status transition."""
    _endpoint_listeners.append(listener)


def set_default_account(account_id: str) -> None:
    """Requests signed with keys moto does not know (plain test credentials) act in `account_id`;
    keys from sts:AssumeRole act in the role's account. (MOTO_ACCOUNT_ID would pin every request,
    assumed roles included, to one account.)"""
    import moto.iam.models

    moto.iam.models.DEFAULT_ACCOUNT_ID = account_id


def clear_listeners() -> None:
    _listeners.clear()
    _endpoint_listeners.clear()


def _endpoint_notify(response: SageMakerResponse, name: str, statuses: tuple[str, ...]) -> None:
    endpoint = response.sagemaker_backend.endpoints.get(name)
    if endpoint is None:
        return
    described = dict(endpoint.response_object)
    tags = getattr(endpoint, "tags", None)
    described["Tags"] = {t["Key"]: t["Value"] for t in tags or []}
    for status in statuses:
        for listener in list(_endpoint_listeners):
            listener(described, status, response.current_account, response.region)


def _notify(package: ModelPackage, account_id: str, region: str) -> None:
    for listener in list(_listeners):
        listener(package, account_id, region)


def _caller_arn(response: SageMakerResponse) -> str | None:
    try:
        from moto.sts.models import sts_backends

        access_key = response.get_access_key()
        backend = sts_backends[response.current_account]["global"]
        return backend.get_caller_identity(access_key, response.region)[1]
    except Exception:  # best effort: unknown credentials keep moto's default identity
        return None


def _find(response: SageMakerResponse, arn: str) -> ModelPackage:
    backend = response.sagemaker_backend
    package = backend.model_packages.get(backend.model_package_name_mapping.get(arn, arn))
    if package is None:
        raise ValidationError(f"Model package {arn} not found")
    return package


def install() -> None:
    """Patch moto's SageMaker model packages (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True

    original_response_object = ModelPackage.gen_response_object
    original_create = SageMakerResponse.create_model_package

    def gen_response_object(self: ModelPackage) -> dict[str, Any]:
        response = original_response_object(self)
        if getattr(self, "model_life_cycle", None):
            response["ModelLifeCycle"] = self.model_life_cycle
        if getattr(self, "model_card", None):
            response["ModelCard"] = self.model_card
        if not response.get("CustomerMetadataProperties"):
            response.pop("CustomerMetadataProperties", None)
        return response

    def create_model_package(self: SageMakerResponse) -> ActionResult:
        result = original_create(self)
        package = _find(self, result.result["ModelPackageArn"])
        package.model_life_cycle = self._get_param("ModelLifeCycle")
        package.model_card = self._get_param("ModelCard")
        if caller := _caller_arn(self):
            package.created_by = {"IamIdentity": {"Arn": caller}}
        _notify(package, self.current_account, self.region)
        return result

    def update_model_package(self: SageMakerResponse) -> ActionResult:
        package = _find(self, self._get_param("ModelPackageArn"))
        if (status := self._get_param("ModelApprovalStatus")) is not None:
            package.set_model_approval_status(status)
        if (description := self._get_param("ApprovalDescription")) is not None:
            package.approval_description = description
        properties = dict(package.customer_metadata_properties or {})
        properties.update(self._get_param("CustomerMetadataProperties") or {})
        for key in self._get_param("CustomerMetadataPropertiesToRemove") or []:
            properties.pop(key, None)
        package.customer_metadata_properties = properties or None
        if additional := self._get_param("AdditionalInferenceSpecificationsToAdd"):
            package.add_additional_inference_specifications(additional)
        if (life_cycle := self._get_param("ModelLifeCycle")) is not None:
            package.model_life_cycle = life_cycle
        if (card := self._get_param("ModelCard")) is not None:
            package.model_card = card
        package.modifications_done()
        if caller := _caller_arn(self):
            package.last_modified_by = {"IamIdentity": {"Arn": caller}}
        _notify(package, self.current_account, self.region)
        return ActionResult({"ModelPackageArn": package.arn})

    # Events delivered to targets carry `account`, as EventBridge's do.
    from moto.events.utils import EventTemplateParser

    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE.replace(
        '"version": "0",', '"version": "0", "account": "<account>",'
    )

    original_create_endpoint = SageMakerResponse.create_endpoint
    original_delete_endpoint = SageMakerResponse.delete_endpoint

    def create_endpoint(self: SageMakerResponse) -> ActionResult:
        name = self._get_param("EndpointName")
        _refuse_existing(self.sagemaker_backend.endpoints, name, "endpoint", self)
        result = original_create_endpoint(self)
        # moto's endpoints are InService at once; SageMaker passes through Creating first.
        final = _settle(self.sagemaker_backend.endpoints[name], self.sagemaker_backend)
        _endpoint_notify(self, name, ("CREATING", final))
        return result

    def update_endpoint(self: SageMakerResponse) -> ActionResult:
        from moto.sagemaker.models import FakeEndpoint
        from moto.sagemaker.utils import arn_formatter

        backend = self.sagemaker_backend
        name = self._get_param("EndpointName")
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            arn = FakeEndpoint.arn_formatter(name, self.current_account, self.region)
            raise ValidationError(f'Could not find endpoint "{arn}".')
        if endpoint.endpoint_status == "Failed":
            raise ValidationError(f'Cannot update failed endpoint "{endpoint.arn}".')
        if endpoint.endpoint_status != "InService":
            raise ValidationError(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        config_name = self._get_param("EndpointConfigName")
        if config_name not in backend.endpoint_configs:
            arn = arn_formatter("endpoint-config", config_name, self.current_account, self.region)
            raise ValidationError(f'Could not find endpoint configuration "{arn}".')
        config = backend.endpoint_configs[config_name].response_object
        endpoint.endpoint_config_name = config_name
        endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
        from moto.core.utils import utcnow

        endpoint.last_modified_time = utcnow()
        final = _settle(endpoint, backend)
        _endpoint_notify(self, name, ("UPDATING", final))
        return ActionResult({"EndpointArn": endpoint.arn})

    original_create_model = SageMakerResponse.create_model
    original_create_endpoint_config = SageMakerResponse.create_endpoint_config

    def create_model(self: SageMakerResponse) -> ActionResult:
        _refuse_existing(self.sagemaker_backend._models, self._get_param("ModelName"), "model", self)
        return original_create_model(self)

    def create_endpoint_config(self: SageMakerResponse) -> ActionResult:
        name = self._get_param("EndpointConfigName")
        _refuse_existing(self.sagemaker_backend.endpoint_configs, name, "endpoint configuration", self)
        return original_create_endpoint_config(self)

    from moto.sagemaker.models import SageMakerModelBackend

    def add_tags(self: SageMakerModelBackend, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
        resource = self._get_resource_from_arn(arn)
        merged = {t["Key"]: t["Value"] for t in resource.tags or []}
        merged.update({t["Key"]: t["Value"] for t in tags})
        resource.tags[:] = [{"Key": k, "Value": v} for k, v in merged.items()]
        return resource.tags

    SageMakerModelBackend.add_tags = add_tags
    SageMakerResponse.update_endpoint = update_endpoint
    SageMakerResponse.create_model = create_model
    SageMakerResponse.create_endpoint_config = create_endpoint_config
    _install_event_forwarding()

    def delete_endpoint(self: SageMakerResponse) -> Any:
        _endpoint_notify(self, self._get_param("EndpointName"), ("DELETING",))
        return original_delete_endpoint(self)

    _install_s3()
    _install_cloudwatch()
    _install_model_monitor()
    _install_dynamodb()

    SageMakerResponse.create_endpoint = create_endpoint
    SageMakerResponse.delete_endpoint = delete_endpoint
    ModelPackage.gen_response_object = gen_response_object
    SageMakerResponse.create_model_package = create_model_package
    SageMakerResponse.update_model_package = update_model_package


def _refuse_existing(resources: dict[str, Any], name: str, kind: str, response: SageMakerResponse) -> None:
    if name in resources:
        raise ValidationError(f'Cannot create already existing {kind} "{resources[name].arn}".')


def _missing_model_data(endpoint: Any, backend: Any) -> str | None:
    """SageMaker's failure reason when a container's model data cannot be downloaded, else None."""
    from moto.s3.models import s3_backends
    from moto.sagemaker.models import sagemaker_backends

    config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    for variant in config.production_variants if config else []:
        model = backend._models.get(variant.get("ModelName"))
        if model is None:
            continue
        containers = [c for c in [model.primary_container, *(model.containers or [])] if c]
        for index, container in enumerate(containers, start=1):
            urls = [container.get("ModelDataUrl")]
            if package_arn := container.get("ModelPackageName"):
                account, region = package_arn.split(":")[4], package_arn.split(":")[3]
                packages = sagemaker_backends[account][region]
                package = packages.model_packages.get(packages.model_package_name_mapping.get(package_arn, package_arn))
                spec = (package.inference_specification or {}) if package else {}
                urls = [c.get("ModelDataUrl") for c in spec.get("Containers", [])]
            for url in filter(None, urls):
                bucket, _, key = url.removeprefix("s3://").partition("/")
                found = None
                if bucket in s3_backends.bucket_accounts:
                    partition, account = s3_backends.bucket_accounts[bucket]
                    found = s3_backends[account][partition].buckets[bucket].keys.get(key)
                if found is None:
                    return (
                        f'Failed to download model data for container "container_{index}" from URL: "{url}". '
                        "Please ensure that there is an object located at the URL and that the role passed to "
                        "CreateModel has permissions to download the object."
                    )
    return None


def _settle(endpoint: Any, backend: Any) -> str:
    """Where a created or updated endpoint ends: IN_SERVICE, or FAILED when its model data is missing."""
    reason = _missing_model_data(endpoint, backend)
    endpoint.endpoint_status = "Failed" if reason else "InService"
    endpoint.failure_reason = reason
    return "FAILED" if reason else "IN_SERVICE"


def _install_event_forwarding() -> None:
    """Keep `account` and `resources` on events a rule forwards to another account's bus."""
    import threading

    from moto.events.models import Rule

    forwarding = threading.local()
    original_send = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
        origin = getattr(forwarding, "origin", None)
        if origin is not None:  # delivered on the receiving bus: restore what EventBridge keeps
            original_event = {**original_event, **origin}
            forwarding.origin = None
            try:
                return original_send(self, original_event, transform_input)
            finally:
                forwarding.origin = origin
        forwarding.origin = {"account": original_event.get("account"), "resources": original_event.get("resources", [])}
        try:
            return original_send(self, original_event, transform_input)
        finally:
            forwarding.origin = None

    Rule.send_to_targets = send_to_targets


def _install_s3() -> None:
    from urllib.parse import parse_qs, unquote, urlparse

    from moto.s3.exceptions import PreconditionFailed
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response

    def check_copy_source_if_match(response: S3Response) -> None:
        wanted = response.headers.get("x-amz-copy-source-if-match")
        if not wanted:
            return
        source = response.headers.get("x-amz-copy-source")
        source = source.decode() if isinstance(source, bytes) else source
        parsed = urlparse(source)
        bucket, key = unquote(parsed.path).lstrip("/").split("/", 1)
        version = parse_qs(parsed.query).get("versionId", [None])[0]
        current = response.backend.get_object(bucket, key, version_id=version)
        if current is not None and current.etag.strip('"') != wanted.strip('"'):
            raise PreconditionFailed(failed_condition="x-amz-copy-source-If-Match")

    original_copy_object = S3Response.copy_object
    original_upload_part_copy = S3Response.upload_part_copy

    def copy_object(self: S3Response) -> Any:
        check_copy_source_if_match(self)
        return original_copy_object(self)

    def upload_part_copy(self: S3Response) -> Any:
        check_copy_source_if_match(self)
        return original_upload_part_copy(self)

    def backend_upload_part_copy(
        self: S3Backend,
        dest_bucket_name: str,
        multipart_id: str,
        part_id: int,
        src_bucket_name: str,
        src_key_name: str,
        src_version_id: str | None,
        start_byte: int | None,
        end_byte: int | None,
    ) -> Any:
        multipart = self.get_bucket(dest_bucket_name).multiparts[multipart_id]
        source = self.get_object(src_bucket_name, src_key_name, version_id=src_version_id)
        if start_byte is None or end_byte is None:
            return multipart.set_part(part_id, source.value)
        with source.lock:
            source._value_buffer.seek(start_byte)
            chunk = source._value_buffer.read(end_byte + 1 - start_byte)
        return multipart.set_part(part_id, chunk)

    S3Response.copy_object = copy_object
    S3Response.upload_part_copy = upload_part_copy
    S3Backend.upload_part_copy = backend_upload_part_copy


# ---------------------------------------------------------------------------- CloudWatch percentiles
PERCENTILE = re.compile(r"p(\d{1,2}(?:\.\d+)?)")


def percentile(values: list[float], rank: float) -> float | None:
    """Nearest-rank percentile (CloudWatch's own is an estimate over its buckets; on a few
    datapoints both give a value that was put)."""
    if not values:
        return None
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(rank / 100 * len(ordered)) - 1))
    return ordered[index]


def _install_cloudwatch() -> None:
    """GetMetricData with percentile statistics (pNN, moto answers None for them), and no `None`
    values in its answers (a statistic without datapoints has no value, as in CloudWatch)."""
    from moto.cloudwatch.models import CloudWatchBackend, Statistics

    original_statistic = Statistics.get_statistics_for_type
    original_get_metric_data = CloudWatchBackend.get_metric_data

    def get_statistics_for_type(self: Statistics, stat: str) -> Any:
        match = PERCENTILE.fullmatch(stat)
        if match is None:
            return original_statistic(self, stat)
        return percentile(self.metric_single_values_list, float(match.group(1)))

    def get_metric_data(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        results = original_get_metric_data(self, *args, **kwargs)
        for result in results:
            pairs = [(t, v) for t, v in zip(result["timestamps"], result["values"], strict=False) if v is not None]
            result["timestamps"], result["values"] = [t for t, _ in pairs], [v for _, v in pairs]
        return results

    Statistics.get_statistics_for_type = get_statistics_for_type
    CloudWatchBackend.get_metric_data = get_metric_data


# ---------------------------------------------------------------------------- Model Monitor
# Locally no processing job runs, so no schedule ever executes by itself. A schedule tagged
# `govsync-local:execution-status` gets one execution with that status at creation (a local hook for
# demos); tests record executions with `record_monitoring_execution`.
LOCAL_EXECUTION_TAG = "govsync-local:execution-status"


def _monitoring(backend: Any) -> dict[str, Any]:
    if not hasattr(backend, "_govsync_monitoring"):
        backend._govsync_monitoring = {"schedules": {}, "executions": []}
    return backend._govsync_monitoring


def record_monitoring_execution(
    account_id: str,
    region: str,
    schedule_name: str,
    status: str,
    scheduled_time: Any = None,
    failure_reason: str | None = None,
) -> dict[str, Any]:
    """Record an execution of a monitoring schedule, as Model Monitor's hourly job would."""
    from moto.core.utils import utcnow
    from moto.sagemaker.models import sagemaker_backends

    state = _monitoring(sagemaker_backends[account_id][region])
    schedule = state["schedules"].get(schedule_name)
    if schedule is None:
        raise KeyError(f"no monitoring schedule {schedule_name} in {account_id}/{region}")
    when = scheduled_time or utcnow().replace(minute=0, second=0, microsecond=0)
    execution = {
        "MonitoringScheduleName": schedule_name,
        "ScheduledTime": when,
        "CreationTime": when,
        "LastModifiedTime": when,
        "MonitoringExecutionStatus": status,
        "EndpointName": schedule["EndpointName"],
        "MonitoringType": schedule["MonitoringType"],
        "ProcessingJobArn": (
            f"arn:aws:sagemaker:{region}:{account_id}:processing-job/model-monitoring-{when:%Y%m%d%H}-{schedule_name}"[
                :256
            ]
        ),
    }
    if failure_reason:
        execution["FailureReason"] = failure_reason
    state["executions"].append(execution)
    schedule["LastMonitoringExecutionSummary"] = execution
    return execution


def _page(items: list[dict[str, Any]], response: Any, default: int = 100) -> tuple[list[dict[str, Any]], str | None]:
    start = int(response._get_param("NextToken") or 0)
    size = int(response._get_param("MaxResults") or default)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def _install_model_monitor() -> None:
    from moto.core.utils import utcnow
    from moto.sagemaker.utils import arn_formatter

    def create_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
        state = _monitoring(self.sagemaker_backend)
        name = self._get_param("MonitoringScheduleName")
        if name in state["schedules"]:
            raise ValidationError(f"Monitoring schedule {name} already exists")
        config = self._get_param("MonitoringScheduleConfig") or {}
        inputs = (config.get("MonitoringJobDefinition") or {}).get("MonitoringInputs") or [{}]
        endpoint = (inputs[0].get("EndpointInput") or {}).get("EndpointName")
        now = utcnow()
        arn = arn_formatter("monitoring-schedule", name, self.current_account, self.region)
        tags = {t["Key"]: t["Value"] for t in self._get_param("Tags") or []}
        state["schedules"][name] = {
            "MonitoringScheduleArn": arn,
            "MonitoringScheduleName": name,
            "MonitoringScheduleStatus": "Scheduled",
            "MonitoringType": config.get("MonitoringType") or "DataQuality",
            "MonitoringScheduleConfig": config,
            "EndpointName": endpoint,
            "CreationTime": now,
            "LastModifiedTime": now,
        }
        if tags.get(LOCAL_EXECUTION_TAG):
            record_monitoring_execution(self.current_account, self.region, name, tags[LOCAL_EXECUTION_TAG])
        return ActionResult({"MonitoringScheduleArn": arn})

    def describe_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
        name = self._get_param("MonitoringScheduleName")
        schedule = _monitoring(self.sagemaker_backend)["schedules"].get(name)
        if schedule is None:
            raise ValidationError(f"Monitoring schedule {name} does not exist")
        return ActionResult(dict(schedule))

    def list_monitoring_schedules(self: SageMakerResponse) -> ActionResult:
        endpoint = self._get_param("EndpointName")
        keys = ("MonitoringScheduleName", "MonitoringScheduleArn", "CreationTime", "LastModifiedTime",
                "MonitoringScheduleStatus", "EndpointName", "MonitoringType")  # fmt: skip
        found = [
            {k: s[k] for k in keys if s.get(k) is not None}
            for s in _monitoring(self.sagemaker_backend)["schedules"].values()
            if endpoint is None or s["EndpointName"] == endpoint
        ]
        page, token = _page(found, self)
        return ActionResult({"MonitoringScheduleSummaries": page, **({"NextToken": token} if token else {})})

    def list_monitoring_executions(self: SageMakerResponse) -> ActionResult:
        schedule, endpoint = self._get_param("MonitoringScheduleName"), self._get_param("EndpointName")
        after = self._get_param("ScheduledTimeAfter")
        found = [
            e
            for e in _monitoring(self.sagemaker_backend)["executions"]
            if (schedule is None or e["MonitoringScheduleName"] == schedule)
            and (endpoint is None or e["EndpointName"] == endpoint)
            and (after is None or e["ScheduledTime"].timestamp() > _epoch(after))
        ]
        found.sort(key=lambda e: e["ScheduledTime"], reverse=self._get_param("SortOrder") != "Ascending")
        page, token = _page(found, self, default=10)
        return ActionResult({"MonitoringExecutionSummaries": page, **({"NextToken": token} if token else {})})

    def delete_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
        _monitoring(self.sagemaker_backend)["schedules"].pop(self._get_param("MonitoringScheduleName"), None)
        return ActionResult({})

    SageMakerResponse.create_monitoring_schedule = create_monitoring_schedule
    SageMakerResponse.describe_monitoring_schedule = describe_monitoring_schedule
    SageMakerResponse.list_monitoring_schedules = list_monitoring_schedules
    SageMakerResponse.list_monitoring_executions = list_monitoring_executions
    SageMakerResponse.delete_monitoring_schedule = delete_monitoring_schedule


def _epoch(value: Any) -> float:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


# ---------------------------------------------------------------------------- DynamoDB transactions
def _install_dynamodb() -> None:
    """TransactWriteItems that rolls back the items it touched. moto deep-copies the whole table
    once per item of every transaction, to restore it on failure: each write costs the table's size
    in time and memory, and a table of a thousand records takes minutes and gigabytes."""
    import copy

    import moto.dynamodb.models as ddb
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    class _TablesByReference:
        """moto's module-level `copy`, except that a Table is not copied (the items are, below)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    ddb.copy = _TablesByReference()
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        snapshots = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            if op_type == "Put":
                attrs = op.get("Item", {})
                key = {table.hash_key_attr: attrs.get(table.hash_key_attr)}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs.get(table.range_key_attr)
            else:
                key = op.get("Key", {})
            try:
                current = self.get_item(op["TableName"], key)
            except Exception:  # a malformed key: the original raises the proper error
                continue
            snapshots.append((op["TableName"], key, current.to_json()["Attributes"] if current else None))
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, attributes in reversed(snapshots):
                if attributes is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attributes)
            raise

    DynamoDBBackend.transact_write_items = transact_write_items

    # A Query on the table's own keys reads its partition; moto lists and sorts the whole table first.
    import threading

    partition = threading.local()
    original_all_items = Table.all_items
    original_query = Table.query

    def all_items(self: Table) -> list[Any]:
        hint = getattr(partition, "key", None)
        if hint is not None and hint[0] is self:
            return list(self.items.get(hint[1], {}).values())
        return original_all_items(self)

    import inspect

    signature = inspect.signature(original_query)

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = signature.bind(self, hash_key, *args, **kwargs).arguments.get("index_name")
        if index_name or hash_key is None or not self.range_key_attr:
            return original_query(self, hash_key, *args, **kwargs)
        partition.key = (self, hash_key)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            partition.key = None

    Table.all_items = all_items
    Table.query = query
