"""Hooks the local stack listens on (to emit SageMaker's events), and the caller's identity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.sagemaker.models import ModelPackage
from moto.sagemaker.responses import SageMakerResponse

PackageListener = Callable[[ModelPackage, str, str], None]
EndpointListener = Callable[[dict[str, Any], str, str, str], None]
_listeners: list[PackageListener] = []
_endpoint_listeners: list[EndpointListener] = []


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


def endpoint_notify(response: SageMakerResponse, name: str, statuses: tuple[str, ...]) -> None:
    endpoint = response.sagemaker_backend.endpoints.get(name)
    if endpoint is None:
        return
    described = dict(endpoint.response_object)
    tags = getattr(endpoint, "tags", None)
    described["Tags"] = {t["Key"]: t["Value"] for t in tags or []}
    for status in statuses:
        for listener in list(_endpoint_listeners):
            listener(described, status, response.current_account, response.region)


def notify(package: ModelPackage, account_id: str, region: str) -> None:
    for listener in list(_listeners):
        listener(package, account_id, region)


def caller_arn(response: SageMakerResponse) -> str | None:
    """The calling identity's ARN (a cross-account call records it before it runs in the owner's account)."""
    if recorded := getattr(response, "govsync_caller_arn", None):
        return str(recorded)
    try:
        from moto.sts.models import sts_backends

        access_key = response.get_access_key()
        backend = sts_backends[response.current_account]["global"]
        return backend.get_caller_identity(access_key, response.region)[1]
    except Exception:  # best effort: unknown credentials keep moto's default identity
        return None
