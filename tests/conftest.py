"""Test-wide environment: fake credentials, the local stack's accounts, no real AWS reachable."""

import os

for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_name, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "GovSync",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)

# The central account for requests with the test credentials; keys from sts:AssumeRole act in the
# role's account (MOTO_ACCOUNT_ID would pin those to one account too).
os.environ.pop("MOTO_ACCOUNT_ID", None)
from govsync_local import motoext  # noqa: E402

motoext.set_default_account("111111111111")
