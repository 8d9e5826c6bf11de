"""Test-wide environment: fake credentials, the local stack's accounts, no real AWS reachable."""

import os

from govsync_local.fake_env import FAKE_AWS_ENV, REAL_AWS_VARS

for _name in REAL_AWS_VARS:
    os.environ.pop(_name, None)
os.environ.update({**FAKE_AWS_ENV, "POWERTOOLS_LOG_LEVEL": "WARNING"})

# The central account for requests with the test credentials; keys from sts:AssumeRole act in the
# role's account (MOTO_ACCOUNT_ID would pin those to one account too).
os.environ.pop("MOTO_ACCOUNT_ID", None)
from govsync_local import motoext  # noqa: E402

motoext.set_default_account("111111111111")
