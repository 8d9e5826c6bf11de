"""The local stack's webhook receiver: every notification is POSTed to it (the stack's `Webhooks`
parameter names it for every type), and it checks each delivery as the docs tell a receiver to
(`govsync.domain.webhooks.verify`, with the stack's webhook secret), printing one line per delivery."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from govsync.domain.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

PATH = "/hook"
MAX_BODY = 256 * 1024


class WebhookReceiver:
    """Bound when made (its URL goes into the stack's parameters), serving once `start`ed with the secret."""

    def __init__(self, log: Any = print) -> None:
        self.log = log
        self.secret: str | None = None
        self.received: list[dict[str, Any]] = []  # the verified deliveries, in order
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, MAX_BODY))
                status = receiver.delivered(body, self.headers.get(TIMESTAMP_HEADER, ""),
                                            self.headers.get(SIGNATURE_HEADER, ""))  # fmt: skip
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # quiet: one line per delivery of our own
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{PATH}"
        self._thread: threading.Thread | None = None

    def delivered(self, body: bytes, timestamp: str, signed: str) -> int:
        if self.secret is None or not verify(self.secret, timestamp, body, signed, time.time()):
            self.log("[webhook] refused a delivery: its signature does not verify")
            return 401
        message = json.loads(body)
        self.received.append(message)
        self.log(f"[webhook] verified {message.get('type')}: {message.get('model_group')} "
                 f"v{message.get('model_version')} {message.get('stage')}")  # fmt: skip
        return 204

    def start(self, secret: str) -> None:
        self.secret = secret
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread = None
        self._server.server_close()
