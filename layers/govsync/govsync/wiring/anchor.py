"""AuditAnchorFunction: the anchors' bucket and log group, and the table's trails."""

from __future__ import annotations

from govsync.adapters.anchor_bucket import AnchorBucket
from govsync.adapters.anchor_log import AnchorLog
from govsync.services.anchoring import Anchoring
from govsync.settings import AnchorSettings, settings_for
from govsync.wiring.built import built_once
from govsync.wiring.store import governance_store


@built_once
def anchoring() -> Anchoring:
    settings = settings_for(AnchorSettings)
    log = AnchorLog(settings.anchor_log_group, settings.region) if settings.anchor_log_group else None
    return Anchoring(governance_store(), AnchorBucket(settings.anchor_bucket, settings.region), log)
