"""DueDatesFunction: on its schedule, approvals past their SLA reminded and live models' reviews marked due."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from govsync.handlers import observed
from govsync.wiring.due_dates import due_dates


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return due_dates().run()
