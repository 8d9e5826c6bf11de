"""Event validation: what is ours is accepted in every documented shape; anything else is rejected."""

import json

import pytest
from pydantic import ValidationError

from govsync.domain.errors import RejectedEvent
from govsync.domain.events import EventEnvelope, EventPolicy, check_model_package_event, rejection_reason

from .helpers import ARN, CENTRAL, GROUP, REGION, event

POLICY = EventPolicy(allowed_accounts=frozenset({CENTRAL}), allowed_regions=frozenset({REGION}))


def check(raw: dict) -> object:
    """Parse then check, turning a parse failure into a rejection as the service does."""
    try:
        envelope = EventEnvelope.model_validate_json(json.dumps(raw))
    except ValidationError as exc:
        raise RejectedEvent(rejection_reason(exc)) from exc
    return check_model_package_event(envelope, POLICY)


@pytest.mark.parametrize(
    "time",
    ["2026-11-23T10:00:00Z", "2026-11-23T10:00:00.123+00:00", "1795428000000", 1795428000000],
)
def test_time_is_iso_or_epoch_milliseconds(time):
    # Given an event whose time is in any shape AWS sends / When checked
    ref = check(event(time=time))
    # Then it is accepted and the time is the same instant
    assert ref.event_time.year == 2026 and ref.event_time.tzinfo is not None


def test_source_may_be_a_list_and_optional_blocks_absent():
    # Given source as a one-element list and a detail with only identity fields
    raw = event(source=["aws.sagemaker"])
    raw["detail"] = {"ModelPackageGroupName": GROUP, "ModelPackageArn": ARN}
    # When checked
    ref = check(raw)
    # Then the package is identified from the ARN
    assert (ref.group, ref.version, ref.arn) == (GROUP, 1, ARN)


def test_epoch_creation_times_in_detail_are_accepted():
    raw = event(detail={"CreationTime": 1795428000, "LastModifiedTime": "2026-11-23T10:00:00Z"})
    assert check(raw).version == 1


BAD_ARN_GROUP = ARN.replace(f"/{GROUP}/", "/other-group/")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"source": "aws.s3"}, "unexpected source"),
        ({"source": ["aws.sagemaker", "aws.s3"]}, "exactly one service"),
        ({"detail-type": "SageMaker Endpoint State Change"}, "unexpected detail-type"),
        ({"account": "999999999999"}, "account 999999999999 is not allowed"),
        ({"account": "11111111111a"}, "12-digit"),
        ({"region": "eu-west-1"}, "region eu-west-1 is not allowed"),
        ({"id": "../../etc/passwd"}, "event id"),
        ({"detail": {"ModelPackageGroupName": "../etc"}}, "ModelPackageGroupName"),
        ({"detail": {"ModelPackageGroupName": "-leading-hyphen"}}, "ModelPackageGroupName"),
        ({"detail": {"ModelPackageGroupName": "a" * 64}}, "ModelPackageGroupName"),
        ({"detail": {"ModelPackageGroupName": GROUP + "\n"}}, "ModelPackageGroupName"),
        ({"detail": {"ModelPackageArn": ARN + "/../2"}}, "ModelPackageArn"),
        ({"detail": {"ModelPackageArn": ARN.replace("arn:aws:", "arn:aws:iam:")}}, "ModelPackageArn"),
        ({"detail": {"ModelPackageArn": BAD_ARN_GROUP}}, "another group"),
        ({"detail": {"ModelPackageArn": ARN.replace(CENTRAL, "999999999999")}}, "account and region"),
        ({"detail": {"ModelPackageArn": ARN.replace(REGION, "eu-west-1")}}, "account and region"),
        ({"detail": {"ModelPackageVersion": 2}}, "another version"),
        ({"detail": {"ModelPackageArn": 12}}, "malformed detail"),
    ],
)
def test_malicious_or_foreign_events_are_rejected(overrides, reason):
    # Given an event that is not ours or is malformed / When checked / Then it is rejected with a reason
    with pytest.raises(RejectedEvent, match=reason):
        check(event(**overrides))


def test_missing_fields_fail_parsing():
    raw = event()
    del raw["detail"]
    with pytest.raises(ValidationError):
        EventEnvelope.model_validate(raw)
