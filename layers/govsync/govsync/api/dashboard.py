"""The dashboard's static page, script and style, served by the API itself (docs/dashboard.md says
why), and the page's settings (`config.json`): where to sign in and the stages.

These routes are public (API Gateway's `Authorizer: NONE`): they hold no data, and every call the page
makes carries the user's ID token to the authenticated routes. Assets are files of `govsync/web`
(the repository's `web/`), answered with an ETag, a strict Content-Security-Policy and no framing."""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from govsync.settings import ApiSettings, settings_for

router = APIGatewayRouter()
ASSET = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\.(html|js|css|svg|txt)")
TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
    "txt": "text/plain; charset=utf-8",
}


@lru_cache(maxsize=64)
def asset(name: str) -> tuple[str, str] | None:
    """The asset's text and ETag, or None when there is no such file (read once per container)."""
    if not ASSET.fullmatch(name):
        return None
    path = resources.files("govsync") / "web" / name
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    return text, '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def config(settings: ApiSettings) -> dict[str, Any]:
    """What the page needs before anyone signs in (nothing secret: an app client id is public)."""
    return {
        "cognito": {"endpoint": settings.cognito_url, "region": settings.region,
                    "client_id": settings.user_pool_client_id},
        "stages": list(settings.stages),
    }  # fmt: skip


def headers(settings: ApiSettings) -> dict[str, str]:
    cognito = urlsplit(settings.cognito_url)
    return {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {cognito.scheme}://{cognito.netloc}; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def not_found(name: str) -> Response[Any]:
    return Response(status_code=404, content_type=content_types.APPLICATION_JSON,
                    body={"message": f"no dashboard asset {name!r}"})  # fmt: skip


@router.get("/dashboard", include_in_schema=False)
def dashboard() -> Response[str]:
    """The page's address without its file: to index.html (relative, so the API's stage stays)."""
    path = router.current_event.path
    location = "index.html" if path.endswith("/") else "dashboard/index.html"
    return Response(status_code=302, headers={"Location": location}, body="")


@router.get("/dashboard/<name>", include_in_schema=False)
def dashboard_asset(name: str) -> Response[Any]:
    settings = settings_for(ApiSettings)
    if name == "config.json":
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON,
                        body=json.dumps(config(settings)), headers=headers(settings))  # fmt: skip
    found = asset(name)
    if found is None:
        return not_found(name)
    text, etag = found
    answer_headers = {**headers(settings), "ETag": etag}
    asked = {k.lower(): v for k, v in (router.current_event.headers or {}).items()}.get("if-none-match")
    if asked == etag:
        return Response(status_code=304, headers=answer_headers, body="")
    return Response(status_code=200, content_type=TYPES[name.rsplit(".", 1)[1]], body=text, headers=answer_headers)
