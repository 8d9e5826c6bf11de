"""Commands and lookups other packages add to the CLI, found through the `govsync.cli` entry point
group (the local tooling, `govsync[local]`, adds `local`, `invoke` and `demo` this way). The CLI
imports no such package itself."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Protocol


class Plugin(Protocol):
    def register(self, commands: Any) -> None:
        """Add subcommands to the CLI's subparsers."""
        ...

    def function_environment(self, args: argparse.Namespace, function_id: str) -> dict[str, str] | None:
        """A function's environment where this plugin knows it (None: it does not)."""
        ...


@cache
def plugins() -> tuple[Plugin, ...]:
    found: list[Plugin] = []
    for entry in sorted(entry_points(group="govsync.cli"), key=lambda e: e.name):
        try:
            found.append(entry.load())
        except ImportError:  # installed without what it needs: its commands are not offered
            continue
    return tuple(found)


def each() -> Iterator[Plugin]:
    yield from plugins()
