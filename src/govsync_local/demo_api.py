"""The demo's people at the governance API: decisions by the governance officers (and the data
scientist's refused one), the pending approvals, the auditor's export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from govsync_local.api_client import GovernanceApi
from govsync_local.demo_data import say

EXPORT_FILE = Path(".govsync") / "demo-export.csv"
PACK_FILE = Path(".govsync") / "demo-pack.json"


class DemoApiError(Exception):
    pass


def decide(
    api: GovernanceApi, user: str, group: str, version: int, stage: str, decision: str, comment: str, expect: int = 202
) -> dict[str, Any]:
    """POST a stage decision as `user`; the answer must have status `expect`."""
    path = f"/models/{group}/versions/{version}/stages/{stage}/decisions"
    status, body = api.call(user, "POST", path, {"decision": decision, "comment": comment})
    email = api.users[user]["email"]
    if status == 202:
        state = body["state"]
        got = f"{state} ({len(body['approvers'])} of {body['approvals_required']} approvers)"
    else:
        got = body.get("message") if isinstance(body, dict) else body
    say(f"   {email}: POST {path} {decision} -> {status}: {got}")
    if status != expect:
        raise DemoApiError(f"{user}'s {decision} of {group} v{version} {stage} answered {status}, not {expect}: {body}")
    return body if isinstance(body, dict) else {}


def show_pending(api: GovernanceApi, user: str) -> None:
    status, body = api.call(user, "GET", "/approvals/pending")
    if status != 200:
        raise DemoApiError(f"GET /approvals/pending answered {status}: {body}")
    say(f"   GET /approvals/pending ({api.users[user]['email']}):")
    for row in body["pending"]:
        say(
            f"     {row['model_group']} v{row['model_version']} {row['stage']}: risk {row['model_risk']}, "
            f"waiting {row['waited_seconds']}s, approvals {row['approvals_collected']}/{row['approvals_required']}"
        )


def export(api: GovernanceApi, user: str) -> None:
    """The auditor's pack: the CSV inventory to a file, the JSON pack's chain verification."""
    say(f"\n11. the auditor ({api.users[user]['email']}): GET /export?format=csv and GET /export?format=json")
    status, text = api.call(user, "GET", "/export?format=csv")
    if status != 200:
        raise DemoApiError(f"GET /export?format=csv answered {status}: {text}")
    rows = list(csv.DictReader(io.StringIO(text)))
    EXPORT_FILE.parent.mkdir(parents=True, exist_ok=True)
    EXPORT_FILE.write_text(text)
    say(f"   {len(rows)} stage records written to {EXPORT_FILE} (the 15 governance attributes, then ours)")
    status, pack = api.call(user, "GET", "/export?format=json")
    if status != 200 or not pack["verified"]:
        raise DemoApiError(f"the JSON pack did not verify ({status}): {pack if status != 200 else pack['chains']}")
    PACK_FILE.write_text(json.dumps(pack, indent=1))
    proofs = sum(1 for chain in pack["chains"] if chain.get("anchor_proof"))
    say(
        f"   JSON pack: {len(pack['records'])} records, {len(pack['audit_entries'])} audit entries, "
        f"{len(pack['chains'])} chains, every one verified, {proofs} with a proof to anchor "
        f"{(pack.get('anchor') or {}).get('seq')}; written to {PACK_FILE}"
    )
    status, body = api.call("victor", "GET", "/export?format=json")
    say(f"   the viewer tries the same: {status}: {body.get('message') if isinstance(body, dict) else body}")
    if status != 403:
        raise DemoApiError(f"a viewer exported ({status})")
