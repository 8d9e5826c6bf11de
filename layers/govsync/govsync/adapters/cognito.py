"""Cognito user pool adapter: whether a person has MFA set up (what a decision through the API needs
when the stack requires it)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws


class CognitoUsers:
    """The people of one user pool, as AdminGetUser sees them."""

    def __init__(self, user_pool_id: str, region: str) -> None:
        self.user_pool_id = user_pool_id
        self.region = region

    def has_mfa(self, username: str) -> bool:
        """The user has an MFA method enabled, so the pool asks for it at every sign-in (MFA optional in
        the pool: a user with MFA set up is always challenged). An unknown user has none."""
        try:
            user = aws.client("cognito-idp", self.region).admin_get_user(
                UserPoolId=self.user_pool_id, Username=username
            )
        except ClientError as exc:
            if aws.error_code(exc) == "UserNotFoundException":
                return False
            raise aws.translate(exc, "AdminGetUser", username) from exc
        except BotoCoreError as exc:
            raise aws.translate(exc, "AdminGetUser", username) from exc
        return bool(user.get("UserMFASettingList"))
