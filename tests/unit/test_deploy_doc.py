"""docs/deploy.md, checked where a test can reach it: its sam deploy and aws cloudformation commands
name only parameters their template declares (and every parameter without a default) with the
capabilities the template needs, and its govsync commands parse."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from govsync_cli.main import build_parser
from govsync_local import template as tpl

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deploy.md"


def commands() -> list[list[str]]:
    """Each command of the doc's bash blocks, continuation lines joined, split as the shell splits it."""
    found = []
    for block in re.findall(r"```bash\n(.*?)```", DOC.read_text(), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip():
                found.append(shlex.split(line))
    return found


def template_of(words: list[str]) -> dict:
    if "--template-file" in words:
        name = words[words.index("--template-file") + 1].removeprefix(".aws-sam/build/")
    else:
        name = words[words.index("--template-body") + 1].removeprefix("file://")
    return tpl.load(str(ROOT / name))


def needed_capability(template: dict) -> str | None:
    iam = [r for r in template["Resources"].values() if r["Type"].startswith("AWS::IAM::")]
    if any("RoleName" in r.get("Properties", {}) for r in iam):
        return "CAPABILITY_NAMED_IAM"
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    return "CAPABILITY_IAM" if iam or functions else None


def check_parameters(template: dict, given: set[str], what: str) -> None:
    declared = template["Parameters"]
    assert given <= set(declared), f"{what}: unknown parameters {sorted(given - set(declared))}"
    required = {name for name, spec in declared.items() if "Default" not in spec}
    assert required <= given, f"{what}: missing parameters {sorted(required - given)}"


def by_tool(tool: str) -> list[list[str]]:
    return [words for words in commands() if Path(words[0]).name == tool]


def test_the_doc_deploys_all_three_templates_in_order():
    deployed = [template_of(w)["Description"].split(" - ")[1].split(" ")[0] for w in by_tool("sam") if "deploy" in w]
    assert deployed == ["model", "stage", "dev"], deployed


@pytest.mark.parametrize(
    "words", [w for w in by_tool("sam") if "deploy" in w], ids=lambda w: w[w.index("--stack-name") + 1]
)
def test_sam_deploy_commands_name_real_parameters_and_the_capabilities_needed(words):
    template = template_of(words)
    start = words.index("--parameter-overrides") + 1
    given = set()
    for word in words[start:]:
        if word.startswith("--"):
            break
        given.add(word.split("=", 1)[0])
    check_parameters(template, given, " ".join(words[:4]))
    capabilities = words[words.index("--capabilities") + 1]
    assert capabilities == needed_capability(template)


def test_the_stack_set_command_names_real_parameters():
    (create,) = [w for w in by_tool("aws") if "create-stack-set" in w]
    template = template_of(create)
    given = {m for w in create for m in re.findall(r"ParameterKey=(\w+)", w)}
    check_parameters(template, given, "create-stack-set")
    assert create[create.index("--capabilities") + 1] == needed_capability(template)
    assert "Transform" not in template


def test_aws_cli_options_are_the_operations_own():
    import botocore.session

    model = botocore.session.get_session().get_service_model("cloudformation")
    for words in by_tool("aws"):
        if words[1] != "cloudformation":
            continue
        operation = "".join(part.title() for part in words[2].split("-"))
        members = {m.lower() for m in model.operation_model(operation).input_shape.members}
        options = {w[2:].replace("-", "") for w in words if w.startswith("--")} - {"query", "region"}
        options = {"templatebody" if o == "templatebody" else o for o in options}
        assert options <= members, (operation, sorted(options - members))


@pytest.mark.parametrize("words", by_tool("govsync"), ids=lambda w: " ".join(w[1:3]))
def test_govsync_commands_parse(words):
    args = build_parser().parse_args(words[1:])
    assert args.func is not None
