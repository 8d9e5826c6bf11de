"""What every adapter shares: one botocore retry configuration and one error translation."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
import botocore
import s3transfer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from govsync import __version__
from govsync.domain.errors import GovsyncError, RetryableError, classify

if TYPE_CHECKING:  # the types-boto3 stubs (a dev dependency): each service's client, typed
    from types_boto3_cloudwatch import CloudWatchClient
    from types_boto3_codepipeline import CodePipelineClient
    from types_boto3_events import EventBridgeClient
    from types_boto3_s3 import S3Client
    from types_boto3_sagemaker import SageMakerClient
    from types_boto3_sqs import SQSClient
    from types_boto3_ssm import SSMClient
    from types_boto3_sts import STSClient
    from types_boto3_sts.type_defs import AssumeRoleRequestTypeDef

# The oldest SDK govsync works with (the layer uses the Lambda runtime's unless built with the pinned
# one): CRC64NVME and full-object checksums on copies (botocore 1.36); copies that carry the checksum
# algorithm and the source's ETag on every part (s3transfer 0.11).
MINIMUM_SDK: dict[str, tuple[int, ...]] = {"botocore": (1, 36, 0), "s3transfer": (0, 11, 0)}


class SdkTooOld(GovsyncError):
    """The AWS SDK the function runs with is older than govsync needs."""


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def check_sdk(versions: dict[str, str]) -> None:
    """Raise SdkTooOld naming each package older than MINIMUM_SDK, and what to do about it."""
    old = [f"{name} {versions[name]} (needs >= {'.'.join(map(str, least))})"
           for name, least in MINIMUM_SDK.items() if _version(versions[name]) < least]  # fmt: skip
    if old:
        raise SdkTooOld(
            "the AWS SDK is too old for govsync: " + ", ".join(old) + ". Build the layer with its pinned SDK: "
            "`make build LAYER_SDK=pinned` (or `LAYER_SDK=pinned sam build`)."
        )


check_sdk({"botocore": botocore.__version__, "s3transfer": s3transfer.__version__})  # type: ignore[attr-defined]

# boto3's own retries (standard mode: throttling, 5xx, transient network errors, with backoff).
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra=f"govsync/{__version__}",
)


@overload
def client(service: Literal["sagemaker"], region: str | None = None) -> SageMakerClient: ...
@overload
def client(service: Literal["s3"], region: str | None = None) -> S3Client: ...
@overload
def client(service: Literal["sqs"], region: str | None = None) -> SQSClient: ...
@overload
def client(service: Literal["events"], region: str | None = None) -> EventBridgeClient: ...
@overload
def client(service: Literal["sts"], region: str | None = None) -> STSClient: ...
@overload
def client(service: Literal["ssm"], region: str | None = None) -> SSMClient: ...
@overload
def client(service: Literal["logs"], region: str | None = None) -> Any: ...  # one call: PutLogEvents
@overload
def client(service: Literal["sns"], region: str | None = None) -> Any: ...  # one call: Publish
@overload
def client(service: Literal["secretsmanager"], region: str | None = None) -> Any: ...  # one call: GetSecretValue
@overload
def client(service: Literal["cognito-idp"], region: str | None = None) -> Any: ...  # one call: AdminGetUser
def client(service: str, region: str | None = None) -> Any:
    """A client per (service, region), created once. Honours AWS_ENDPOINT_URL and profiles."""
    return _client(service, region)


def forget_clients() -> None:
    """Make the next `client` call create its client anew (tests that change the environment)."""
    _client.cache_clear()


@lru_cache(maxsize=32)
def _client(service: str, region: str | None) -> Any:
    return boto3.session.Session().client(service, region_name=region, config=CLIENT_CONFIG)  # type: ignore[call-overload]


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: Exception, action: str, resource: str = "") -> Exception:
    """Turn a botocore error into the domain's transient, configuration or permanent error (raise it
    `from exc`); see `govsync.domain.errors.classify`."""
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        message = str(exc.response.get("Error", {}).get("Message", ""))[:300]
        return classify(action, error_code(exc), status, message, resource)
    if isinstance(exc, BotoCoreError):
        return RetryableError(f"{action}: {exc}")
    return exc


CREDENTIAL_MARGIN = 300  # refresh assumed-role credentials this long before they expire


def assume(
    sts: STSClient, role_arn: str, session_name: str, external_id: str | None = None
) -> tuple[boto3.session.Session, float]:
    """A boto3 session signed by `role_arn`, and when its credentials expire (epoch seconds)."""
    request: AssumeRoleRequestTypeDef = {"RoleArn": role_arn, "RoleSessionName": session_name}
    if external_id:
        request["ExternalId"] = external_id
    try:
        creds = sts.assume_role(**request)["Credentials"]
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, "AssumeRole", role_arn) from exc
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    return session, creds["Expiration"].timestamp()


class AssumedRoles:
    """Clients signed by roles assumed in other accounts, cached until shortly before expiry."""

    def __init__(self, session_name: str, region: str, sts: STSClient | None = None) -> None:
        self._session_name = session_name
        self._region = region
        self._sts = sts
        self._sessions: dict[tuple[str, str | None], tuple[boto3.session.Session, float]] = {}
        self._clients: dict[tuple[str, str | None, str, str], Any] = {}

    @overload
    def client(
        self, service: Literal["sagemaker"], role_arn: str, region: str, external_id: str | None = None
    ) -> SageMakerClient: ...
    @overload
    def client(
        self, service: Literal["cloudwatch"], role_arn: str, region: str, external_id: str | None = None
    ) -> CloudWatchClient: ...
    @overload
    def client(
        self, service: Literal["codepipeline"], role_arn: str, region: str, external_id: str | None = None
    ) -> CodePipelineClient: ...
    @overload
    def client(
        self, service: Literal["s3"], role_arn: str, region: str, external_id: str | None = None
    ) -> S3Client: ...
    def client(self, service: str, role_arn: str, region: str, external_id: str | None = None) -> Any:
        """A client of `service` signed by `role_arn` in `region`."""
        import time

        key = (role_arn, external_id)
        cached = self._sessions.get(key)
        if cached is None or cached[1] - CREDENTIAL_MARGIN < time.time():
            cached = assume(self._sts or client("sts", self._region), role_arn, self._session_name, external_id)
            self._sessions[key] = cached
            self._clients = {k: v for k, v in self._clients.items() if k[:2] != key}
        client_key = (role_arn, external_id, service, region)
        if client_key not in self._clients:
            session = cached[0]
            self._clients[client_key] = session.client(service, region_name=region, config=CLIENT_CONFIG)  # type: ignore[call-overload]
        return self._clients[client_key]
