"""SageMaker endpoints in a stage's account (through its deploy role): model, endpoint config, and
the endpoint created or updated to the new config (blue/green by SageMaker, with the stage's traffic
shifting and rollback alarms: domain.guardrails). Every name is deterministic, so a retried kick finds
what an earlier attempt made instead of making it twice.

Which version an endpoint serves is read from its endpoint config's tags (a config is one version's,
for good); the endpoint's own tags name the version last kicked there, which SageMaker may have rolled
back."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters.aws import error_code, translate
from govsync.domain.errors import EndpointBusy, RetryableError
from govsync.domain.guardrails import alarm_names, alarms_to_create, deployment_config, guardrail_words
from govsync.domain.kicks import DeploySpec, KickResult
from govsync.domain.naming import (
    TAG_SHADOW_VERSION,
    TAG_VERSION,
    endpoint_name,
    resource_tags,
    shadow_config_name,
    version_resource_name,
)
from govsync.domain.package import PackageSnapshot
from govsync.domain.record_facts import Teardown, TeardownResult
from govsync.domain.targets import DEFAULT_STRATEGY, StageTarget, Target, data_capture_config
from govsync.strategies.base import Clients, base_spec

if TYPE_CHECKING:
    from types_boto3_sagemaker import SageMakerClient
    from types_boto3_sagemaker.type_defs import DescribeEndpointOutputTypeDef, TagTypeDef


def _message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


def _exists(exc: ClientError) -> bool:
    return error_code(exc) == "ValidationException" and "already exist" in _message(exc)


def _missing(exc: ClientError) -> bool:
    return error_code(exc) == "ValidationException" and "Could not find" in _message(exc)


@dataclass(frozen=True, slots=True)
class ServedConfig:
    """The endpoint config an endpoint serves: the version it was made for (its version tag; None for one
    govsync did not make), its production variants and its tags."""

    name: str
    version: int | None
    variants: list[Any]
    tags: list[Any]


class SageMakerEndpoint:
    name: ClassVar[str] = DEFAULT_STRATEGY

    def __init__(self, clients: Clients) -> None:
        self._roles = clients.roles

    @staticmethod
    def check_target(target: StageTarget) -> None:
        """The instance type may come from the package (SupportedRealtimeInferenceInstanceTypes)."""

    @staticmethod
    def spec(pkg: PackageSnapshot, target: Target) -> DeploySpec:
        """A model from the package, an endpoint config of one variant, the group's stage endpoint:
        CreateModel's and CreateEndpointConfig's requests, and the endpoint's name."""
        model = version_resource_name(pkg.group, pkg.version, target.stage)
        tags = resource_tags(pkg.arn, target.stage, pkg.version, pkg.group)
        instance_type = target.instance_type or next(iter(pkg.instance_types), None)
        if instance_type is None:
            raise ValueError(
                f"no instance type for stage {target.stage}: set instance_type in its target or "
                "SupportedRealtimeInferenceInstanceTypes on the package"
            )
        model_request: dict[str, Any] = {
            "ModelName": model,
            "ExecutionRoleArn": target.execution_role_arn,
            "EnableNetworkIsolation": target.network_isolation,
            "Tags": tags,
        }
        if len(pkg.containers) > 1:  # an inference pipeline
            model_request["Containers"] = [{"ModelPackageName": pkg.arn}]
        else:
            model_request["PrimaryContainer"] = {"ModelPackageName": pkg.arn}
        if target.vpc_config:
            model_request["VpcConfig"] = dict(target.vpc_config)
        variant = {"VariantName": "AllTraffic", "ModelName": model, "InstanceType": instance_type,
                   "InitialInstanceCount": target.instance_count, "InitialVariantWeight": 1.0}  # fmt: skip
        config: dict[str, Any] = {"EndpointConfigName": model, "ProductionVariants": [variant], "Tags": tags}
        if target.kms_key:
            config["KmsKeyId"] = target.kms_key
        if target.data_capture_percent and target.capture_bucket:
            config["DataCaptureConfig"] = data_capture_config(pkg.group, target)
        endpoint = endpoint_name(pkg.group, target.stage)
        alarms = alarm_names(target.auto_rollback_alarms, endpoint)
        parameters: dict[str, Any] = {"model": model_request, "endpoint_config": config, "endpoint_name": endpoint}
        if target.shadow:
            shadow_config = shadow_config_name(pkg.group, pkg.version, target.stage)
            parameters["shadow"] = {"sampling_percent": target.shadow.sampling_percent, "config_name": shadow_config}
        if update := deployment_config(target.traffic, alarms):
            parameters |= {
                "deployment_config": update,
                "guardrails": guardrail_words(target.traffic, alarms),
                "alarms": [a.request for a in alarms_to_create(target.auto_rollback_alarms, endpoint,
                                                               target.rollback_latency_ms)],
            }  # fmt: skip
        return base_spec(pkg, target, parameters)

    def kick(self, target: Target, spec: DeploySpec) -> KickResult:
        sm = self._roles.client("sagemaker", target.role_arn, target.region, target.external_id)
        model, config = spec.parameters["model"], spec.parameters["endpoint_config"]
        name, config_name = str(spec.parameters["endpoint_name"]), str(config["EndpointConfigName"])
        tags: list[TagTypeDef] = [{"Key": tag["Key"], "Value": tag["Value"]} for tag in spec.tags]
        try:
            self._create(sm.create_model, model)
            self._create(sm.create_endpoint_config, config)
            result = KickResult(
                role_arn=target.role_arn,
                endpoint_name=name,
                endpoint_config_name=config_name,
                details={"model_name": str(model["ModelName"])},
            )
            current = self._describe(sm, name)
            if current is None:
                try:
                    created = sm.create_endpoint(EndpointName=name, EndpointConfigName=config_name, Tags=tags)
                    return replace(result, endpoint_arn=created["EndpointArn"])
                except ClientError as exc:
                    if not _exists(exc):
                        raise
                    current = self._describe(sm, name)  # created by a concurrent kick
                    if current is None:
                        raise
            result = replace(result, endpoint_arn=current["EndpointArn"])
            status = current.get("EndpointStatus")
            if current["EndpointConfigName"] == config_name:
                # an earlier attempt (or a deployment a lost record forgot) already points it at this
                # version: no state change will come for it, so what the endpoint says now is the state
                return replace(result, endpoint_status=status, failure_reason=current.get("FailureReason") or None)
            if status == "Failed":
                # SageMaker cannot update a failed endpoint: delete it, the retried kick creates it anew
                sm.delete_endpoint(EndpointName=name)
                raise RetryableError(f"endpoint {name} in {target.account} was Failed; deleted it to recreate")
            if status not in ("InService", None):
                raise EndpointBusy(f"endpoint {name} in {target.account} is {status}; cannot update it yet")
            live = self._config(sm, current["EndpointConfigName"])
            result = replace(result, previous_version=live.version, previous_endpoint_config_name=live.name)
            shadow = spec.parameters.get("shadow")
            if shadow and current["EndpointConfigName"] == shadow["config_name"]:  # an earlier attempt's shadow
                return replace(result, endpoint_config_name=str(shadow["config_name"]), endpoint_status=status,
                               shadow_of=result.previous_version, previous_endpoint_config_name=None)  # fmt: skip
            if shadow and result.previous_version not in (None, spec.version):
                return self._shadow(sm, spec, result, tags, live)
            update = spec.parameters.get("deployment_config")
            if update:
                self._put_alarms(target, spec.parameters.get("alarms") or ())
                names = [a["AlarmName"] for a in update.get("AutoRollbackConfiguration", {}).get("Alarms", [])]
                result = replace(result, guardrails=str(spec.parameters["guardrails"]),
                                 rollback_alarms=tuple(names) or None)  # fmt: skip
            sm.add_tags(ResourceArn=current["EndpointArn"], Tags=tags)
            if update:
                sm.update_endpoint(EndpointName=name, EndpointConfigName=config_name, DeploymentConfig=update)
            else:
                sm.update_endpoint(EndpointName=name, EndpointConfigName=config_name)
            return result
        except ClientError as exc:
            if error_code(exc) == "ValidationException" and "in-progress" in _message(exc).lower():
                raise RetryableError(f"endpoint {name}: {_message(exc)[:200]}") from exc
            raise translate(exc, "SageMaker", f"endpoint {name} in {target.account}") from exc
        except BotoCoreError as exc:
            raise translate(exc, "SageMaker", f"endpoint {name} in {target.account}") from exc

    def serving(self, target: Target, group: str) -> int | None:
        """The version the stage endpoint's tag names (the kick tags the endpoint with its version)."""
        name = endpoint_name(group, target.stage)
        sm = self._roles.client("sagemaker", target.role_arn, target.region, target.external_id)
        try:
            current = self._describe(sm, name)
            return None if current is None else self._config(sm, current["EndpointConfigName"]).version
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "SageMaker", f"endpoint {name} in {target.account}") from exc

    def tear_down(self, target: Target, group: str, version: int) -> TeardownResult:
        """The stage endpoint deleted with its config and its models, only while its tag names `version`.
        The endpoint goes last: a teardown retried after a partial one finds it and finishes."""
        name = endpoint_name(group, target.stage)
        sm = self._roles.client("sagemaker", target.role_arn, target.region, target.external_id)
        where = f"endpoint {name} in {target.account}"
        try:
            current = self._describe(sm, name)
            if current is None:
                return TeardownResult(Teardown.NOTHING_DEPLOYED, f"no {where}: nothing to delete")
            config = current["EndpointConfigName"]
            serving = self._config(sm, config).version
            if serving != version:
                now = f"v{serving}" if serving is not None else "a version govsync did not deploy"
                return TeardownResult(Teardown.NOT_SERVING, f"{where} serves {now}: nothing deleted", name)
            variants = self._config_variants(sm, config)
            for model in sorted({v["ModelName"] for v in variants if v.get("ModelName")}):
                self._delete(sm.delete_model, ModelName=model)
            self._delete(sm.delete_endpoint_config, EndpointConfigName=config)
            sm.delete_endpoint(EndpointName=name)
        except ClientError as exc:
            if error_code(exc) == "ValidationException" and "in-progress" in _message(exc).lower():
                raise RetryableError(f"{where}: {_message(exc)[:200]}") from exc
            raise translate(exc, "SageMaker", where) from exc
        except BotoCoreError as exc:
            raise translate(exc, "SageMaker", where) from exc
        return TeardownResult(Teardown.TORN_DOWN, f"deleted {where} with its config {config} and its model", name)

    def _shadow(
        self, sm: SageMakerClient, spec: DeploySpec, result: KickResult, tags: list[TagTypeDef], live: ServedConfig
    ) -> KickResult:
        """The endpoint on a config of its live variants and the new version as their shadow (a sample of
        the live requests copied to it, its answers captured, not returned). The config is tagged as the
        live version's (it serves the answers) and names the shadow's version."""
        shadow, ours = spec.parameters["shadow"], spec.parameters["endpoint_config"]
        name = str(shadow["config_name"])
        kept = ("VariantName", "ModelName", "InstanceType", "InitialInstanceCount", "InitialVariantWeight")
        variants = [{k: v[k] for k in kept if k in v} for v in live.variants]
        weight = sum(float(v.get("InitialVariantWeight", 1.0)) for v in variants)
        copy = {**ours["ProductionVariants"][0], "VariantName": "Shadow",
                "InitialVariantWeight": round(weight * int(shadow["sampling_percent"]) / 100, 4)}  # fmt: skip
        config_tags = [*live.tags, {"Key": TAG_SHADOW_VERSION, "Value": str(spec.version)}]
        config: dict[str, Any] = {"EndpointConfigName": name, "ProductionVariants": variants,
                                  "ShadowProductionVariants": [copy], "Tags": config_tags}  # fmt: skip
        config |= {key: ours[key] for key in ("KmsKeyId", "DataCaptureConfig") if key in ours}
        self._create(sm.create_endpoint_config, config)
        result = replace(result, endpoint_config_name=name, shadow_of=result.previous_version)
        sm.add_tags(ResourceArn=str(result.endpoint_arn), Tags=tags)
        sm.update_endpoint(EndpointName=str(spec.parameters["endpoint_name"]), EndpointConfigName=name)
        return result

    def _put_alarms(self, target: Target, alarms: Any) -> None:
        """The default rollback alarms, put (again: PutMetricAlarm replaces) before the update names them."""
        if not alarms:
            return
        cloudwatch = self._roles.client("cloudwatch", target.role_arn, target.region, target.external_id)
        for alarm in alarms:
            cloudwatch.put_metric_alarm(**alarm)

    @staticmethod
    def _config(sm: SageMakerClient, name: str) -> ServedConfig:
        """An endpoint config as the kick reads it once: its variants, its tags, the version they name."""
        try:
            described = sm.describe_endpoint_config(EndpointConfigName=name)
        except ClientError as exc:
            if _missing(exc):
                return ServedConfig(name, None, [], [])
            raise
        tags = list(sm.list_tags(ResourceArn=described["EndpointConfigArn"]).get("Tags", []))
        version = next((t["Value"] for t in tags if t["Key"] == TAG_VERSION), "")
        return ServedConfig(
            name, int(version) if version.isdigit() else None, list(described["ProductionVariants"]), tags
        )

    @staticmethod
    def _config_variants(sm: SageMakerClient, config: str) -> list[Any]:
        try:
            return list(sm.describe_endpoint_config(EndpointConfigName=config).get("ProductionVariants", []))
        except ClientError as exc:
            if _missing(exc):  # deleted by an earlier attempt
                return []
            raise

    @staticmethod
    def _delete(call: Any, **request: str) -> None:
        try:
            call(**request)
        except ClientError as exc:
            if not _missing(exc):
                raise

    @staticmethod
    def _create(call: Any, request: dict[str, Any]) -> None:
        try:
            call(**request)
        except ClientError as exc:
            if not _exists(exc):
                raise

    @staticmethod
    def _describe(sm: SageMakerClient, name: str) -> DescribeEndpointOutputTypeDef | None:
        try:
            return sm.describe_endpoint(EndpointName=name)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
