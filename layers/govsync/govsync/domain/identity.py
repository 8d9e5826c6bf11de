"""Identities and the people behind them, in one place: a Cognito user's claims (the API), an IAM
identity's ARN (the CLI, a version's `CreatedBy`) and the `IdentityMap` (ARN or `*` pattern -> person)
become a `Person` or the set of names a person goes by, and every rule that asks "is this the same
person?" (separation of duties, distinct approvers) asks it here.

Names are compared in one canonical form (`canonical`: Unicode NFKC, then case folding), so `Olivia`,
`olivia` and its full-width form are one name; a person's names include what the `IdentityMap` gives their IAM
identity, for registrants and approvers alike."""

from __future__ import annotations

import fnmatch
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from govsync.domain.decisions import Decision
from govsync.domain.people import IAM_GROUPS, Person


def canonical(name: str) -> str:
    """The form in which two names of people are compared: NFKC-normalised, case-folded, trimmed."""
    return unicodedata.normalize("NFKC", name).casefold().strip()


def parse_groups(value: Any) -> frozenset[str]:
    """`cognito:groups` as a token has it (a list) or as API Gateway hands it on (`a,b` or `[a b]`)."""
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(str(v) for v in value if str(v))
    text = str(value or "").strip().strip("[]")
    return frozenset(part for part in text.replace(",", " ").split() if part)


def person_from_claims(claims: Mapping[str, Any]) -> Person | None:
    """The caller named by a Cognito authorizer's claims (None: no user in them)."""
    username = str(claims.get("cognito:username") or claims.get("username") or "").strip()
    if not username:
        return None
    email = str(claims.get("email") or "").strip() or None
    return Person(username=username, email=email, groups=parse_groups(claims.get("cognito:groups")))


def person_from_identity(arn: str) -> Person:
    """The CLI's caller: an IAM ARN; its session or user name is its username."""
    return Person(username=identity_name(arn), groups=IAM_GROUPS, identity=arn)


def identity_name(arn: str) -> str:
    """The last path element of an IAM or STS ARN: a user name, or a role session name."""
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn


def matches_identity(identity: str, pattern: str) -> bool:
    """Whether an IAM identity is the ARN `pattern` names, or matches it as a `*` pattern."""
    return pattern == identity or fnmatch.fnmatchcase(identity, pattern)


def identity_names(identity: str, mapping: Mapping[str, str]) -> set[str]:
    """The names an IAM identity (a version's CreatedBy) goes by: the identity itself, its user or session
    name, and the person the identity mapping gives it (keys are ARNs or `*` patterns)."""
    names = {canonical(identity), canonical(identity_name(identity))}
    for pattern, person in mapping.items():
        if matches_identity(identity, pattern):
            names.add(canonical(person))
    return names


def person_of(name: str, mapping: Mapping[str, str]) -> str:
    """The one name a decider is counted by: for an IAM identity, the person the identity mapping gives
    it (else the identity); for anything else, the name itself; canonical either way."""
    if name.startswith("arn:"):
        for pattern, person in mapping.items():
            if matches_identity(name, pattern):
                return canonical(person)
    return canonical(name)


def decider_names(name: str, mapping: Mapping[str, str]) -> set[str]:
    """Every name of whoever a decision names (`by`: an IAM identity, an email or a username)."""
    return identity_names(name, mapping) | {person_of(name, mapping)}


def distinct_people(names: Iterable[str], mapping: Mapping[str, str]) -> list[str]:
    """`names` with each person once (the first name they appear under), in order."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(person_of(name, mapping), name)
    return list(seen.values())


def is_registrant(person: Person, created_by: str, mapping: Mapping[str, str]) -> bool:
    """Whether `person` registered the version `created_by` names."""
    names = identity_names(created_by, mapping)
    return bool(names & person_names(person, mapping))


def _names(username: str | None, email: str | None, identity: str | None, mapping: Mapping[str, str]) -> set[str]:
    names = {canonical(name) for name in (username, email) if name}
    return names | identity_names(identity, mapping) if identity else names


def person_names(person: Person, mapping: Mapping[str, str]) -> set[str]:
    """The names a caller goes by: their username, email and IAM identity, and the person the identity
    mapping gives that identity."""
    return _names(person.username, person.email, person.identity, mapping)


def decision_names(decision: Decision, mapping: Mapping[str, str]) -> set[str]:
    """The names of the person who made a decision (as its record keeps them)."""
    identity = decision.by if decision.by.startswith("arn:") else None
    return _names(decision.username, decision.email, identity, mapping) | {canonical(decision.by)}


def is_same_approver(decision: Decision, person: Person, mapping: Mapping[str, str]) -> bool:
    """Whether an earlier approval was made by `person`: one person, one vote, whichever of their
    accounts (two Cognito users with one email, an API user and the CLI identity mapped to them)."""
    return bool(decision_names(decision, mapping) & person_names(person, mapping))
