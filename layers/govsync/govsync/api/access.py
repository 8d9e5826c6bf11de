"""Who may call a route (`requires`, the middleware every route has), who is calling (`caller`), and
an answer in the API's one error shape (`message`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from govsync.domain.identity import person_from_claims
from govsync.domain.people import Person
from govsync.observability import logger

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
        router.append_context(person=person)
        return next_middleware(router)

    return middleware


def caller(resolver: APIGatewayRestResolver | APIGatewayRouter) -> Person:
    """The caller `requires` checked (every route has it)."""
    person = resolver.context.get("person")
    assert isinstance(person, Person)  # set by `requires` on every route
    return person
