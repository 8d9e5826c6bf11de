"""`make help` is how a newcomer finds the targets: it must list every one of them."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_help_lists_every_phony_target():
    makefile = (ROOT / "Makefile").read_text()
    (phony,) = re.findall(r"^\.PHONY:(.*)$", makefile, flags=re.MULTILINE)
    targets = phony.split()
    defined = set(re.findall(r"^([a-z0-9-]+):", makefile, flags=re.MULTILINE))
    assert set(targets) <= defined, f"declared .PHONY but not defined: {set(targets) - defined}"
    shown = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    listed = {line.split()[1] for line in shown.splitlines() if line.strip().startswith("make ")}
    assert listed == set(targets), (
        f"missing from make help: {set(targets) - listed}; not phony: {listed - set(targets)}"
    )
