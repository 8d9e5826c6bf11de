"""Signed webhooks: each delivery carries `X-Govsync-Timestamp` (Unix seconds) and `X-Govsync-Signature`
(`v1=` and the hex HMAC-SHA256, keyed with the stack's webhook secret, of `<timestamp>.<body>`), so a
receiver knows the body came from govsync, unchanged, lately (`verify`: the documented recipe)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

TIMESTAMP_HEADER = "X-Govsync-Timestamp"
SIGNATURE_HEADER = "X-Govsync-Signature"
ID_HEADER = "X-Govsync-Id"
TYPE_HEADER = "X-Govsync-Type"
TOLERANCE_SECONDS = 300  # a receiver refuses a delivery signed longer ago (or later) than this
ALL_TYPES = "*"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify(secret: str, timestamp: str, body: bytes, signed: str, now: float) -> bool:
    """The receiver's check: a recent timestamp, and the signature of exactly this body with it."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), signed)


def endpoints_for(webhooks: Mapping[str, Sequence[str]], kind: str) -> list[str]:
    """The URLs a notification of `kind` goes to: its own, then those for every type, each once."""
    return list(dict.fromkeys([*webhooks.get(kind, ()), *webhooks.get(ALL_TYPES, ())]))


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook endpoint (None: it can): HTTPS, or HTTP to this machine only."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{url[:100]!r} is not a URL"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return None
    return f"{url[:100]!r}: a webhook takes an https:// URL (http:// only to this machine)"
