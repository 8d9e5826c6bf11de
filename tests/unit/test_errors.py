"""One classification of AWS error answers: transient, configuration, or permanent."""

import pytest

from govsync.domain.errors import (
    ConfigurationProblem,
    PermanentAwsError,
    RetryableError,
    classify,
    is_retryable,
)


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("ThrottlingException", 400, RetryableError),
        ("ProvisionedThroughputExceededException", 400, RetryableError),
        ("TransactionConflict", 400, RetryableError),
        ("InternalError", 500, RetryableError),
        ("", 503, RetryableError),
        ("ResourceNotFoundException", 400, ConfigurationProblem),
        ("AccessDeniedException", 400, ConfigurationProblem),
        ("AccessDenied", 403, ConfigurationProblem),
        ("", 403, ConfigurationProblem),
        ("AWS.SimpleQueueService.NonExistentQueue", 400, ConfigurationProblem),
        ("ValidationException", 400, PermanentAwsError),
    ],
)
def test_error_answers_are_classified_once(code, status, kind):
    error = classify("Query", code, status, "message", "on table t")
    assert type(error) is kind
    assert is_retryable(error) is (kind is RetryableError)


def test_a_configuration_problem_names_the_action_and_the_resource():
    error = classify("DescribeModelPackage", "AccessDeniedException", 400, "not authorized", "arn:x")
    assert isinstance(error, ConfigurationProblem)
    assert (error.action, error.resource, error.code) == ("DescribeModelPackage", "arn:x", "AccessDeniedException")
    assert str(error) == "DescribeModelPackage arn:x: AccessDeniedException not authorized"
