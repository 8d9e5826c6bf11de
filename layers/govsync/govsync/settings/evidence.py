"""The settings of evidence and telling: where a version's lineage is read from, where the anchors are
kept, and where notifications go."""

from __future__ import annotations

from typing import Self

from pydantic import field_validator, model_validator

from govsync.domain.lineage import LINEAGE_KINDS
from govsync.domain.notifications import TYPES
from govsync.domain.webhooks import ALL_TYPES, url_problem
from govsync.settings.blocks import BUCKET, QUEUE, ROLE_NAME, Common
from govsync.settings.declare import setting

TOPIC_ARN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$"


class LineageSources(Common):
    """Where a version's lineage is read from beyond the package, and what a record is flagged for lacking."""

    lineage_role_name: str | None = setting(
        "GOVSYNC_LINEAGE_ROLE_NAME",
        "the role assumed in each source account to read training jobs and dataset versions "
        "(empty: the package's word only)",
        None,
        pattern=ROLE_NAME,
    )
    lineage_expected: tuple[str, ...] = setting(
        "GOVSYNC_LINEAGE_EXPECTED",
        f"what a version's lineage is expected to say, of {', '.join(LINEAGE_KINDS)} (empty: nothing flagged)",
        LINEAGE_KINDS,
        reading="list",
    )

    @field_validator("lineage_expected")
    @classmethod
    def _expected(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(LINEAGE_KINDS))
        if unknown:
            raise ValueError(f"unknown lineage kinds {unknown} (each one of {', '.join(LINEAGE_KINDS)})")
        return value


class AnchorReading(Common):
    """Where the audit chains' anchors are kept, outside the table."""

    anchor_bucket: str | None = setting(
        "GOVSYNC_ANCHOR_BUCKET", "the Object Lock bucket the anchors are kept in (none: packs carry no proofs)",
        None, **BUCKET,
    )  # fmt: skip


class Anchoring(AnchorReading):
    """Writing anchors: the bucket, and a copy of each summary in a log group."""

    anchor_bucket: str = setting("GOVSYNC_ANCHOR_BUCKET", "the Object Lock bucket anchors are written to", **BUCKET)

    anchor_log_group: str | None = setting(
        "GOVSYNC_ANCHOR_LOG_GROUP", "the log group each anchor's summary is copied to", None,
        pattern=r"^[A-Za-z0-9_#/.-]+$", max_length=512,
    )  # fmt: skip


class Notifying(Common):
    """Where notifications go (the central bus always, with the account's id), and the dashboard's
    address their links point at."""

    notification_topic_arn: str | None = setting(
        "GOVSYNC_NOTIFICATION_TOPIC_ARN", "the SNS topic notifications are published to (empty: none)", None,
        pattern=TOPIC_ARN,
    )  # fmt: skip
    webhooks: dict[str, tuple[str, ...]] = setting(
        "GOVSYNC_WEBHOOKS", "notification type (or *) -> the URLs its notifications are POSTed to, signed (JSON)",
        dict, reading="json",
    )  # fmt: skip
    webhook_secret_arn: str | None = setting(
        "GOVSYNC_WEBHOOK_SECRET_ARN", "the Secrets Manager secret webhook deliveries are signed with", None,
        pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$",
    )  # fmt: skip
    notifications_dlq_url: str | None = setting(
        "GOVSYNC_NOTIFICATIONS_DLQ_URL", "where a notification a webhook did not take goes, with the reason", None,
        **QUEUE,
    )  # fmt: skip
    dashboard_url: str | None = setting(
        "GOVSYNC_DASHBOARD_URL", "the dashboard's address, for the links in notifications (empty: no links)", None,
        pattern=r"^https?://[^\s#]{1,1024}$",
    )  # fmt: skip

    @field_validator("webhooks")
    @classmethod
    def _webhooks(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        unknown = sorted(set(value) - {*TYPES, ALL_TYPES})
        if unknown:
            raise ValueError(f"unknown notification types {unknown} (each one of {', '.join(TYPES)}, or *)")
        problems = [p for urls in value.values() for url in urls if (p := url_problem(url))]
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @model_validator(mode="after")
    def _webhooks_need_their_secret(self) -> Self:
        if any(self.webhooks.values()) and not (self.webhook_secret_arn and self.notifications_dlq_url):
            raise ValueError("GOVSYNC_WEBHOOKS needs GOVSYNC_WEBHOOK_SECRET_ARN and GOVSYNC_NOTIFICATIONS_DLQ_URL")
        return self
