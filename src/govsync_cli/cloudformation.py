"""CloudFormation answers, read the same way against AWS and the local stack (standard library only:
the operator CLI imports this without the local extras)."""

from __future__ import annotations

import ast


def parameter_value(value: str) -> str:
    """A parameter value as CloudFormation answers it. moto answers a list-valued parameter
    (CommaDelimitedList) with its Python repr, "['a', 'b']", where CloudFormation says "a,b"."""
    if value.startswith("[") and value.endswith("]"):
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
        if isinstance(parsed, list):
            return ",".join(str(item) for item in parsed)
    return value
