"""GovernanceApiFunction: the governance API behind API Gateway (Cognito user pool authorizer)."""

from govsync.api.routes import handler

__all__ = ["handler"]
