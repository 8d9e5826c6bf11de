"""Who may call a route (`requires`, the middleware every route has), who is calling (`caller`), and
an answer in the API's one error shape (`message`)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from govsync.domain.errors import Refused
from govsync.domain.identity import person_from_claims
from govsync.domain.people import Person
from govsync.observability import logger
from govsync.settings import ApiSettings

# an answer of the API: a JSON body (Powertools' Response is generic in its body)
Answer = Response[Any]


def message(status: int, text: str) -> Answer:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body={"message": text})


SIGNED_IN = "signed-in"  # any caller the authorizer vouched for, whatever their groups


def requires(permission: str) -> Any:
    """Route middleware: a caller the authorizer vouched for (401 otherwise), in a group holding
    `permission` (403 otherwise; SIGNED_IN: no group needed); the caller is in `app.context["person"]`."""

    def middleware(router: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Answer:
        claims = router.current_event.request_context.authorizer.claims or {}
        person = person_from_claims(claims)
        if person is None:
            return message(401, "no valid token: sign in and send the ID token in the Authorization header")
        if permission != SIGNED_IN and (refusal := person.refusal(permission)) is not None:
            logger.info("refused", permission=permission, by=person.name, route=router.current_event.resource)
            return message(403, refusal)
        if (problem := body_problem(router.current_event.body)) is not None:
            return message(400, problem)
        router.append_context(person=person)
        return next_middleware(router)

    return middleware


def decides_with_mfa(router: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Answer:
    """Route middleware after `requires` on the routes that decide: when the stack requires it
    (`GOVSYNC_DECIDER_MFA=required`), the decider has MFA set up in the user pool (403 otherwise), so
    the token they decide with was issued after an MFA challenge."""
    from govsync.wiring.api import decider_mfa

    users = decider_mfa()
    person = router.context.get("person")
    if users is not None and isinstance(person, Person) and not users.has_mfa(person.username):
        logger.info("refused: no MFA", by=person.name, route=router.current_event.resource)
        return message(
            403,
            f"{person.name} decides only with MFA: set up an authenticator app for your user (the dashboard's "
            "sign-in asks for its code once it is set up), then sign in again",
        )
    return next_middleware(router)


def body_problem(body: str | None) -> str | None:
    """A request body is a JSON object (or absent): an array, a string or a number is refused, never
    read in part."""
    if body is None or not body.strip():
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None  # not JSON at all: the route's validation names it
    return None if isinstance(parsed, dict) else f"body: want a JSON object, not a JSON {type(parsed).__name__}"


# what every answer of the API carries: never sniffed, never cached (records change, exports are evidence)
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def with_security_headers(answer: dict[str, Any]) -> dict[str, Any]:
    """The resolver's answer with SECURITY_HEADERS where the route set none of its own (REST answers
    carry `multiValueHeaders`)."""
    multi = answer.get("multiValueHeaders")
    present = {k.lower() for k in (multi or {})} | {k.lower() for k in (answer.get("headers") or {})}
    for name, value in SECURITY_HEADERS.items():
        if name.lower() in present:
            continue
        if multi is not None:
            multi[name] = [value]
        else:
            answer.setdefault("headers", {})[name] = value
    return answer


def caller(resolver: APIGatewayRestResolver | APIGatewayRouter) -> Person:
    """The caller `requires` checked (every route has it)."""
    person = resolver.context.get("person")
    assert isinstance(person, Person)  # set by `requires` on every route
    return person


def known_stage(settings: ApiSettings, stage: str) -> None:
    """400 naming the chain's stages when a query asks for another."""
    if stage not in settings.stages:
        raise Refused(400, f"stage: {stage!r} is not a stage (stages: {', '.join(settings.stages)})")
