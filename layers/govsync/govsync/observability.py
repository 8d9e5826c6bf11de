"""The one place that creates the logger, tracer and metrics (Powertools)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="govsync")
tracer = Tracer(service="govsync")
metrics = Metrics(namespace="GovSync", service="govsync")

__all__ = ["MetricUnit", "logger", "metrics", "tracer"]
