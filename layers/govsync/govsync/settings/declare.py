"""How a setting is declared, once: its environment variable, how its text is read, its default and what
it means (`setting`). Reading a model's settings from the environment, the errors that name the variable
and its value, the docs' table and the template's check all derive from those declarations."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.config import JsonDict

from govsync.domain.errors import GovsyncError

Reading = Literal["text", "list", "json"]


class ConfigurationError(GovsyncError):
    """The function's environment is incomplete or malformed."""


@dataclass(frozen=True, slots=True)
class Declared:
    """What a setting's declaration says besides its type and default."""

    env: str  # the environment variable it is read from
    reading: Reading  # text as it is; a comma-separated list; a JSON document
    each_matches: re.Pattern[str] | None  # every value must match it (with no `..`)
    pattern_means: str  # that pattern in words, for errors
    tuning: bool  # the template leaves it unset: the default suits every deployment


def setting(
    env: str,
    doc: str,
    default: Any = ...,
    *,
    reading: Reading = "text",
    each_matches: re.Pattern[str] | None = None,
    pattern_means: str = "",
    tuning: bool = False,
    **constraints: Any,
) -> Any:
    """A settings field read from `env`; `doc` says what it means (the docs' table shows it). `reading`: how
    its text becomes a value; `each_matches`: a pattern every value must match (`pattern_means` says it in
    words); `tuning`: the template leaves it unset. `constraints` are pydantic's (ge, le, pattern, …)."""
    # kept with the field (settings never render a JSON schema, so the value need not be JSON)
    extra = cast(JsonDict, {"declared": Declared(env, reading, each_matches, pattern_means, tuning)})
    if callable(default):
        return Field(default_factory=default, description=doc, json_schema_extra=extra, **constraints)
    return Field(default, description=doc, json_schema_extra=extra, **constraints)


def declared(model: type[BaseModel], name: str) -> Declared:
    extra = model.model_fields[name].json_schema_extra
    assert isinstance(extra, dict), f"{model.__name__}.{name} is not declared with setting()"
    found = extra["declared"]
    assert isinstance(found, Declared)
    return found


def list_of(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def check_each(values: frozenset[str] | tuple[str, ...], pattern: re.Pattern[str], what: str) -> None:
    bad = sorted(v for v in values if not pattern.fullmatch(v) or ".." in v)
    if bad:
        raise ValueError(f"{', '.join(repr(v) for v in bad)} {'is' if len(bad) == 1 else 'are'} not {what}")


class SettingsModel(BaseModel):
    """A group of settings: every field is declared with `setting`."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    @field_validator("*")
    @classmethod
    def _matches(cls, value: Any, info: ValidationInfo) -> Any:
        """Each value of a field declared with a pattern matches it (None: not configured)."""
        spec = declared(cls, str(info.field_name))
        if value is not None and spec.each_matches is not None:
            check_each((value,) if isinstance(value, str) else value, spec.each_matches, spec.pattern_means)
        return value

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Field -> the environment variable it is read from."""
        return {name: declared(cls, name).env for name in cls.model_fields}

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        """The settings the environment gives; ConfigurationError naming each variable that is wrong and
        its value."""
        raw: dict[str, object] = {}
        problems: list[str] = []
        for name, field in cls.model_fields.items():
            spec = declared(cls, name)
            text = text_of(env, spec.env)
            if not text and not field.is_required():
                continue
            if spec.reading == "list":
                raw[name] = list_of(text)
            elif spec.reading == "json" and text:
                try:
                    raw[name] = json.loads(text)
                except ValueError as exc:
                    problems.append(f"{spec.env}={text!r}: not JSON ({exc})")
            else:
                raw[name] = text
        if problems:
            raise ConfigurationError("invalid govsync configuration: " + "; ".join(problems))
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise ConfigurationError("invalid govsync configuration: " + "; ".join(cls._explain(exc, env))) from exc

    @classmethod
    def _explain(cls, exc: ValidationError, env: Mapping[str, str]) -> list[str]:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            message = str(error["msg"]).removeprefix("Value error, ")
            if field not in cls.model_fields:  # a check across fields
                problems.append(message)
                continue
            var = declared(cls, field).env
            where = ".".join(str(part) for part in error["loc"][1:])
            kind = "" if error["type"] == "value_error" else f" [{error['type']}]"
            value = text_of(env, var)
            problems.append(f"{var}={value or ''!r}{' (' + where + ')' if where else ''}: {message}{kind}")
        return problems


def text_of(env: Mapping[str, str], var: str) -> str:
    """A variable's text (AWS_REGION falls back on AWS_DEFAULT_REGION, as the SDK's does)."""
    if var == "AWS_REGION":
        return env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
    return env.get(var, "")
