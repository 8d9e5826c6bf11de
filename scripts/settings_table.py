"""Remake the table of the functions' environment in docs/configuration.md from the settings' declarations."""

from __future__ import annotations

from pathlib import Path

from govsync.settings.functions import reference_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
START, END = "<!-- settings-table:start -->\n", "<!-- settings-table:end -->"


def main() -> None:
    text = DOC.read_text()
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    DOC.write_text(before + START + reference_table() + END + after)
    print(f"{DOC.name}: table of the functions' environment remade")


if __name__ == "__main__":
    main()
