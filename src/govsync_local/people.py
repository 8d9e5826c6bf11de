"""The local stack's people: the template's Cognito user pool, app client and groups (which moto's
CloudFormation skips), created from the template's own properties; and the demo's users in them:
the data scientist who registers, two governance officers, an auditor, a viewer and an administrator.

Passwords are generated when the stack is created (a restarted stack keeps them) and published, with
the API's URL and the pool, in the local Secrets Manager (`govsync local info --json` reads them there)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from govsync_local import template as tpl

SECRET_NAME = "govsync-local/governance-api"
DASHBOARD_PATH = "/dashboard/index.html"

# name -> (email, groups, who they are)
PEOPLE: dict[str, tuple[str, tuple[str, ...], str]] = {
    "alice": ("alice@example.com", ("approvers",), "the data scientist who registers the demo's versions"),
    "olivia": ("olivia@example.com", ("approvers",), "governance officer"),
    "oscar": ("oscar@example.com", ("approvers",), "governance officer"),
    "audrey": ("audrey@example.com", ("auditors",), "auditor"),
    "victor": ("victor@example.com", ("viewers",), "viewer"),
    "adam": ("adam@example.com", ("admins",), "platform administrator"),
}


def create_resource(cognito: Any, kind: str, props: dict[str, Any]) -> tuple[str, str] | None:
    """One Cognito resource of the template; its physical id and ARN (None for a group)."""
    if kind == "AWS::Cognito::UserPool":
        args = {"PoolName": props["UserPoolName"]}
        for name in ("Policies", "AutoVerifiedAttributes", "Schema", "MfaConfiguration", "AdminCreateUserConfig",
                     "AccountRecoverySetting", "DeletionProtection"):  # fmt: skip
            if name in props:
                args[name] = props[name]
        pool = cognito.create_user_pool(**args)["UserPool"]
        return pool["Id"], pool["Arn"]
    if kind == "AWS::Cognito::UserPoolClient":
        keys = ("ClientName", "GenerateSecret", "ExplicitAuthFlows", "PreventUserExistenceErrors", "IdTokenValidity",
                "AccessTokenValidity", "RefreshTokenValidity", "TokenValidityUnits", "ReadAttributes")  # fmt: skip
        made = cognito.create_user_pool_client(
            UserPoolId=props["UserPoolId"], **{k: props[k] for k in keys if k in props}
        )
        client = made["UserPoolClient"]
        return client["ClientId"], client["ClientId"]
    cognito.create_group(GroupName=props["GroupName"], UserPoolId=props["UserPoolId"],
                         Description=props.get("Description", ""))  # fmt: skip
    return None


def find_resources(cognito: Any, ctx: tpl.Context) -> None:
    """The template's user pool and app client as the running stack created them (found by the pool's
    name): their refs and the pool's ARN, for resolving the functions' environments."""
    kinds = {r["Type"]: logical for logical, r in ctx.template["Resources"].items()}
    pool_logical, client_logical = kinds.get("AWS::Cognito::UserPool"), kinds.get("AWS::Cognito::UserPoolClient")
    if pool_logical is None or pool_logical in ctx.refs:
        return
    name = tpl.resolve(ctx.template["Resources"][pool_logical]["Properties"]["UserPoolName"], ctx)
    for pool in cognito.list_user_pools(MaxResults=60)["UserPools"]:
        if pool["Name"] != name:
            continue
        ctx.refs[pool_logical] = pool_id = pool["Id"]
        ctx.attributes[(pool_logical, "Arn")] = f"arn:aws:cognito-idp:{ctx.region}:{ctx.account_id}:userpool/{pool_id}"
        clients = cognito.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]
        if client_logical and clients:
            ctx.refs[client_logical] = clients[0]["ClientId"]


def _password() -> str:
    """A fresh password that the pool's policy accepts (14+ characters, every class)."""
    return secrets.token_urlsafe(15) + "Aa1!"


# who decides: they set up an authenticator app (TOTP), as DeciderMfa=required asks of deciders
MFA_GROUPS = frozenset({"approvers", "admins"})


def create(cognito: Any, pool_id: str, client_id: str) -> dict[str, dict[str, Any]]:
    """The demo users, confirmed, in their groups; name -> username, password, email, groups, role, and
    for approvers and admins the authenticator app's secret (`totp_secret`), MFA set up and preferred."""
    users = {}
    for name, (email, groups, role) in PEOPLE.items():
        password = _password()
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=name,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=password, Permanent=True)
        for group in groups:
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=name, GroupName=group)
        users[name] = {"username": name, "password": password, "email": email, "groups": list(groups), "role": role}
        if MFA_GROUPS & set(groups):
            users[name]["totp_secret"] = set_up_mfa(cognito, client_id, name, password)
    return users


def set_up_mfa(cognito: Any, client_id: str, username: str, password: str) -> str:
    """What a person does once in an authenticator app: associate, verify a code, make it preferred."""
    signed_in = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": username, "PASSWORD": password}
    )["AuthenticationResult"]
    access = signed_in["AccessToken"]
    secret = str(cognito.associate_software_token(AccessToken=access)["SecretCode"])
    cognito.verify_software_token(AccessToken=access, UserCode=totp_code(secret), FriendlyDeviceName="demo")
    cognito.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    return secret


def totp_code(secret: str, at: float | None = None) -> str:
    """The authenticator app's code for `secret` now (RFC 6238: SHA-1, 6 digits, 30 seconds)."""
    import base64
    import time

    from cryptography.hazmat.primitives.hashes import SHA1
    from cryptography.hazmat.primitives.twofactor.totp import TOTP

    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    return TOTP(key, 6, SHA1(), 30, enforce_key_length=False).generate(int(at or time.time())).decode()


def publish(
    secrets_client: Any, api_url: str, pool_id: str, client_id: str, users: dict[str, Any], webhook_url: str
) -> None:
    value = json.dumps({"api_url": api_url, "dashboard_url": api_url + DASHBOARD_PATH,
                        "cognito": {"user_pool_id": pool_id, "client_id": client_id}, "users": users,
                        "webhook_url": webhook_url})  # fmt: skip
    try:
        description = "govsync local stack: the governance API and its demo users"
        secrets_client.create_secret(Name=SECRET_NAME, SecretString=value, Description=description)
    except secrets_client.exceptions.ResourceExistsException:  # a restarted stack: its API's new URL
        secrets_client.put_secret_value(SecretId=SECRET_NAME, SecretString=value)


def published(secrets_client: Any) -> dict[str, Any]:
    """`api_url`, `dashboard_url`, `cognito`, `users` and `webhook_url` (its receiver of every notification)
    of the running local stack (empty while the API is not up yet)."""
    try:
        return dict(json.loads(secrets_client.get_secret_value(SecretId=SECRET_NAME)["SecretString"]))
    except secrets_client.exceptions.ResourceNotFoundException:
        return {}


def id_token(cognito: Any, client_id: str, username: str, password: str, totp_secret: str | None = None) -> str:
    """Sign in as API users do (InitiateAuth, USER_PASSWORD_AUTH, then the authenticator app's code when
    the pool asks for it): the ID token for the Authorization header."""
    answer = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": username, "PASSWORD": password}
    )
    if answer.get("ChallengeName") == "SOFTWARE_TOKEN_MFA" and totp_secret:
        answer = cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=answer["Session"],
            ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": totp_code(totp_secret)},
        )
    return str(answer["AuthenticationResult"]["IdToken"])
