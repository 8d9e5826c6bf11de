"""AuditAnchorFunction: on its schedule, every audit chain's head sealed into an anchor outside the table."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from govsync.handlers import observed
from govsync.wiring.anchor import anchoring


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return anchoring().anchor()
