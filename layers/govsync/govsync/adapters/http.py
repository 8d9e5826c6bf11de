"""HTTP out of the stack: one POST (the webhooks' receivers), with a timeout, no redirects followed."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping

TIMEOUT_SECONDS = 5


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:  # a redirect is the receiver's answer
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class HttpPoster:
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
