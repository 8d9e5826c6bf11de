"""Endpoints: CREATING -> IN_SERVICE as SageMaker reports them; `update_endpoint` (UPDATING ->
IN_SERVICE, blue/green as one step; with a DeploymentConfig, a bake watched by its alarms:
`sagemaker_guardrails`); an endpoint whose model data cannot be downloaded ends FAILED
with SageMaker's failure reason; a failed or in-progress endpoint cannot be updated;
`create_model`, `create_endpoint_config` and `create_endpoint` refuse an existing name (moto replaces
the resource silently); `create_model` keeps `EnableNetworkIsolation` and `create_endpoint_config` its
`ShadowProductionVariants` (moto drops both); `add_tags`
replaces a key's value."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.models import ValidationError
from moto.sagemaker.responses import SageMakerResponse

from govsync_local.motoext import sagemaker_guardrails
from govsync_local.motoext.listeners import endpoint_notify


def install() -> None:
    """Patch moto's endpoints, endpoint configs and models."""
    original_create_endpoint = SageMakerResponse.create_endpoint
    original_delete_endpoint = SageMakerResponse.delete_endpoint

    def create_endpoint(self: SageMakerResponse) -> ActionResult:
        name = self._get_param("EndpointName")
        _refuse_existing(self.sagemaker_backend.endpoints, name, "endpoint", self)
        result = original_create_endpoint(self)
        # moto's endpoints are InService at once; SageMaker passes through Creating first.
        final = _settle(self.sagemaker_backend.endpoints[name], self.sagemaker_backend)
        endpoint_notify(self, name, ("CREATING", final))
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
        if deployment_config := self._get_param("DeploymentConfig"):
            sagemaker_guardrails.check_alarms(deployment_config, self.current_account, self.region)
            sagemaker_guardrails.start(self, endpoint, config_name, deployment_config)
            return ActionResult({"EndpointArn": endpoint.arn})
        config = backend.endpoint_configs[config_name].response_object
        endpoint.endpoint_config_name = config_name
        endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
        shadows = config.get("ShadowProductionVariants")
        endpoint.shadow_production_variants = endpoint._process_production_variants(shadows) if shadows else None
        from moto.core.utils import utcnow

        endpoint.last_modified_time = utcnow()
        final = _settle(endpoint, backend)
        endpoint_notify(self, name, ("UPDATING", final))
        return ActionResult({"EndpointArn": endpoint.arn})

    original_create_model = SageMakerResponse.create_model
    original_create_endpoint_config = SageMakerResponse.create_endpoint_config

    def create_model(self: SageMakerResponse) -> ActionResult:
        name = self._get_param("ModelName")
        _refuse_existing(self.sagemaker_backend._models, name, "model", self)
        created = original_create_model(self)
        # moto 5.2.5 keeps every model's EnableNetworkIsolation False: keep what the request asked
        self.sagemaker_backend._models[name].enable_network_isolation = bool(self._get_param("EnableNetworkIsolation"))
        return created

    def create_endpoint_config(self: SageMakerResponse) -> ActionResult:
        name = self._get_param("EndpointConfigName")
        _refuse_existing(self.sagemaker_backend.endpoint_configs, name, "endpoint configuration", self)
        created = original_create_endpoint_config(self)
        # moto 5.2.5 drops shadow variants: keep them (DescribeEndpointConfig and the endpoint show them)
        shadows = self._get_param("ShadowProductionVariants")
        self.sagemaker_backend.endpoint_configs[name].shadow_production_variants = shadows or None
        return created

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

    def delete_endpoint(self: SageMakerResponse) -> Any:
        endpoint_notify(self, self._get_param("EndpointName"), ("DELETING",))
        return original_delete_endpoint(self)

    SageMakerResponse.create_endpoint = create_endpoint
    SageMakerResponse.delete_endpoint = delete_endpoint


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
