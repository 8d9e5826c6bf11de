"""Test-wide environment: fake credentials, the local stack's accounts, no real AWS reachable."""

import os

from hypothesis import settings

from govsync_local.fake_env import FAKE_AWS_ENV, REAL_AWS_VARS

for _name in REAL_AWS_VARS:
    os.environ.pop(_name, None)
os.environ.update({**FAKE_AWS_ENV, "POWERTOOLS_LOG_LEVEL": "WARNING"})

# The central account for requests with the test credentials; keys from sts:AssumeRole act in the
# role's account (MOTO_ACCOUNT_ID would pin those to one account too).
os.environ.pop("MOTO_ACCOUNT_ID", None)
from govsync_local import motoext  # noqa: E402

motoext.set_default_account("111111111111")

# Property tests: in CI they draw the same examples on every run (a fixed seed and no example database),
# so a failure is the change's, never the draw's; `make explore` draws fresh examples, many more of
# them. What a random run finds is fixed and pinned as an explicit example, never retried away.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", max_examples=1000)
if os.environ.get("GOVSYNC_EXPLORE"):
    settings.load_profile("explore")
elif os.environ.get("CI"):
    settings.load_profile("ci")
