"""The README's quick start and the documentation site's pages, run verbatim: every shell block marked
`<!-- runnable -->`, the README's first and then each page's in the site's order (mkdocs.yml), in one
bash, against a local stack of its own started as `make up` starts it (port 5050 unless busy)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from govsync_local.server import free_port

from .conftest import CLEAN_ENV, ROOT, local_up

pytestmark = pytest.mark.e2e

MARK = "<!-- runnable -->"
DEFAULT_PORT = 5050


def runnable_blocks(readme: str) -> list[str]:
    """The bash blocks that directly follow a runnable mark."""
    return re.findall(re.escape(MARK) + r"\n```bash\n(.*?)\n```", readme, flags=re.DOTALL)


def site_pages() -> list[Path]:
    """The documentation site's pages in the order of its navigation."""
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]

    def pages(entries: list) -> list[str]:
        found: list[str] = []
        for entry in entries:
            for value in entry.values():
                found += pages(value) if isinstance(value, list) else [value]
        return found

    return [ROOT / "docs" / page for page in pages(nav)]


def documented_text() -> str:
    """The README, then every page of the site, as one text (the site's index includes the README)."""
    return "\n".join(path.read_text() for path in [ROOT / "README.md", *site_pages()])


def port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_the_site_lists_every_page_of_docs():
    # mkdocs build --strict refuses a page left out of the navigation; this names it without building
    assert sorted(site_pages()) == sorted((ROOT / "docs").glob("*.md"))


def test_the_docs_name_their_public_sources_not_internal_seed_numbers():
    # the README and docs speak of the SageMaker guide and the AWS blog post by name
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        found = re.findall(r"\bseeds? 0\d\d\b", path.read_text(), flags=re.IGNORECASE)
        assert not found, f"{path.name} says {found}"


def test_the_readme_marks_its_quick_start_runnable():
    readme = documented_text()
    blocks = runnable_blocks(readme)
    assert len(blocks) == readme.count(MARK) >= 5, "a runnable mark must sit right above a ```bash block"
    script = "\n".join(blocks)
    for command in ("records show", "records list", "usecases list", "invoke", "schedule run", "reconcile",
                    "audit verify"):  # fmt: skip
        assert f"govsync {command}" in script


def test_the_quick_start_runs_verbatim(tmp_path):
    govsync = ROOT / ".venv" / "bin" / "govsync"
    assert govsync.exists(), "the quick start runs .venv/bin/govsync: create it with `make venv`"
    blocks = runnable_blocks(documented_text())
    port = DEFAULT_PORT if port_is_free(DEFAULT_PORT) else free_port()
    # Given the local stack, as `make up` starts it (only the port changes when 5050 is taken)
    with local_up(tmp_path, port):
        script = "\n".join(blocks)
        if port != DEFAULT_PORT:
            script = script.replace(f"127.0.0.1:{DEFAULT_PORT}", f"127.0.0.1:{port}")
        # When the blocks run in a user's shell: no AWS variables but what the blocks export
        shell_env = {k: v for k, v in CLEAN_ENV.items() if k != "VIRTUAL_ENV"}
        shell_env["PATH"] = os.pathsep.join(
            p for p in shell_env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT / ".venv"))
        )
        ran = subprocess.run(
            ["timeout", "300", "bash", "-euo", "pipefail", "-c", script],
            cwd=ROOT, env=shell_env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        # Then every command succeeds and tells the story the README tells
        assert ran.returncode == 0, f"exit {ran.returncode}\n{ran.stdout[-4000:]}\n{ran.stderr[-4000:]}"
        out = ran.stdout
        assert "arn:aws:sagemaker:us-east-1:111111111111:model-package/fraud-detector/1" in out
        assert re.search(r"artifact_status\s+copied", out), out
        assert re.search(r"fraud-detector\s+1\s+test\s+pending\s+deployed@333333333333", out), out
        assert re.search(r"uc-fraud\s+Card fraud detection\s+qa", out), out
        assert '{"batchItemFailures": []}' in out
        assert "1 versions, " in out and "every chain verifies" in out
        # docs/lineage.md: the version registered with its dataset and commit is found by each
        assert re.search(r"fraud-detector\s+1\s+development \w+.*\s9c1e5a7b3d2f\s+1\n", out), out
        assert '"kind": "dataset"' in out and '"model_version": 1,' in out and '"truncated": false' in out
        # docs/notifications.md: the topic's subscriber heard the registration
        assert "approval-requested fraud-detector 1 development - development waits for a decision" in out, out
        assert "Traceback" not in ran.stderr
