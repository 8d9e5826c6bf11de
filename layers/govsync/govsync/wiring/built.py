"""Services built once per process: each builder of the composition root is `built_once`, and `forget`
drops every one built so far (the tests change the environment between cases)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Protocol


class Builder[T](Protocol):
    def __call__(self) -> T: ...

    def cache_clear(self) -> None: ...


_BUILDERS: list[Builder[object]] = []


def built_once[T](build: Callable[[], T]) -> Builder[T]:
    """`build`, called once; later calls answer what the first built."""
    cached: Builder[T] = lru_cache(maxsize=1)(build)
    _BUILDERS.append(cached)
    return cached


def forget() -> None:
    for builder in _BUILDERS:
        builder.cache_clear()
