"""The environment the tests and benchmarks run in: fake credentials and region (only a local server
answers them), no tracing, Powertools' metrics namespace."""

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "GovSync",
}
# handlers run outside Lambda with nothing to publish their metrics to, and only errors logged (the
# benchmarks and the package check measure and check; they do not publish)
QUIET_ENV = {**FAKE_AWS_ENV, "POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}
# variables a developer's shell may have that would reach a real account or another endpoint
REAL_AWS_VARS = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
