"""A person's HTTP client for the local governance API: signs in with Cognito (InitiateAuth,
USER_PASSWORD_AUTH) and sends the ID token in the Authorization header, as API Gateway's Cognito
authorizer takes it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from govsync_local import people
from govsync_local.accounts import client


class GovernanceApi:
    def __init__(self, endpoint: str) -> None:
        published = people.published(client("secretsmanager", endpoint))
        if not published:
            raise RuntimeError(f"the local stack at {endpoint} serves no governance API yet")
        self.url: str = published["api_url"]
        self.client_id: str = published["cognito"]["client_id"]
        self.users: dict[str, dict[str, Any]] = published["users"]
        self._cognito = client("cognito-idp", endpoint)
        self._tokens: dict[str, str] = {}

    def token(self, user: str) -> str:
        if user not in self._tokens:
            found = self.users[user]
            self._tokens[user] = people.id_token(
                self._cognito, self.client_id, found["username"], found["password"], found.get("totp_secret")
            )
        return self._tokens[user]

    def call(
        self, user: str | None, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """(status, JSON body or text) of one request as `user` (None: without a token)."""
        sent = dict(headers or {})
        if user is not None:
            sent.setdefault("Authorization", self.token(user))
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status, raw, kind = answer.status, answer.read().decode(), answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, raw, kind = error.code, error.read().decode(), error.headers.get("Content-Type", "")
        return status, (json.loads(raw) if "json" in kind and raw else raw)
