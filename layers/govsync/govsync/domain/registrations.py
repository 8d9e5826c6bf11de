"""Registrations: which dev accounts may register versions into which groups (`DevAccounts`), the
account a version was registered from, and why a registration is refused."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from fnmatch import fnmatchcase

from govsync.domain.sharing import as_list

# The account in an identity SageMaker records (CreatedBy): IAM/STS ARNs and Studio user profiles.
IDENTITY_ACCOUNT = re.compile(r"arn:aws[a-z-]*:(?:iam|sts|sagemaker):[a-z0-9-]*:(?P<account>[0-9]{12}):")


def identity_account(identity: str | None) -> str | None:
    """The account of an identity SageMaker recorded (an IAM or STS ARN, a Studio user profile ARN)."""
    if not identity:
        return None
    match = IDENTITY_ACCOUNT.match(identity)
    return match["account"] if match else None


def parse_dev_accounts(text: str) -> dict[str, tuple[str, ...]]:
    """`DevAccounts`: a comma-separated list of account ids (every group), or a JSON object mapping an
    account id to the group names (or `*` patterns) it may register into."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        loaded = json.loads(text)
        if not isinstance(loaded, dict):
            raise ValueError("must be a JSON object: account id -> list of group names or patterns")
        result = {}
        for account, groups in loaded.items():
            patterns = as_list(groups)
            if not patterns or not all(isinstance(p, str) and p for p in patterns):
                raise ValueError(f"{account}: want a non-empty list of group names or patterns")
            result[str(account)] = tuple(patterns)
        return result
    return {part.strip(): ("*",) for part in text.split(",") if part.strip()}


def registration_refusal(
    dev_accounts: Mapping[str, tuple[str, ...]], group: str, registrant: str, registry_account: str
) -> str | None:
    """Why a version of `group` registered from account `registrant` is not accepted (None: it is).
    The registry's own account always may; another account only for the groups DevAccounts gives it."""
    if registrant == registry_account:
        return None
    patterns = dev_accounts.get(registrant)
    if patterns is None:
        return (
            f"registered from account {registrant}, which is not an allowed dev account "
            f"(the stack's DevAccounts parameter lists {', '.join(sorted(dev_accounts)) or 'none'})"
        )
    if not any(fnmatchcase(group, pattern) for pattern in patterns):
        return (
            f"registered from account {registrant}, which DevAccounts allows only into "
            f"{', '.join(patterns)}, not into {group}"
        )
    return None


def source_account(created_by: str | None, registry_account: str) -> str:
    """The account a version was registered from: its CreatedBy identity's, else the registry's."""
    return identity_account(created_by) or registry_account
