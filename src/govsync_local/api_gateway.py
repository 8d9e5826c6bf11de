"""API Gateway, played locally: the template's Api routes served on 127.0.0.1, each request checked by a
Cognito user pool authorizer against the local Cognito (signature against the pool's JWKS, expiry,
issuer, audience, token use) and handed to the real handler as the REST proxy event API Gateway sends,
the token's claims in `requestContext.authorizer.claims`.

As API Gateway: a path no route matches answers 403 `Missing Authentication Token`, a missing or
invalid token 401 `Unauthorized` (the function is not invoked for either). Routes whose event says
`Authorizer: NONE` (the dashboard's page) are handed on with no token checked and no claims."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from govsync_local.poller import FunctionWorker
from govsync_local.template import FunctionSpec

STAGE = "v1"
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
BODY_TIMEOUT_SECONDS = 5  # a body shorter than its Content-Length is not waited for longer


class Unauthorized(Exception):
    """The token is missing or does not verify."""


@dataclass
class CognitoAuthorizer:
    """What API Gateway's COGNITO_USER_POOLS authorizer checks of the Authorization header's token."""

    endpoint: str  # the local AWS, which serves the pool's JWKS as Cognito does
    region: str
    user_pool_id: str
    client_ids: tuple[str, ...]
    _keys: KeySet | None = None

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    def keys(self) -> KeySet:
        if self._keys is None:
            url = f"{self.endpoint}/{self.user_pool_id}/.well-known/jwks.json"
            with urllib.request.urlopen(url, timeout=10) as answer:
                self._keys = KeySet.import_key_set(json.load(answer))
        return self._keys

    def claims(self, header: str | None) -> dict[str, str]:
        """The verified token's claims, as API Gateway hands them on (strings; groups comma-separated)."""
        token = (header or "").strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if not token:
            raise Unauthorized("no token")
        try:
            decoded = jwt.decode(token, self.keys(), algorithms=["RS256"])
            checks = jwt.JWTClaimsRegistry(
                now=int(time.time()),
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "values": list(self.client_ids)},
                token_use={"essential": True, "value": "id"},
                exp={"essential": True},
            )
            checks.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(str(exc)) from exc
        return {
            name: ",".join(map(str, value)) if isinstance(value, list) else str(value)
            for name, value in decoded.claims.items()
        }


@dataclass(frozen=True)
class Route:
    method: str
    resource: str  # e.g. /models/{group}/versions/{version}
    pattern: re.Pattern[str]
    public: bool = False

    @classmethod
    def of(cls, method: str, resource: str, public: bool = False) -> Route:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource))
        return cls(method, resource, re.compile(f"^{regex}$"), public)


def rest_event(route: Route, params: dict[str, str], method: str, url: str, headers: dict[str, str],
               body: str | None, claims: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """The REST API proxy event API Gateway sends the function for this request."""
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    return {
        "resource": route.resource,
        "path": unquote(parts.path),
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.resource,
            "httpMethod": method,
            "path": f"/{STAGE}{parts.path}",
            "stage": STAGE,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
            **({"authorizer": {"claims": claims}} if claims else {}),
        },
        "body": body,
        "isBase64Encoded": False,
    }


class LocalApiGateway:
    """The API on 127.0.0.1:`port`, one function instance behind it (requests in turn, as one warm Lambda)."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str], authorizer: CognitoAuthorizer, port: int,
                 log: Callable[[str], None]) -> None:  # fmt: skip
        self.routes = [Route.of(method, path) for method, path in spec.routes] + [
            Route.of(method, path, public=True) for method, path in spec.public_routes
        ]
        self.authorizer = authorizer
        self.worker = FunctionWorker(spec, env)
        self.log = log
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                gateway.serve(self)

            do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="local-api", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.worker.stop()

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        method, path = request.command, urlsplit(request.path).path
        matched = self.match(method, path)
        if matched is None:
            return _reply(request, 403, {"message": "Missing Authentication Token"})
        headers = {k: v for k, v in request.headers.items()}
        try:
            claims = {} if matched[0].public else self.authorizer.claims(request.headers.get("Authorization"))
        except Unauthorized as exc:
            self.log(f"api: {method} {path}: 401 ({exc})")
            return _reply(request, 401, {"message": "Unauthorized"})
        declared = (request.headers.get("Content-Length") or "0").strip()
        if not declared.isdigit():
            return _reply(request, 400, {"message": f"Content-Length must be a number of bytes, not {declared!r}"})
        length = int(declared)
        if length > MAX_BODY:
            return _reply(request, 413, {"message": "Request Too Long"})
        request.connection.settimeout(BODY_TIMEOUT_SECONDS)
        try:
            raw = request.rfile.read(length) if length else b""
        except TimeoutError:
            raw = b""
        if len(raw) < length:
            request.close_connection = True
            return _reply(request, 400, {"message": f"the body is shorter than its Content-Length ({length} bytes)"})
        body = raw.decode("utf-8", "replace") if length else None
        event = rest_event(matched[0], matched[1], method, request.path, headers, body, claims)
        with self._lock:
            status, result = self.worker.invoke(event)
        if status != "ok" or not isinstance(result, dict):
            self.log(f"api: {method} {path}: the function failed: {result}")
            return _reply(request, 502, {"message": "Internal server error"})
        if not matched[0].public:
            self.log(f"api: {method} {path}: {result.get('statusCode')} ({claims.get('cognito:username')})")
        answer_headers = dict(result.get("headers") or {})
        for name, values in (result.get("multiValueHeaders") or {}).items():
            answer_headers[name] = ", ".join(values)
        _send(request, int(result.get("statusCode", 200)), answer_headers, str(result.get("body") or ""))


def _reply(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    _send(request, status, {"Content-Type": "application/json"}, json.dumps(body))


def _send(request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: str) -> None:
    data = body.encode()
    request.send_response(status)
    for name, value in headers.items():
        if name.lower() != "content-length":
            request.send_header(name, value)
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)
