"""The scheduled jobs' items on the governance table: a fanned-out run, its parts, and each window's
metrics point (the dashboard's history), all expiring through the table's TTL."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)

from govsync.adapters.dynamodb_attributes import plain
from govsync.adapters.dynamodb_items import ByStageStatus, GovernanceItem
from govsync.domain.monitoring import MetricsPoint


class RunItem(GovernanceItem, discriminator="run"):
    listing = ByStageStatus["RunItem"]()

    stage_status = UnicodeAttribute()  # RUN#<job>: the runs' listing
    model_ref = UnicodeAttribute()  # <started_at>#<run_id>: its sort key
    job = UnicodeAttribute()
    run_id = UnicodeAttribute()
    started_at = UnicodeAttribute()
    planned = BooleanAttribute(default=False)
    expected = NumberAttribute(default=0)
    done = NumberAttribute(default=0)
    finished_at = UnicodeAttribute(null=True)
    summary: MapAttribute[str, Any] = MapAttribute(null=True)
    expires_at = TTLAttribute()


class RunPartItem(GovernanceItem, discriminator="run-part"):
    counts: MapAttribute[str, Any] = MapAttribute(default=dict)
    failures: ListAttribute[Any] = ListAttribute(default=list)
    notes: MapAttribute[str, Any] = MapAttribute(default=dict)
    cursor = UnicodeAttribute(null=True)  # where its next part starts (None: the item is done)
    expires_at = TTLAttribute()


def run_pk(job: str, run_id: str) -> str:
    return f"RUN#{job}#{run_id}"


class MetricsPointItem(GovernanceItem, discriminator="metrics"):
    model_group = UnicodeAttribute()
    model_version = NumberAttribute()
    model_stage = UnicodeAttribute()
    endpoint_name = UnicodeAttribute()
    window_start = UnicodeAttribute()
    values: MapAttribute[str, Any] = MapAttribute(default=dict)
    expires_at = TTLAttribute()

    def to_point(self) -> MetricsPoint:
        return MetricsPoint(
            self.model_group,
            int(self.model_version),
            self.model_stage,
            self.endpoint_name,
            self.window_start,
            self.sk,
            plain(self.values),
        )


def metrics_pk(group: str, version: int, stage: str) -> str:
    return f"METRICS#{group}#{version}#{stage}"
