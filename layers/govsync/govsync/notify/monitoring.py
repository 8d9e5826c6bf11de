"""The monitoring alert a metrics window raises or resolves, as a notification."""

from __future__ import annotations

from govsync.domain.records import StageRecord
from govsync.notify import Notification


def monitoring_alert(kind: str, before: StageRecord, after: StageRecord) -> Notification:
    """`kind`: the alert's transition (`domain.alerts.ALERT_RAISED` or `ALERT_RESOLVED`); `before`
    and `after`: the stage record without and with the window's metrics."""
    alert = after.monitoring_alert or before.monitoring_alert
    metrics = after.model_monitoring_metrics
    shown = metrics.to_json() if metrics else {}
    detail = {
        "ModelPackageArn": before.model_package_arn,
        "ModelPackageGroupName": before.model_group,
        "ModelPackageVersion": before.model_version,
        "Stage": before.model_stage,
        "EndpointName": shown.get("endpoint_name"),
        "Account": shown.get("account"),
        "WindowStart": shown.get("window_start"),
        "WindowEnd": shown.get("window_end"),
        "Since": alert.since if alert else None,
        "Breaches": after.monitoring_alert.to_json()["breaches"] if after.monitoring_alert else [],
        "Values": shown.get("values", {}),
    }
    return Notification(kind, detail, (before.model_package_arn,))
