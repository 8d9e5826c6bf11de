"""PynamoDB attributes made from the domain's values: one attribute per field of a dataclass, from the
field's type, and stored values back to plain JSON types."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeAliasType, get_args, get_origin, get_type_hints

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)


def stored_as(hint: Any, field: dataclasses.Field[Any]) -> Attribute[Any]:
    """The attribute a domain value's field is stored as, from the field's type (its default kept)."""
    optional = type(None) in get_args(hint)
    kind = next((a for a in get_args(hint) if a is not type(None)), hint) if optional else hint
    if isinstance(kind, TypeAliasType):  # `type Name = ...`: what it names
        kind = kind.__value__
    origin = get_origin(kind) or kind
    default = {} if field.default is dataclasses.MISSING else {"default": field.default}
    if kind is str:
        return UnicodeAttribute(null=optional, **default)
    if kind is int:
        return NumberAttribute(null=optional, **default)
    if kind is bool:
        return BooleanAttribute(null=optional, **default)
    if origin is tuple:  # a tuple of names
        return ListAttribute(of=UnicodeAttribute, default=list)
    if origin is list:
        return ListAttribute(default=list)
    if origin is dict or dataclasses.is_dataclass(kind):  # a JSON object, or a value stored as its JSON
        return MapAttribute(default=dict)
    raise TypeError(f"{field.name}: no attribute for {hint!r}")


def stored_attributes(value: type) -> dict[str, Attribute[Any]]:
    """One attribute per field of a domain value (a dataclass), made from the field's type: the value
    is declared once, in the domain, and a new field is stored with no change here."""
    hints = get_type_hints(value)
    return {field.name: stored_as(hints[field.name], field) for field in dataclasses.fields(value)}


def plain(value: Any) -> Any:
    """MapAttribute/Decimal values back to plain JSON types (so hashes recompute identically)."""
    if isinstance(value, MapAttribute):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if hasattr(value, "as_tuple"):  # Decimal
        return int(value) if value == int(value) else float(value)
    return value
