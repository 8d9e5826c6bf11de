"""EventBridge: `account` on events delivered to targets, and events a rule forwards to another
account's bus keep their `account` and `resources` (moto restamps them with the receiving account)."""

from __future__ import annotations

from typing import Any


def install() -> None:
    """Patch moto's event delivery."""
    from moto.events.utils import EventTemplateParser

    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE.replace(
        '"version": "0",', '"version": "0", "account": "<account>",'
    )

    _install_forwarding()


def _install_forwarding() -> None:
    """Keep `account` and `resources` on events a rule forwards to another account's bus."""
    import threading

    from moto.events.models import Rule

    forwarding = threading.local()
    original_send = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
        origin = getattr(forwarding, "origin", None)
        if origin is not None:  # delivered on the receiving bus: restore what EventBridge keeps
            original_event = {**original_event, **origin}
            forwarding.origin = None
            try:
                return original_send(self, original_event, transform_input)
            finally:
                forwarding.origin = origin
        forwarding.origin = {"account": original_event.get("account"), "resources": original_event.get("resources", [])}
        try:
            return original_send(self, original_event, transform_input)
        finally:
            forwarding.origin = None

    Rule.send_to_targets = send_to_targets
