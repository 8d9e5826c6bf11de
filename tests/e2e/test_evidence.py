"""The anchors on the local stack, through the CLI as a user runs it: anchor, verify against the anchors,
check a pack offline; the stack's anchor bucket refuses to lose an anchor."""

from __future__ import annotations

import json

import pytest

from .conftest import wait_until
from .test_local_stack import new_group, record, register

pytestmark = pytest.mark.e2e

BUCKET = "govsync-anchors-111111111111-us-east-1"


def test_anchor_verify_and_check_a_pack_and_the_bucket_keeps_every_anchor(local, tmp_path):
    # Given a registered version
    group = new_group(local)
    register(local, group)
    wait_until(lambda: record(local, group).get("development"), what="the development record")
    # When the chains are anchored, from the CLI
    anchored = local.govsync("audit", "anchor", "--json")
    assert anchored.returncode == 0, anchored.stderr
    written = json.loads(anchored.stdout)
    assert written["findings"] == [] and written["location"].startswith(f"s3://{BUCKET}/anchors/")
    # Then the table agrees with its anchors, and the version is among those sealed
    # (the version's own chain: other tests of this session's stack tamper with theirs on purpose)
    verified = local.govsync("audit", "verify", group, "1", "--anchored", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    summary = json.loads(verified.stdout)
    assert summary["anchored"]["ok"] and summary["anchored"]["latest"]["hash"] == written["hash"]
    # and the auditor's pack proves the version's head up to that anchor, checked with no AWS at all
    pack = tmp_path / "pack.json"
    assert local.govsync("export", "-o", str(pack)).returncode == 0
    # (this version's part of the pack: other tests of this session's stack tamper with theirs on purpose)
    whole = json.loads(pack.read_text())
    chain = next(c for c in whole["chains"] if c["model_group"] == group)
    assert chain["anchor_proof"]["anchor"] == written["seq"]
    entries = [e for e in whole["audit_entries"] if e["model_group"] == group]
    mine = {**whole, "chains": [chain], "audit_entries": entries}
    pack.write_text(json.dumps(mine))
    offline = local.govsync("audit", "verify-pack", str(pack), "--json", env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert offline.returncode == 0 and json.loads(offline.stdout)["ok"], offline.stdout + offline.stderr
    edited = json.loads(pack.read_text())
    edited["anchor"]["root"] = "0" * 64
    pack.write_text(json.dumps(edited))
    refused = local.govsync("audit", "verify-pack", str(pack))
    assert refused.returncode == 1 and "was altered" in refused.stdout, refused.stdout
    # and the stack's anchor bucket keeps the anchor: Object Lock in compliance mode
    s3 = local.client("s3")
    key = written["location"].removeprefix(f"s3://{BUCKET}/")
    head = s3.head_object(Bucket=BUCKET, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    with pytest.raises(s3.exceptions.ClientError) as denied:
        s3.delete_object(Bucket=BUCKET, Key=key, VersionId=head["VersionId"])
    # (the bucket policy's NoDeletes answers first here: a bare 403; the lock alone refuses it too, as
    # tests/integration/test_anchors.py shows)
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
