"""Secrets Manager: the webhook signing secret, read once per process (a rotated secret is read by the
next cold start)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws
from govsync.domain.arns import Arn


class SecretValue:
    def __init__(self, secret_arn: str, client: Any = None) -> None:
        self._arn = secret_arn
        self._client = client

    def __call__(self) -> str:
        return self._value

    @cached_property
    def _value(self) -> str:
        secrets = self._client or aws.client("secretsmanager", Arn.parse(self._arn).region)
        try:
            return str(secrets.get_secret_value(SecretId=self._arn)["SecretString"])
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, "GetSecretValue", self._arn) from exc
