"""One lock: the layer ships exactly the versions the tests run, and `make lock` is the only way they move."""

import importlib.metadata
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "govsync"


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", f"{path.name}: {line} is not an exact pin"
            found[canonicalize_name(requirement.name)] = specifier.version
    return found


def requirements(lines: list[str]) -> list[Requirement]:
    return [Requirement(line.split("#", 1)[0].strip()) for line in lines if line.split("#", 1)[0].strip()]


def test_the_tests_run_the_versions_the_layer_ships():
    drift = {}
    for name, version in pins(LAYER / "requirements.txt").items():
        installed = importlib.metadata.version(name)
        if installed != version:
            drift[name] = f"layer {version}, installed {installed}"
    assert not drift, f"the venv drifted from the layer's lock (run `make venv`, or `make lock`): {drift}"


def test_the_layer_lock_is_the_dev_lock_s_subset():
    layer, dev = pins(LAYER / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    assert {name: dev.get(name) for name in layer} == layer


def test_the_locks_satisfy_what_they_were_compiled_from():
    layer = pins(LAYER / "requirements.txt")
    wanted = requirements((LAYER / "requirements.in").read_text().splitlines())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in [*wanted, *requirements(project["dependencies"])]:
        name = canonicalize_name(requirement.name)
        assert name in layer, f"{requirement} is not in the layer's lock: run `make lock`"
        assert requirement.specifier.contains(layer[name]), f"lock has {name}=={layer[name]}, wants {requirement}"


def test_the_lock_files_are_tracked_not_ignored():
    for path in ("layers/govsync/requirements.txt", "layers/govsync/requirements.in", "requirements-dev.txt"):
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False, capture_output=True)
        if ignored.returncode == 128:
            pytest.skip("not a git checkout")
        assert ignored.returncode == 1, f"{path} is git-ignored"
