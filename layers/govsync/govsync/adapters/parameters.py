"""SSM Parameter Store adapter: a parameter's text (the gate policy a stack keeps there)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws


def parameter_text(name: str, region: str) -> str:
    """The parameter's value (a SecureString decrypted); ConfigurationError when it cannot be read."""
    try:
        answer = aws.client("ssm", region).get_parameter(Name=name, WithDecryption=True)
    except (ClientError, BotoCoreError) as exc:
        raise aws.translate(exc, "GetParameter", name) from exc
    return str(answer["Parameter"].get("Value") or "")
